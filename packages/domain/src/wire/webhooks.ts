/** The webhook routes' contract. */
import { Type } from '@sinclair/typebox';
import { Closed, component, Enum, Nullable } from './schema.js';

export const WebhookParams = Closed({ webhookId: Type.String({ maxLength: 64 }) });
export const DeliveryParams = Closed({ deliveryId: Type.String({ maxLength: 64 }) });

const WebhookInputFields = {
  url: Type.String({ maxLength: 2000, description: 'http(s) only; redirects are not followed' }),
  secret: Type.Optional(Type.String({ minLength: 16, maxLength: 512 })),
  events: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 })),
  projectId: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  active: Type.Optional(Type.Boolean()),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
};
export const CreateWebhook = Closed(WebhookInputFields, { title: 'CreateWebhook' });
export const UpdateWebhook = Type.Partial(Type.Omit(CreateWebhook, ['projectId']), {
  title: 'UpdateWebhook',
  additionalProperties: false,
  description: 'A webhook keeps its project: delete it and add another to change it',
});

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export const DeliveriesQuery = Type.Object({
  state: Type.Optional(Enum(DELIVERY_STATES)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});

const WebhookFields = {
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String(), { description: 'Event types sent; empty means all but *.progress' }),
  projectId: Nullable(Type.String()),
  active: Type.Boolean(),
  description: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
};

export const Webhook = component('Webhook', Closed(WebhookFields));

export const NewWebhook = component(
  'NewWebhook',
  Closed({ ...WebhookFields, secret: Type.String({ description: 'Shown once: signs every delivery' }) }),
);

export const WebhookDelivery = component(
  'WebhookDelivery',
  Closed({
    id: Type.String({ description: 'Sent as the Montu-Delivery header' }),
    webhookId: Type.String(),
    eventId: Type.String(),
    eventType: Type.String(),
    state: Enum(DELIVERY_STATES),
    attempts: Type.Integer(),
    nextAttemptAt: Type.String(),
    lastStatus: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    createdAt: Type.String(),
    deliveredAt: Nullable(Type.String()),
  }),
);

/** Webhook configuration and delivery log routes (instance administrators). Issue 6. */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { actorOf, requireInstanceAdmin } from '../auth.js';
import {
  CreateWebhook,
  DeliveriesQuery,
  DeliveryParams,
  errors,
  NewWebhook,
  UpdateWebhook,
  Webhook,
  WebhookDelivery,
  WebhookParams,
} from '@montu/domain/wire';

export async function webhookRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { webhooks } = ctx.montu;
  app.addHook('preHandler', async (req) => requireInstanceAdmin(req));
  app.get(
    '/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Configured webhooks (secrets not shown)',
        response: { 200: Type.Array(Webhook), ...errors(403) },
      },
    },
    async () => webhooks.listWebhooks(),
  );
  app.post<{ Body: Static<typeof CreateWebhook> }>(
    '/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Add a webhook; the response shows its secret once',
        body: CreateWebhook,
        response: { 201: NewWebhook, ...errors(400, 403) },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await webhooks.createWebhook({ ...req.body, createdBy: actorOf(req) })),
  );
  app.patch<{ Params: Static<typeof WebhookParams>; Body: Static<typeof UpdateWebhook> }>(
    '/webhooks/:webhookId',
    {
      schema: {
        tags: ['webhooks'],
        params: WebhookParams,
        body: UpdateWebhook,
        response: { 200: Webhook, ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      return webhooks.updateWebhook(req.params.webhookId, { ...req.body, actor: actorOf(req) });
    },
  );
  app.delete<{ Params: Static<typeof WebhookParams> }>(
    '/webhooks/:webhookId',
    {
      schema: {
        tags: ['webhooks'],
        params: WebhookParams,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (req, reply) => {
      await webhooks.deleteWebhook(req.params.webhookId, { actor: actorOf(req) });
      return reply.code(204).send();
    },
  );
  app.get<{
    Params: Static<typeof WebhookParams>;
    Querystring: Static<typeof DeliveriesQuery>;
  }>(
    '/webhooks/:webhookId/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Delivery log, newest first',
        params: WebhookParams,
        querystring: DeliveriesQuery,
        response: { 200: Type.Array(WebhookDelivery), ...errors(403, 404) },
      },
    },
    async (req) => webhooks.listDeliveries(req.params.webhookId, req.query),
  );
  app.post<{ Params: Static<typeof DeliveryParams> }>(
    '/webhook-deliveries/:deliveryId/redeliver',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Send a delivery again (same Montu-Delivery id)',
        params: DeliveryParams,
        response: { 200: WebhookDelivery, ...errors(403, 404) },
      },
    },
    async (req) => webhooks.redeliver(req.params.deliveryId),
  );
}

/** Webhook configuration and delivery log routes (instance administrators). Issue 6. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { actorOf, requireInstanceAdmin } from '../auth.js';
import { errors, NewWebhook, Webhook, WebhookDelivery } from '../schemas.js';

const Params = Type.Object({ webhookId: Type.String({ maxLength: 64 }) });
const Body = Type.Object({
  url: Type.String({ maxLength: 2000, description: 'http(s) only; redirects are not followed' }),
  secret: Type.Optional(Type.String({ minLength: 16, maxLength: 512 })),
  events: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 })),
  projectId: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  active: Type.Optional(Type.Boolean()),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
});

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
  app.post<{ Body: typeof Body.static }>(
    '/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Add a webhook; the response shows its secret once',
        body: Body,
        response: { 201: NewWebhook, ...errors(400, 403) },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await webhooks.createWebhook({ ...req.body, createdBy: actorOf(req) })),
  );
  app.patch<{ Params: typeof Params.static; Body: Partial<typeof Body.static> }>(
    '/webhooks/:webhookId',
    {
      schema: {
        tags: ['webhooks'],
        params: Params,
        body: Type.Partial(Body),
        response: { 200: Webhook, ...errors(400, 403, 404) },
      },
    },
    async (req) => {
      const { projectId: _p, ...patch } = req.body;
      return webhooks.updateWebhook(req.params.webhookId, { ...patch, actor: actorOf(req) });
    },
  );
  app.delete<{ Params: typeof Params.static }>(
    '/webhooks/:webhookId',
    { schema: { tags: ['webhooks'], params: Params, response: { 204: Type.Null(), ...errors(403, 404) } } },
    async (req, reply) => {
      await webhooks.deleteWebhook(req.params.webhookId, { actor: actorOf(req) });
      return reply.code(204).send();
    },
  );
  app.get<{
    Params: typeof Params.static;
    Querystring: { state?: 'pending' | 'delivered' | 'failed'; limit?: number };
  }>(
    '/webhooks/:webhookId/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Delivery log, newest first',
        params: Params,
        querystring: Type.Object({
          state: Type.Optional(
            Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
          ),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: { 200: Type.Array(WebhookDelivery), ...errors(403, 404) },
      },
    },
    async (req) => webhooks.listDeliveries(req.params.webhookId, req.query),
  );
  app.post<{ Params: { deliveryId: string } }>(
    '/webhook-deliveries/:deliveryId/redeliver',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Send a delivery again (same Montu-Delivery id)',
        params: Type.Object({ deliveryId: Type.String({ maxLength: 64 }) }),
        response: { 200: WebhookDelivery, ...errors(403, 404) },
      },
    },
    async (req) => webhooks.redeliver(req.params.deliveryId),
  );
}

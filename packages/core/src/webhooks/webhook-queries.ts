/** Webhooks' and deliveries' SQL: the only module of webhooks/ that uses Kysely. */
import { sql, type Selectable } from 'kysely';
import { nowIso } from '../ids.js';
import type { Db, WebhookDeliveryTable, WebhookTable } from '../db/schema.js';

export type WebhookRow = Selectable<WebhookTable>;
export type DeliveryRow = Selectable<WebhookDeliveryTable>;

export async function projectExists(db: Db, projectId: string): Promise<boolean> {
  return (
    (await db.selectFrom('project').select('id').where('id', '=', projectId).executeTakeFirst()) !== undefined
  );
}

export async function insertWebhook(db: Db, row: WebhookRow): Promise<void> {
  await db.insertInto('webhook').values(row).execute();
}

export function webhookRow(db: Db, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhook').selectAll().where('id', '=', id).executeTakeFirst();
}

export function webhookRows(
  db: Db,
  filter: { projectId?: string; projectIds?: string[] },
): Promise<WebhookRow[]> {
  let q = db.selectFrom('webhook').selectAll();
  if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
  if (filter.projectIds) q = q.where('project_id', 'in', filter.projectIds.length ? filter.projectIds : ['']);
  return q.orderBy('created_at').orderBy('id').execute();
}

export function activeWebhookRows(db: Db): Promise<WebhookRow[]> {
  return db.selectFrom('webhook').selectAll().where('active', '=', 1).execute();
}

export async function updateWebhookRow(
  db: Db,
  id: string,
  patch: Partial<Pick<WebhookRow, 'url' | 'events' | 'active' | 'description' | 'secret'>>,
): Promise<void> {
  await db
    .updateTable('webhook')
    .set({ ...patch, updated_at: nowIso() })
    .where('id', '=', id)
    .execute();
}

export async function deleteWebhookRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom('webhook').where('id', '=', id).execute();
}

export function deliveryRows(
  db: Db,
  webhookId: string,
  filter: { state?: string; limit: number },
): Promise<DeliveryRow[]> {
  let q = db.selectFrom('webhook_delivery').selectAll().where('webhook_id', '=', webhookId);
  if (filter.state) q = q.where('state', '=', filter.state);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

export function deliveryRow(db: Db, id: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('webhook_delivery').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertDeliveries(db: Db, rows: DeliveryRow[]): Promise<void> {
  await db.insertInto('webhook_delivery').values(rows).execute();
}

/** Back to pending with fresh attempts, if it is still `from` (false: another change won). */
export async function resetDelivery(db: Db, id: string, from: string): Promise<boolean> {
  const r = await db
    .updateTable('webhook_delivery')
    .set({ state: 'pending', next_attempt_at: nowIso(), attempts: 0 })
    .where('id', '=', id)
    .where('state', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Records an attempt's outcome on the delivery. */
export async function recordAttempt(
  db: Db,
  id: string,
  attempt: Partial<
    Pick<
      DeliveryRow,
      'state' | 'attempts' | 'last_status' | 'last_error' | 'next_attempt_at' | 'delivered_at'
    >
  >,
): Promise<void> {
  await db.updateTable('webhook_delivery').set(attempt).where('id', '=', id).execute();
}

/** Pending deliveries that have no open `webhook.deliver` job (recorded before deliveries were jobs). */
export async function pendingWithoutJob(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom('webhook_delivery as d')
    .select('d.id')
    .where('d.state', '=', 'pending')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('job')
            .select('job.id')
            .where('job.type', '=', 'webhook.deliver')
            .where('job.state', 'in', ['queued', 'running'])
            // The payload as the job store writes it (JSON.stringify of { deliveryId }).
            .where('job.payload', '=', sql<string>`'{"deliveryId":"' || ${sql.ref('d.id')} || '"}'`),
        ),
      ),
    )
    .execute();
  return rows.map((r) => r.id);
}

/** True while a delivery job runs or is due now. */
export async function deliveryDue(db: Db): Promise<boolean> {
  const open = await db
    .selectFrom('job')
    .select('id')
    .where('type', '=', 'webhook.deliver')
    .where((eb) =>
      eb.or([
        eb('state', '=', 'running'),
        eb.and([eb('state', '=', 'queued'), eb('run_after', '<=', nowIso())]),
      ]),
    )
    .limit(1)
    .execute();
  return open.length > 0;
}

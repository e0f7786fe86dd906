import type { Db } from '../context.js';
import type { IdempotencyKeyTable } from '../db/schema.js';

/** The SQL of idempotency keys (uploads/idempotency-keys.ts decides what they mean). */

export type IdempotencyRow = IdempotencyKeyTable;

/** Inserts a pending claim; false when the (user, key) row exists already. */
export async function insertClaim(db: Db, row: IdempotencyRow): Promise<boolean> {
  const r = await db
    .insertInto('idempotency_key')
    .values(row)
    .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function findKey(db: Db, userId: string, key: string): Promise<IdempotencyRow | undefined> {
  return db
    .selectFrom('idempotency_key')
    .selectAll()
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .executeTakeFirst();
}

/** Moves a claim from `fromOwner` to `toOwner` (one wins when two processes try). */
export async function takeOverClaim(
  db: Db,
  userId: string,
  key: string,
  fromOwner: string,
  toOwner: string,
): Promise<boolean> {
  const r = await db
    .updateTable('idempotency_key')
    .set({ owner: toOwner })
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .where('state', '=', 'pending')
    .where('owner', '=', fromOwner)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function markDone(
  db: Db,
  userId: string,
  key: string,
  owner: string,
  result: string,
): Promise<void> {
  await db
    .updateTable('idempotency_key')
    .set({ state: 'done', result })
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .where('owner', '=', owner)
    .execute();
}

/** Removes the claim `owner` holds (pending, or done by a request that then failed). */
export async function deleteClaim(db: Db, userId: string, key: string, owner: string): Promise<void> {
  await db
    .deleteFrom('idempotency_key')
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .where('owner', '=', owner)
    .execute();
}

/** Removes expired keys: every one, or only (user, key). */
export async function deleteExpired(
  db: Db,
  now: string,
  only?: { userId: string; key: string },
): Promise<void> {
  let q = db.deleteFrom('idempotency_key').where('expires_at', '<=', now);
  if (only) q = q.where('user_id', '=', only.userId).where('key', '=', only.key);
  await q.execute();
}

import { sql } from 'kysely';
import type { Db } from '../context.js';

/** The SQL of the failed-login throttle (login-throttle.ts decides what the counts mean). */

export async function failureCount(
  db: Db,
  key: string,
): Promise<{ failures: number; firstAt: string } | undefined> {
  const row = await db
    .selectFrom('login_failure')
    .select(['failures', 'first_at'])
    .where('key', '=', key)
    .executeTakeFirst();
  return row && { failures: Number(row.failures), firstAt: row.first_at };
}

/**
 * Counts one failure for `key` at `now` unless it already has `max` since `expired` (a count
 * whose window began at or before `expired` starts again at 1). One statement: the database
 * decides, not a read then a write. True when the failure was counted.
 */
export async function countFailureUnder(
  db: Db,
  key: string,
  max: number,
  now: string,
  expired: string,
): Promise<boolean> {
  const stale = sql<boolean>`login_failure.first_at <= ${expired}`;
  const row = await db
    .insertInto('login_failure')
    .values({ key, failures: 1, first_at: now })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet({
          failures: sql`CASE WHEN ${stale} THEN 1 ELSE login_failure.failures + 1 END`,
          first_at: sql`CASE WHEN ${stale} THEN ${now} ELSE login_failure.first_at END`,
        })
        .where(sql<boolean>`${stale} OR login_failure.failures < ${max}`),
    )
    .returning('key')
    .executeTakeFirst();
  return row !== undefined;
}

/** Takes one failure off `key`'s count (never below 0). */
export async function uncountFailure(db: Db, key: string): Promise<void> {
  await db
    .updateTable('login_failure')
    .set({ failures: sql`login_failure.failures - 1` })
    .where('key', '=', key)
    .where('failures', '>', 0)
    .execute();
}

/** Deletes the counts whose window began at or before `expired`. */
export async function deleteFailuresBefore(db: Db, expired: string): Promise<void> {
  await db.deleteFrom('login_failure').where('first_at', '<=', expired).execute();
}

export async function deleteFailures(db: Db, key: string): Promise<void> {
  await db.deleteFrom('login_failure').where('key', '=', key).execute();
}

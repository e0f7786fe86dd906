import { sql } from 'kysely';
import type { Db } from '../context.js';

/** Failed logins allowed per username, and per client address, within the window. */
export const LOGIN_LIMITS = { perUser: 10, perAddress: 50, windowMs: 15 * 60_000 } as const;

/**
 * Failed-login throttle kept in the database, so every API process behind a load balancer
 * counts the same failures and a restart does not reset them. After `max` failures within the
 * window for one key (a username, or a client address with a higher allowance), further
 * attempts are refused until the window that began with the first failure has passed. A success
 * clears the username's count.
 */
export class LoginThrottle {
  constructor(
    private readonly db: Db,
    private readonly windowMs: number = LOGIN_LIMITS.windowMs,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait when `key` has `max` failures or more in its window, else null. */
  async blocked(key: string, max: number): Promise<number | null> {
    const row = await this.db
      .selectFrom('login_failure')
      .select(['failures', 'first_at'])
      .where('key', '=', key)
      .executeTakeFirst();
    if (!row) return null;
    const left = Date.parse(row.first_at) + this.windowMs - this.now();
    if (left <= 0) return null;
    return Number(row.failures) >= max ? Math.max(1, Math.ceil(left / 1000)) : null;
  }

  /** Counts one failure for each key (one statement per key: concurrent failures all count). */
  async fail(...keys: string[]): Promise<void> {
    const now = new Date(this.now()).toISOString();
    const expired = new Date(this.now() - this.windowMs).toISOString();
    const stale = sql<boolean>`login_failure.first_at <= ${expired}`;
    for (const key of keys) {
      await this.db
        .insertInto('login_failure')
        .values({ key, failures: 1, first_at: now })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            failures: sql`CASE WHEN ${stale} THEN 1 ELSE login_failure.failures + 1 END`,
            first_at: sql`CASE WHEN ${stale} THEN ${now} ELSE login_failure.first_at END`,
          }),
        )
        .execute();
    }
    // Rows whose window has passed are dead weight: failures are rare, so sweep here.
    await this.db.deleteFrom('login_failure').where('first_at', '<=', expired).execute();
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom('login_failure').where('key', '=', key).execute();
  }
}

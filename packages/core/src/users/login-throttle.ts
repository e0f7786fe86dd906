import { sql } from 'kysely';
import type { Db } from '../context.js';

/** Failed logins allowed per username, and per client address, within the window. */
export const LOGIN_LIMITS = { perUser: 10, perAddress: 50, windowMs: 15 * 60_000 } as const;

/** One throttle key (`u:<username>` or `ip:<address>`) and the attempts it allows per window. */
export interface ThrottleKey {
  key: string;
  max: number;
}

/** The outcome of `LoginThrottle.attempt`: either every key granted one attempt, or the wait. */
export type ThrottleAttempt = { granted: true } | { granted: false; waitSeconds: number };

/**
 * Failed-login throttle kept in the database, so every API process behind a load balancer
 * counts the same failures and a restart does not reset them. After `max` failures within the
 * window for one key (a username, or a client address with a higher allowance), further
 * attempts are refused until the window that began with the first failure has passed.
 *
 * An attempt is counted before the password is checked, in one conditional upsert per key that
 * only succeeds while the key is under its limit: N parallel attempts cannot all read "9 of 10"
 * and all go on to run scrypt (decision 120). A success gives the attempt back (`refund`) and
 * clears the username's count.
 */
export class LoginThrottle {
  constructor(
    private readonly db: Db,
    private readonly windowMs: number = LOGIN_LIMITS.windowMs,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Takes one attempt from every key, atomically per key. When a key is at its limit, the
   * attempts already taken from the earlier keys are given back and the wait is returned.
   */
  async attempt(keys: readonly ThrottleKey[]): Promise<ThrottleAttempt> {
    const taken: string[] = [];
    for (const { key, max } of keys) {
      if (await this.take(key, max)) {
        taken.push(key);
        continue;
      }
      await this.refund(...taken);
      return { granted: false, waitSeconds: (await this.blocked(key, max)) ?? 1 };
    }
    return { granted: true };
  }

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

  /**
   * Counts one failure for `key` unless it already has `max` in its window (a window that has
   * passed starts a new count). One statement: the database decides, not a read then a write.
   */
  private async take(key: string, max: number): Promise<boolean> {
    const now = new Date(this.now()).toISOString();
    const expired = new Date(this.now() - this.windowMs).toISOString();
    const stale = sql<boolean>`login_failure.first_at <= ${expired}`;
    const row = await this.db
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

  /** Gives back one attempt per key (the login succeeded, or failed for another reason). */
  async refund(...keys: string[]): Promise<void> {
    for (const key of keys) {
      await this.db
        .updateTable('login_failure')
        .set({ failures: sql`login_failure.failures - 1` })
        .where('key', '=', key)
        .where('failures', '>', 0)
        .execute();
    }
  }

  /** Rows whose window has passed are dead weight: failures are rare, so callers sweep after one. */
  async sweep(): Promise<void> {
    const expired = new Date(this.now() - this.windowMs).toISOString();
    await this.db.deleteFrom('login_failure').where('first_at', '<=', expired).execute();
  }

  async reset(key: string): Promise<void> {
    await this.db.deleteFrom('login_failure').where('key', '=', key).execute();
  }
}

import type { Db } from '../context.js';
import {
  countFailureUnder,
  deleteFailures,
  deleteFailuresBefore,
  failureCount,
  uncountFailure,
} from './login-throttle-queries.js';

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
    const row = await failureCount(this.db, key);
    if (!row) return null;
    const left = Date.parse(row.firstAt) + this.windowMs - this.now();
    if (left <= 0) return null;
    return row.failures >= max ? Math.max(1, Math.ceil(left / 1000)) : null;
  }

  /**
   * Counts one failure for `key` unless it already has `max` in its window (a window that has
   * passed starts a new count). One statement: the database decides, not a read then a write.
   */
  private async take(key: string, max: number): Promise<boolean> {
    const now = new Date(this.now()).toISOString();
    const expired = new Date(this.now() - this.windowMs).toISOString();
    return countFailureUnder(this.db, key, max, now, expired);
  }

  /** Gives back one attempt per key (the login succeeded, or failed for another reason). */
  async refund(...keys: string[]): Promise<void> {
    for (const key of keys) await uncountFailure(this.db, key);
  }

  /** Rows whose window has passed are dead weight: failures are rare, so callers sweep after one. */
  async sweep(): Promise<void> {
    const expired = new Date(this.now() - this.windowMs).toISOString();
    await deleteFailuresBefore(this.db, expired);
  }

  async reset(key: string): Promise<void> {
    await deleteFailures(this.db, key);
  }
}

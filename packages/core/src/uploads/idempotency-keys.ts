import { Conflict, ValidationError } from '@montu/domain';
import type { Db } from '../context.js';
import { OWNER, ownerIsDeadLocalProcess } from '../storage/owner.js';
import {
  deleteExpired,
  deleteClaim,
  findKey,
  insertClaim,
  markDone,
  takeOverClaim,
} from './idempotency-queries.js';

/** How long a key is remembered after its first use. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** A key: 1–255 visible ASCII characters (a UUID, as the clients send, fits). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * What `begin` found: a first use (run the request, then `complete` with its result, or
 * `abandon` when it failed, even after `complete`) or a replay of the recorded result.
 */
export type IdempotencyStart =
  | { kind: 'first'; complete(result: string): Promise<void>; abandon(): Promise<void> }
  | { kind: 'replay'; result: string };

/**
 * Idempotency keys of uploads (`Idempotency-Key`): the first request with a key claims it, runs
 * and records its result (a media id, a tus upload id); a retry by the same user with the same
 * key gets that result instead of creating another version. A request still running answers a
 * concurrent retry 409 (the client retries later); one that failed gives its key up, so a retry
 * runs again. A claim left by a process that died is taken over. Keys are per user, remembered
 * for IDEMPOTENCY_KEY_TTL_MS, and bound to one scope (route and target): the same key for a
 * different request is refused.
 */
export class IdempotencyKeys {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async begin(userId: string, key: string, scope: string): Promise<IdempotencyStart> {
    if (!IDEMPOTENCY_KEY_PATTERN.test(key))
      throw new ValidationError('Idempotency-Key must be 1 to 255 visible ASCII characters.');
    const now = this.now();
    const nowText = new Date(now).toISOString();
    await deleteExpired(this.db, nowText, { userId, key });
    const claimed = await insertClaim(this.db, {
      user_id: userId,
      key,
      scope,
      state: 'pending',
      result: null,
      owner: OWNER,
      created_at: nowText,
      expires_at: new Date(now + IDEMPOTENCY_KEY_TTL_MS).toISOString(),
    });
    if (claimed) {
      // Keys are few (one per upload): sweeping here keeps the table small without a timer.
      await deleteExpired(this.db, nowText);
      return this.first(userId, key);
    }
    const row = await findKey(this.db, userId, key);
    // Gone between the insert and the read (its request failed): the client may retry now.
    if (!row) throw new Conflict('The request with this Idempotency-Key just failed; retry it.');
    if (row.scope !== scope)
      throw new Conflict('This Idempotency-Key was used for a different request; use a new key.', {
        scope: row.scope,
      });
    if (row.state === 'done' && row.result !== null) return { kind: 'replay', result: row.result };
    if (ownerIsDeadLocalProcess(row.owner) && (await takeOverClaim(this.db, userId, key, row.owner, OWNER)))
      return this.first(userId, key);
    throw new Conflict('A request with this Idempotency-Key is still running; retry it later.', {
      retryAfterSeconds: 1,
    });
  }

  private first(userId: string, key: string): IdempotencyStart {
    return {
      kind: 'first',
      complete: (result) => markDone(this.db, userId, key, OWNER, result),
      abandon: () => deleteClaim(this.db, userId, key, OWNER),
    };
  }
}

import type { Db } from '../context.js';
import { OWNER, ownerIsDeadLocalProcess } from '../storage/owner.js';
import {
  deleteSession,
  dropLease,
  findSession,
  insertSession,
  pruneSessions,
  setOffset,
  settleSession,
  takeFinishLease,
} from './upload-session-queries.js';

/** Sessions of uploads that send bytes (tus, direct to S3); sequence uploads are SequenceIngest's. */
const BYTE_KINDS = ['tus', 's3-direct'] as const;

/** Why a session failed, as its `GET /uploads/:id/result` tells it. */
export interface UploadError {
  status: number;
  code: string;
  detail: string;
}

export interface UploadSession {
  id: string;
  /** The user who created it: only they (and instance admins) see it. */
  userId: string;
  state: 'uploading' | 'finishing' | 'complete' | 'failed';
  /** The process finishing it (storage/owner.ts), while `state` is 'finishing'. */
  lease: string | null;
  offset: number;
  size: number | null;
  mediaId: string | null;
  error: UploadError | null;
}

/**
 * Resumable upload sessions (tus), on a table: who owns one, how far it got, which process holds
 * the lease to hand the finished file to the library, and how it ended. Any API process answers
 * for any upload, and a process that dies while finishing leaves a lease another process takes
 * over (the same host can tell a dead pid; decision 116). The bytes stay in the server's upload
 * directory; this is their bookkeeping.
 */
export class UploadSessions {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  private stamp(): string {
    return new Date(this.now()).toISOString();
  }

  /** Records a new upload of `userId` (nothing when it is known already). */
  async open(id: string, userId: string, size: number | null): Promise<void> {
    const now = this.stamp();
    await insertSession(this.db, {
      id,
      kind: 'tus',
      user_id: userId,
      state: 'uploading',
      lease: null,
      offset: 0,
      size,
      media_id: null,
      error: null,
      created_at: now,
      updated_at: now,
      details: null,
    });
  }

  async get(id: string): Promise<UploadSession | undefined> {
    const row = await findSession(this.db, id, BYTE_KINDS);
    if (!row) return undefined;
    return {
      id: row.id,
      userId: row.user_id,
      state: row.state,
      lease: row.lease,
      offset: row.offset,
      size: row.size,
      mediaId: row.media_id,
      error: row.error === null ? null : (JSON.parse(row.error) as UploadError),
    };
  }

  /** Bytes received so far (and the length, once declared). */
  async progress(id: string, offset: number, size: number | null): Promise<void> {
    await setOffset(this.db, id, offset, size, this.stamp());
  }

  /**
   * Takes the lease to finish upload `id` (hand its file to the library and record the outcome):
   * true when this process now holds it. False while another live process — or this one —
   * finishes it, or when it has ended. A lease whose process died is taken over. An upload
   * created before sessions were kept gets its session here, for `userId`.
   */
  async claimFinish(id: string, userId: string, size: number | null): Promise<boolean> {
    const now = this.stamp();
    await this.open(id, userId, size);
    if (await takeFinishLease(this.db, id, OWNER, null, now)) return true;
    const session = await findSession(this.db, id, BYTE_KINDS);
    if (session?.state !== 'finishing' || session.lease === null) return false;
    if (!ownerIsDeadLocalProcess(session.lease)) return false;
    return takeFinishLease(this.db, id, OWNER, session.lease, now);
  }

  /** The finished upload became media `mediaId` (the lease is given up). */
  async complete(id: string, mediaId: string): Promise<void> {
    await settleSession(this.db, id, OWNER, { state: 'complete', mediaId }, this.stamp());
  }

  /** The finished upload was refused (the lease is given up). */
  async fail(id: string, error: UploadError): Promise<void> {
    await settleSession(this.db, id, OWNER, { state: 'failed', error: JSON.stringify(error) }, this.stamp());
  }

  /** Gives the lease up without an outcome: the upload can be finished again. */
  async release(id: string): Promise<void> {
    await dropLease(this.db, id, OWNER, this.stamp());
  }

  /** The upload was cancelled (tus DELETE): its session goes. */
  async remove(id: string): Promise<void> {
    await deleteSession(this.db, id);
  }

  /**
   * Deletes the sessions (tus and sequence) that ended more than `retentionMs` ago — their
   * outcome has been answered for long enough — and tus sessions idle that long (expired).
   * Run by the maintenance path (MaintenanceService.pruneUploadSessions). Returns how many went.
   */
  async prune(retentionMs: number): Promise<number> {
    return pruneSessions(this.db, new Date(this.now() - retentionMs).toISOString());
  }
}

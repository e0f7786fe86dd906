import { createHash, randomInt } from 'node:crypto';
import { ValidationError } from '@montu/domain';
import { ABANDONED_AFTER_MS, ownerIsDeadLocalProcess } from '../storage/owner.js';
import type { ServiceContext } from '../context.js';
import type { SequenceIngest } from '../uploads/sequence-ingest.js';
import type { UploadSessions } from '../uploads/upload-sessions.js';
import { recordHistory } from '../history/history-service.js';
import { markFileFailed } from '../processing/media-state.js';
import { transaction } from '../db/connect.js';
import {
  deleteVersionClaim,
  isRecorded,
  markFileState,
  recordedFiles,
  versionClaims,
} from './maintenance-queries.js';

export interface OrphanCleanupOptions {
  /** Only report (the default); pass false to fix. */
  dryRun?: boolean;
  /** Re-read every stored file and compare its sha256 with the record (default true). */
  verifyChecksums?: boolean;
  /**
   * Files without a record younger than this are left alone: an upload stores its file a
   * moment before it commits the record. Default one hour.
   */
  minOrphanAgeSeconds?: number;
}

export interface OrphanCleanupReport {
  dryRun: boolean;
  /** Stored files no record points at (removed unless dry run). */
  orphanFiles: string[];
  /** Records whose file is gone (marked `missing` unless dry run). */
  missingFiles: Array<{ mediaId: string; key: string; role: string }>;
  /** Records whose file no longer hashes to the recorded sha256 (marked `corrupt` unless dry run). */
  corruptFiles: Array<{ mediaId: string; key: string; role: string; expected: string; actual: string }>;
  /** Incomplete writes left by dead processes in the temporary area (removed unless dry run). */
  temporaryFiles: string[];
  /** Version numbers claimed by uploads that died (released unless dry run). */
  staleReservations: number;
  /** Stored files without a record removed by this call (0 in a dry run). */
  orphanedFilesRemoved: number;
  /** Records of vanished files marked `missing` by this call (0 in a dry run). */
  missingFilesCleaned: number;
  /** True when nothing needed fixing. */
  clean: boolean;
}

export interface VerifyOptions {
  /** How many stored files to re-read, chosen at random (a daily sample), or `'all'` (default). */
  sample?: number | 'all';
  /** Only report; by default a mismatching file is marked `corrupt` (and a missing one `missing`). */
  dryRun?: boolean;
}

export interface VerifyReport {
  dryRun: boolean;
  /** Stored files re-read (or found missing). */
  checked: number;
  /** Bytes re-read and hashed. */
  bytes: number;
  /** Files whose content no longer hashes to the recorded sha256 (or has another size). */
  corrupt: Array<{
    mediaId: string;
    fileId: string;
    key: string;
    role: string;
    expected: string;
    actual: string;
  }>;
  /** Files whose record points at nothing in storage. */
  missing: Array<{ mediaId: string; fileId: string; key: string; role: string }>;
  /** True when every checked file matched. */
  clean: boolean;
}

/** What `pruneUploadSessions` removed. */
export interface UploadSessionPrune {
  /** Sequence uploads abandoned by a dead process or for a day (frames and version claim gone). */
  abandonedSequences: number;
  /** Sessions that ended, or tus sessions idle, longer than the retention. */
  prunedSessions: number;
}

/** Consistency between the database and storage; the pruning of ended upload sessions. */
export class MaintenanceService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly uploads: UploadSessions,
    private readonly sequences: SequenceIngest,
  ) {}

  /**
   * Upload sessions past their time: sequence uploads abandoned in flight are discarded (their
   * stored frames and version claim with them), then sessions that ended — or tus sessions idle —
   * longer than `limits.uploadSessionRetentionSeconds` ago are deleted. Runs at start-up and
   * with every cleanup that is not a dry run.
   */
  async pruneUploadSessions(): Promise<UploadSessionPrune> {
    const abandonedSequences = await this.sequences.sweepAbandoned();
    const prunedSessions = await this.uploads.prune(this.ctx.limits.uploadSessionRetentionSeconds * 1000);
    return { abandonedSequences, prunedSessions };
  }

  async cleanupOrphanedFiles(options: OrphanCleanupOptions = {}): Promise<OrphanCleanupReport> {
    const dryRun = options.dryRun ?? true;
    const verify = options.verifyChecksums ?? true;
    const minAgeMs = (options.minOrphanAgeSeconds ?? 3600) * 1000;
    const { db, storage } = this.ctx;

    const temporary = await storage.sweepTemporary({ dryRun });
    if (!dryRun) await this.pruneUploadSessions();
    const staleReservations = await this.staleReservations(dryRun);

    // Records → storage.
    const missingFiles: OrphanCleanupReport['missingFiles'] = [];
    const corruptFiles: OrphanCleanupReport['corruptFiles'] = [];
    const known = new Set<string>();
    const rows = await this.recordedFiles();
    for (const r of rows) {
      known.add(r.storage_key);
      if (r.state === 'missing' || r.state === 'corrupt' || r.state === 'pending') continue;
      const check = await this.checkFile(r, verify);
      if (check.state === 'missing') {
        missingFiles.push({ mediaId: r.media_id, key: r.storage_key, role: r.role });
        if (!dryRun)
          await this.markFile(
            r.id,
            r.media_id,
            r.project_id,
            'missing',
            `${r.role} file is missing from storage`,
          );
      } else if (check.state === 'corrupt') {
        corruptFiles.push({
          mediaId: r.media_id,
          key: r.storage_key,
          role: r.role,
          expected: r.sha256,
          actual: check.actual,
        });
        if (!dryRun)
          await this.markFile(
            r.id,
            r.media_id,
            r.project_id,
            'corrupt',
            `${r.role} file no longer matches its sha256`,
          );
      }
    }

    // Storage → records. Keys under a reserved version belong to an upload in progress.
    const reserved = await versionClaims(db);
    const inProgress = reserved.map(
      (r) => `${r.project_id}/${r.task_id}/v${String(r.version_number).padStart(3, '0')}/`,
    );
    const orphanFiles: string[] = [];
    const now = Date.now();
    for await (const obj of storage.list()) {
      if (known.has(obj.key)) continue;
      if (now - obj.modifiedAt.getTime() < minAgeMs) continue;
      if (inProgress.some((p) => obj.key.startsWith(p))) continue;
      // Re-check: the record may have been committed since we read the list.
      if (await isRecorded(db, storage.name, obj.key)) continue;
      orphanFiles.push(obj.key);
      if (!dryRun) await storage.delete(obj.key);
    }

    return {
      dryRun,
      orphanFiles,
      missingFiles,
      corruptFiles,
      temporaryFiles: temporary.found,
      staleReservations,
      orphanedFilesRemoved: dryRun ? 0 : orphanFiles.length,
      missingFilesCleaned: dryRun ? 0 : missingFiles.length,
      clean:
        orphanFiles.length === 0 &&
        missingFiles.length === 0 &&
        corruptFiles.length === 0 &&
        temporary.found.length === 0 &&
        staleReservations === 0,
    };
  }

  /**
   * Integrity scrubbing: re-reads stored files (all, or a random sample) and compares each with
   * its recorded size and sha256, flagging mismatches (`corrupt`) and vanished files (`missing`).
   */
  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    const dryRun = options.dryRun ?? false;
    const sample = options.sample ?? 'all';
    if (sample !== 'all' && !(Number.isSafeInteger(sample) && sample > 0)) {
      throw new ValidationError('sample must be a positive whole number or "all".', { field: 'sample' });
    }
    let rows = (await this.recordedFiles()).filter(
      (r) => !['missing', 'corrupt', 'pending'].includes(r.state),
    );
    if (sample !== 'all' && rows.length > sample) {
      // Partial Fisher–Yates: a uniform random sample of `sample` files.
      for (let i = 0; i < sample; i++) {
        const j = i + randomInt(rows.length - i);
        [rows[i], rows[j]] = [rows[j]!, rows[i]!];
      }
      rows = rows.slice(0, sample);
    }
    const report: VerifyReport = { dryRun, checked: 0, bytes: 0, corrupt: [], missing: [], clean: true };
    for (const r of rows) {
      report.checked++;
      const check = await this.checkFile(r, true);
      report.bytes += check.bytes;
      if (check.state === 'missing') {
        report.missing.push({ mediaId: r.media_id, fileId: r.id, key: r.storage_key, role: r.role });
        if (!dryRun)
          await this.markFile(
            r.id,
            r.media_id,
            r.project_id,
            'missing',
            `${r.role} file is missing from storage`,
            'verify',
          );
      } else if (check.state === 'corrupt') {
        report.corrupt.push({
          mediaId: r.media_id,
          fileId: r.id,
          key: r.storage_key,
          role: r.role,
          expected: r.sha256,
          actual: check.actual,
        });
        if (!dryRun)
          await this.markFile(
            r.id,
            r.media_id,
            r.project_id,
            'corrupt',
            `${r.role} file no longer matches its sha256`,
            'verify',
          );
      }
    }
    report.clean = report.corrupt.length === 0 && report.missing.length === 0;
    return report;
  }

  /** Every file record on this library's storage backend, with its project. */
  private recordedFiles() {
    return recordedFiles(this.ctx.db, this.ctx.storage.name);
  }

  /**
   * Compares a stored file with its record: gone, a different size, or (when hashing) a
   * different sha256. `actual` says what was found; `bytes` how much was read.
   */
  private async checkFile(
    r: { storage_key: string; sha256: string; size: number },
    hash: boolean,
  ): Promise<{ state: 'ok' | 'missing' | 'corrupt'; actual: string; bytes: number }> {
    const info = await this.ctx.storage.stat(r.storage_key);
    if (!info) return { state: 'missing', actual: '', bytes: 0 };
    const expectedSize = Number(r.size);
    if (!hash) {
      return info.size === expectedSize
        ? { state: 'ok', actual: '', bytes: 0 }
        : { state: 'corrupt', actual: `size ${info.size} (expected ${expectedSize})`, bytes: 0 };
    }
    const h = createHash('sha256');
    let size = 0;
    for await (const chunk of await this.ctx.storage.get(r.storage_key)) {
      size += (chunk as Buffer).length;
      h.update(chunk as Buffer);
    }
    const digest = h.digest('hex');
    if (digest === r.sha256 && size === expectedSize) return { state: 'ok', actual: digest, bytes: size };
    const actual = size !== expectedSize ? `${digest} (size ${size}, expected ${expectedSize})` : digest;
    return { state: 'corrupt', actual, bytes: size };
  }

  /** Crash leftovers that can be removed at start-up without touching live work. */
  async sweepAfterCrash(): Promise<void> {
    await this.pruneUploadSessions();
    await this.ctx.storage.sweepTemporary({ dryRun: false });
    await this.staleReservations(false);
  }

  private async staleReservations(dryRun: boolean): Promise<number> {
    const rows = await versionClaims(this.ctx.db);
    const cutoff = new Date(Date.now() - ABANDONED_AFTER_MS).toISOString();
    const stale = rows.filter((r) => ownerIsDeadLocalProcess(r.owner) || r.created_at < cutoff);
    if (!dryRun) {
      for (const r of stale) {
        // A process that died between moving a file into place and committing its record left
        // it under the version it had claimed: nothing can point at it, so it goes with the claim.
        const prefix = `${r.project_id}/${r.task_id}/v${String(r.version_number).padStart(3, '0')}/`;
        for await (const obj of this.ctx.storage.list(prefix)) {
          if (!(await isRecorded(this.ctx.db, this.ctx.storage.name, obj.key)))
            await this.ctx.storage.delete(obj.key).catch(() => undefined);
        }
        await deleteVersionClaim(this.ctx.db, r);
      }
    }
    return stale.length;
  }

  private async markFile(
    fileId: string,
    mediaId: string,
    projectId: string,
    state: 'missing' | 'corrupt',
    message: string,
    actor = 'cleanup',
  ): Promise<void> {
    await transaction(this.ctx.db, async (trx) => {
      await markFileState(trx, fileId, state, message);
      await markFileFailed(trx, mediaId, message);
      await recordHistory(trx, {
        actor,
        action: `file.${state}`,
        projectId,
        subjectType: 'media',
        subjectId: mediaId,
        comment: message,
      });
    });
  }
}

import type { LibraryDb } from '../db/schema.js';
import { countFilesOn, filesNotOn, filesPerBackend, switchFileBackend } from './migrate-queries.js';
import { errorMessage, ValidationError } from '@montu/domain';
import type { StorageBackend } from './backend.js';

export interface MigrationProgress {
  /** Files to move when the run started (those not yet on the target). */
  total: number;
  /** Files copied, verified and switched over so far in this run. */
  copied: number;
  failed: number;
  bytes: number;
  /** The key just handled. */
  key: string;
}

export interface MigrationReport {
  total: number;
  copied: number;
  bytes: number;
  /** Files already on the target before this run (a resumed migration). */
  alreadyMoved: number;
  failures: Array<{ fileId: string; key: string; error: string }>;
  /** Source copies removed (only with deleteSource). */
  deleted: number;
}

export interface MigrationOptions {
  onProgress?: (p: MigrationProgress) => void;
  /** Remove each file from the source once the target copy is verified and recorded (default false). */
  deleteSource?: boolean;
  /** Files copied at once (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Moves every recorded file of a library to another storage backend (`montu storage migrate`).
 * Each file is streamed from the library's current storage into the target with its recorded
 * sha256 as the expected checksum (the target refuses and keeps nothing on a mismatch), then
 * its `media_file.backend` is switched in a statement of its own. A run can stop anywhere and
 * be started again: it continues with the files not yet on the target. Once it reports no
 * failures, open the library with the target storage (docs/decisions/023).
 */
export async function migrateStorage(
  montu: { db: LibraryDb; storage: StorageBackend },
  target: StorageBackend,
  options: MigrationOptions = {},
): Promise<MigrationReport> {
  const source = montu.storage;
  if (source.name === target.name && source.location === target.location) {
    throw new ValidationError(`The library already uses ${target.location}.`);
  }
  if (source.name === target.name) {
    throw new ValidationError(
      `Both backends are "${target.name}": files are addressed by backend name, so a migration goes between kinds (local ↔ s3).`,
    );
  }
  const db = montu.db;
  const already = await countFilesOn(db, target.name);
  const todo = await filesNotOn(db, target.name);
  const report: MigrationReport = {
    total: todo.length,
    copied: 0,
    bytes: 0,
    alreadyMoved: already,
    failures: [],
    deleted: 0,
  };
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      if (options.signal?.aborted) return;
      const f = todo[next++]!;
      try {
        if (f.backend !== source.name) {
          throw new ValidationError(
            `The file is recorded on backend "${f.backend}", which is neither the library's (${source.name}) nor the target.`,
          );
        }
        const stored = await target.put(f.storage_key, await source.get(f.storage_key), {
          expectedSha256: f.sha256,
          ...(f.content_type ? { contentType: f.content_type } : {}),
        });
        if (stored.size !== Number(f.size))
          throw new Error(`size ${stored.size} differs from the recorded ${f.size}`);
        // Switch this file over on its own: a crash leaves every file on one backend or the other.
        await switchFileBackend(db, f.id, source.name, target.name);
        report.copied++;
        report.bytes += stored.size;
        if (options.deleteSource) {
          await source.delete(f.storage_key);
          report.deleted++;
        }
      } catch (e) {
        report.failures.push({ fileId: f.id, key: f.storage_key, error: errorMessage(e) });
      }
      options.onProgress?.({
        total: report.total,
        copied: report.copied,
        failed: report.failures.length,
        bytes: report.bytes,
        key: f.storage_key,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return report;
}

/** Files per backend name, to see where a library's files are (`montu storage status`). */
export async function storageUsage(db: LibraryDb): Promise<Record<string, { files: number; bytes: number }>> {
  const rows = await filesPerBackend(db);
  return Object.fromEntries(rows.map((r) => [r.backend, { files: r.files, bytes: r.bytes }]));
}

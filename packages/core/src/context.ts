import type { LibraryDb, Db } from './db/schema.js';
import type { DialectName } from './db/connect.js';
import type { StorageBackend } from './storage/backend.js';
import type { EventBus } from './events.js';
import type { Limits } from './config/limits.js';
import type { Job } from './jobs/types.js';
import type { SpaceReserve } from './db/space-reserve.js';
import type { MediaTools } from './processing/tools/media-tools.js';

/**
 * What every service shares. Services get it at construction; nothing reaches for globals.
 */
export interface ServiceContext {
  db: LibraryDb;
  dialect: DialectName;
  storage: StorageBackend;
  events: EventBus;
  limits: Limits;
  /** Space kept beside a SQLite file so deletes work on a full disk (a no-op on PostgreSQL). */
  spaceReserve: SpaceReserve;
  /** External tools and image decoder processes, from the configuration (decision 157). */
  tools: MediaTools;
  /** Set when media processing is wired in; called after a new media item is committed. */
  processing?: ProcessingHook;
}

/** A media item as the jobs of its processing name it: its jobs carry its project (decision 203). */
export interface MediaRef {
  id: string;
  projectId: string;
}

export interface ProcessingHook {
  /** Queue (or run) metadata, thumbnail and proxy work for a new or changed media item; returns the jobs queued. */
  schedule(
    item: MediaRef,
    options: { wait: boolean; reason: 'ingest' | 'regenerate'; timestamp?: number; queued?: Job[] },
  ): Promise<Job[]>;
  /**
   * Records a new item's ingest jobs inside the transaction that creates it, so a crash between
   * the commit and `schedule` cannot leave a record whose processing never runs. Pass the result
   * to `schedule` (as `queued`) after the commit: it then only wakes the queue.
   */
  queueIngest?(trx: Db, item: MediaRef): Promise<Job[]>;
}

export type { Db } from './db/schema.js';

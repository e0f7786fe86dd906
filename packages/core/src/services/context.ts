import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DialectName } from '../db/connect.js';
import type { StorageBackend } from '../storage/backend.js';
import type { EventBus } from '../events.js';
import type { Limits } from '../config.js';

/**
 * What every service shares. Services get it at construction; nothing reaches for globals.
 */
export interface ServiceContext {
  db: Kysely<Database>;
  dialect: DialectName;
  storage: StorageBackend;
  events: EventBus;
  limits: Limits;
  /** Set when media processing is wired in; called after a new media item is committed. */
  processing?: ProcessingHook;
}

export interface ProcessingHook {
  /** Queue (or run) metadata, thumbnail and proxy work for a new or changed media item. */
  schedule(mediaId: string, options: { wait: boolean; reason: 'ingest' | 'regenerate'; timestamp?: number }): Promise<void>;
}

export type Db = Kysely<Database> | Transaction<Database>;

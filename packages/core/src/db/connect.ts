import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type pg from 'pg';
import { Kysely, Migrator, sql, type Migration, type MigrationProvider, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import { migrations } from './migrations/index.js';
import { ValidationError } from '@montu/domain';
import type { DialectName } from './dialect.js';
import { SearchPathPostgresDialect } from './postgres-introspection.js';
import { montuSqliteDialect, sqliteChangeStamp, type WriteCount } from './sqlite-driver.js';

export type { DialectName } from './dialect.js';

/** The SQLite connection's durability level outside relaxed transactions. */
const SQLITE_SYNCHRONOUS = 'FULL';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Human-readable location, secrets masked. */
  location: string;
  /** The SQLite file (null: in memory, or PostgreSQL). */
  file?: string | null;
  /** PostgreSQL schema selected with `?schema=` in the URL, if any. */
  schema?: string | null;
  /**
   * A value that changes whenever anything in the database may have changed (a commit by this
   * process or any other), for caches of reads; null where no cheap one exists (PostgreSQL).
   */
  changeStamp(): string | null;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `postgres://…` (optionally `?schema=name`) or a path / `sqlite:` URL for SQLite. */
  databaseUrl?: string;
  /** Used for the default SQLite file `<dataDir>/montu.db`. */
  dataDir?: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  const url = options.databaseUrl;
  const handle =
    url && /^postgres(ql)?:\/\//i.test(url)
      ? await openPostgres(url)
      : openSqlite(sqlitePath(url, options.dataDir));
  try {
    await migrate(handle);
  } catch (e) {
    await handle.close();
    throw e;
  }
  return handle;
}

function sqlitePath(url: string | undefined, dataDir: string | undefined): string {
  if (url) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('sqlite:') && !url.startsWith('file:')) {
      throw new ValidationError(
        `Unsupported database URL scheme in ${maskUrl(url)}: use postgres://… or a SQLite file path.`,
      );
    }
    return url.replace(/^(sqlite|file):(\/\/)?/, '');
  }
  return path.join(dataDir ?? './montu-data', 'montu.db');
}

function openSqlite(file: string): DatabaseHandle {
  // Folders and the database made here are the service's alone (0700/0600): the database holds
  // password hashes, session and token digests, and webhook secrets.
  const created = file !== ':memory:' && !fs.existsSync(file);
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(file);
  // Before the WAL and shared-memory files exist: SQLite gives them the database's mode.
  if (created) fs.chmodSync(file, 0o600);
  sqlite.pragma('busy_timeout = 15000');
  sqlite.pragma('journal_mode = WAL');
  // FULL: a committed upload survives power loss, not only a process crash. Job bookkeeping that
  // a re-run recovers may opt out per transaction (relaxedTransaction).
  sqlite.pragma(`synchronous = ${SQLITE_SYNCHRONOUS}`);
  sqlite.pragma('foreign_keys = ON');
  // Table statistics for the query planner, refreshed when SQLite judges them stale (also on
  // close): without them it takes `archived_at IS NULL` for a selective index and walks a
  // million items to check a handful of search matches (decision 165). analysis_limit keeps
  // each ANALYZE to a sample, so it takes milliseconds to a few seconds on a million items.
  sqlite.pragma('analysis_limit = 1000');
  sqlite.pragma('optimize = 0x10002');
  // Several processes (server, CLI, workers) may share the file. Opening may wait for a lock
  // (nothing is served yet); after that SQLite never waits itself: a locked statement is retried
  // on timers by the driver, so a lock held elsewhere never blocks the event loop (decision 122).
  sqlite.pragma('busy_timeout = 0');
  const writes: WriteCount = { n: 0 };
  const db = new Kysely<Database>({ dialect: montuSqliteDialect(sqlite, writes) });
  sqliteHandles.set(db, sqlite);
  return {
    db,
    dialect: 'sqlite',
    location: path.resolve(file),
    file: file === ':memory:' ? null : path.resolve(file),
    changeStamp: () => (sqlite.open ? sqliteChangeStamp(sqlite, writes) : null),
    close: async () => {
      try {
        if (sqlite.open && !sqlite.readonly) sqlite.pragma('optimize');
      } catch {
        // statistics are an optimisation: a busy or read-only file keeps its old ones
      }
      await db.destroy();
    },
  };
}

/** The better-sqlite3 connection under each SQLite Kysely instance (for the durability level). */
const sqliteHandles = new WeakMap<Kysely<Database>, SQLite.Database>();

/**
 * Runs `fn` in one (durable) transaction: services open transactions through this and pass the
 * transaction to their query modules, so only query modules build SQL.
 */
export function transaction<T>(
  db: Kysely<Database>,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(fn);
}

/**
 * Runs `fn` in one transaction whose commit is not flushed to disk before it returns: a process
 * crash keeps it, a power failure may lose it (whole — never half of it). Only for writes that
 * nothing outside the database has been told about yet, and that a re-run recovers: job claims,
 * completions and the renditions they record (see docs/decisions/071-ingest-bookkeeping.md).
 * A later durable commit makes it durable too (SQLite WAL and PostgreSQL's WAL are both flushed
 * in order). Client-acknowledged writes (uploads, review actions) never go through here.
 *
 * SQLite: `PRAGMA synchronous = NORMAL` for this transaction only, on the library's single
 * connection held for the duration (the level cannot change inside a transaction; every other
 * statement waits for the connection, so nothing else commits at the relaxed level).
 * PostgreSQL: `SET LOCAL synchronous_commit = off`.
 * Inside an open transaction `fn` simply joins it (and its durability).
 */
export async function relaxedTransaction<T>(
  db: Kysely<Database>,
  dialect: DialectName,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return fn(db as Transaction<Database>);
  if (dialect === 'postgres') {
    return db.transaction().execute(async (trx) => {
      await sql`set local synchronous_commit = off`.execute(trx);
      return fn(trx);
    });
  }
  const raw = sqliteHandles.get(db);
  return db.connection().execute(async (conn) => {
    // Held connection: no other statement (nor transaction) runs until this one is done. The
    // level is set on the connection directly, a plain synchronous call, rather than as two more
    // queries through Kysely.
    const level = (l: string) =>
      raw ? void raw.pragma(`synchronous = ${l}`) : sql.raw(`pragma synchronous = ${l}`).execute(conn);
    await level('NORMAL');
    try {
      return await conn.transaction().execute(fn);
    } finally {
      await level(SQLITE_SYNCHRONOUS);
    }
  });
}

/** `pg` is loaded only for PostgreSQL URLs: SQLite runs (the CLI's default) start without it. */
async function openPostgres(url: string): Promise<DatabaseHandle> {
  const { default: pgLib } = await import('pg');
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/i.test(schema)) {
    throw new ValidationError(
      `Invalid PostgreSQL schema name ${JSON.stringify(schema)} in the database URL.`,
    );
  }
  const pool = new pgLib.Pool({
    connectionString: parsed.toString(),
    max: 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    types: {
      // bigint columns hold byte sizes, far below 2^53: return them as numbers, as SQLite does.
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20
          ? (v: string) => Number(v)
          : pgLib.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new SearchPathPostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    location: maskUrl(url),
    schema,
    changeStamp: () => null,
    close: () => db.destroy(),
  };
}

async function migrate(handle: DatabaseHandle): Promise<void> {
  const { db, dialect } = handle;
  const schema = handle.schema ?? null;
  // Most opens find the schema current: one read instead of the migrator's lock table and
  // durable commit (decision 193).
  if (await migrationsCurrent(db, schema)) return;
  if (schema) await db.schema.createSchema(schema).ifNotExists().execute();
  const provider: MigrationProvider = {
    getMigrations: async () => {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(migrations)) {
        // Kysely's Migration type takes any-typed databases: migrations predate today's schema.
        out[name] = { up: (kdb) => m.up(kdb, dialect) };
      }
      return out;
    },
  };
  const migrator = new Migrator({
    db,
    provider,
    // A database may have run a later-numbered migration before an earlier one (work on two
    // branches, a library that skipped a release's migration): every migration only adds what it
    // names, so a missing one simply runs, in name order with the other pending ones.
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  // Several processes may open a fresh database at once. PostgreSQL serialises them with the
  // migrator's lock; SQLite has no cross-process migration lock, so the loser of the race fails
  // ("already exists"), its migration transaction rolled back, and simply tries again.
  for (let attempt = 1; ; attempt++) {
    const { error } = await migrator.migrateToLatest();
    if (!error) return;
    if (dialect !== 'sqlite' || attempt >= 5) throw error;
    await new Promise((r) => setTimeout(r, 100 * attempt));
  }
}

/**
 * True when every migration this build knows is recorded as run, so the migrator would do
 * nothing. A migration's name is recorded in the transaction that runs it, so a name seen here
 * belongs to a finished migration. Any failure (no table yet: a new database) means "not known
 * to be current", and the migrator decides.
 */
async function migrationsCurrent(db: Kysely<Database>, schema: string | null): Promise<boolean> {
  try {
    const table = sql.table(schema ? `${schema}.kysely_migration` : 'kysely_migration');
    const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(db);
    const done = new Set(rows.map((r) => r.name));
    return Object.keys(migrations).every((name) => done.has(name));
  } catch {
    return false;
  }
}

/** A database URL with its password replaced by `***`. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** True when a database error is a unique-constraint violation (on either engine). */
export function isUniqueViolation(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import type { Database } from './schema.js';
import { migrations } from './migrations/index.js';
import { ValidationError } from '../errors.js';

export type DialectName = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Human-readable location, secrets masked. */
  location: string;
  /** PostgreSQL schema selected with `?schema=` in the URL, if any. */
  schema?: string | null;
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
      ? openPostgres(url)
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
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a committed upload survives power loss, not only a process crash.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  // Several processes (server, CLI, workers) may share the file; wait instead of failing on a lock.
  sqlite.pragma('busy_timeout = 15000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    db,
    dialect: 'sqlite',
    location: path.resolve(file),
    close: () => db.destroy(),
  };
}

function openPostgres(url: string): DatabaseHandle {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/i.test(schema)) {
    throw new ValidationError(
      `Invalid PostgreSQL schema name ${JSON.stringify(schema)} in the database URL.`,
    );
  }
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    types: {
      // bigint columns hold byte sizes, far below 2^53: return them as numbers, as SQLite does.
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', location: maskUrl(url), schema, close: () => db.destroy() };
}

async function migrate(handle: DatabaseHandle): Promise<void> {
  const { db, dialect } = handle;
  const schema = handle.schema ?? null;
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

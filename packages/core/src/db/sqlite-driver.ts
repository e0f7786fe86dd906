import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import { DatabaseBusy, StorageError } from '@montu/domain';

/**
 * How long a statement waits for a lock another process holds on the SQLite file (decision 122).
 * The wait is a series of short pauses on timers, never SQLite's busy handler, which sleeps on
 * the event loop: with `busy_timeout = 15000` one locked write froze every request, `/healthz`
 * included, for 15 s.
 */
export const SQLITE_LOCK_WAIT = {
  /** Longest wait from the moment the lock was first met, shared by every statement meeting it. */
  budgetMs: 3000,
  firstPauseMs: 2,
  maxPauseMs: 100,
  /** What a refused request is told to wait before trying again. */
  retryAfterSeconds: 1,
} as const;

/** Prepared statements kept per connection: the job loop runs the same few dozen over and over. */
const STATEMENT_CACHE = 500;

/**
 * Kysely's SQLite dialect with Montu's own driver: transactions take the write lock when they
 * begin (`BEGIN IMMEDIATE`, so only the BEGIN can meet another writer's lock, and it is safe to
 * retry), a locked statement is retried on timers instead of blocking the event loop, and a
 * transaction SQLite has already rolled back (a full disk, an I/O error) is not rolled back a
 * second time — that second rollback's "no transaction is active" hid the real error.
 */
export function montuSqliteDialect(sqlite: SQLite.Database, writes: WriteCount = { n: 0 }): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new MontuSqliteDriver(sqlite, writes),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}

/** Statements other than reads run on the library's connection (see sqliteChangeStamp). */
export interface WriteCount {
  n: number;
}

/**
 * A value that changes whenever the database may have changed: `PRAGMA data_version` moves on
 * every commit by another connection (another process: a worker, the CLI), and `writes` counts
 * every statement other than a read run on this connection (commits included), which
 * data_version does not see. Equal stamps mean nothing was committed in between (decision 166).
 */
export function sqliteChangeStamp(sqlite: SQLite.Database, writes: WriteCount): string {
  // A statement prepared once: `sqlite.pragma()` prepares one on every call (15 µs).
  let stmt = dataVersion.get(sqlite);
  if (!stmt) dataVersion.set(sqlite, (stmt = sqlite.prepare('PRAGMA data_version').pluck()));
  return `${String(stmt.get())}.${writes.n}`;
}
const dataVersion = new WeakMap<SQLite.Database, SQLite.Statement>();

class MontuSqliteDriver implements Driver {
  private readonly connection: MontuSqliteConnection;
  /** The one connection's queue: each query (or transaction) holds it in turn. */
  private held: Promise<void> = Promise.resolve();

  constructor(
    private readonly sqlite: SQLite.Database,
    writes: WriteCount,
  ) {
    this.connection = new MontuSqliteConnection(sqlite, writes);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.held;
    let release!: () => void;
    this.held = new Promise((resolve) => (release = resolve));
    await previous;
    this.connection.release = release;
    return this.connection;
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as MontuSqliteConnection).release?.();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // SQLite ends the transaction itself on SQLITE_FULL, SQLITE_IOERR and the like.
    if (this.sqlite.inTransaction) await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    this.sqlite.close();
  }
}

class MontuSqliteConnection implements DatabaseConnection {
  release: (() => void) | undefined;
  private readonly statements = new Map<string, SQLite.Statement>();
  /** When the lock now being waited for was first met (null: no lock met since the last write). */
  private lockedSince: number | null = null;

  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly writes: WriteCount,
  ) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.prepare(compiled.sql);
    const parameters = compiled.parameters as unknown[];
    let pause: number = SQLITE_LOCK_WAIT.firstPauseMs;
    for (;;) {
      // Outside a transaction a locked statement did nothing, and BEGIN IMMEDIATE took nothing.
      const retryable = !this.sqlite.inTransaction;
      try {
        if (stmt.reader) return { rows: stmt.all(parameters) as R[] };
        // Counted before it runs: a stamp read after this never matches one read before.
        this.writes.n++;
        const { changes, lastInsertRowid } = stmt.run(parameters);
        // A write went through: whatever lock was met before is gone.
        this.lockedSince = null;
        return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
      } catch (e) {
        if (!isBusy(e)) throw sqliteFailure(e);
        const now = Date.now();
        this.lockedSince ??= now;
        const left = this.lockedSince + SQLITE_LOCK_WAIT.budgetMs - now;
        if (!retryable || left <= 0) {
          throw new DatabaseBusy(
            'The database is locked by another process (a long write, a backup or an open sqlite3 shell); nothing was changed. Try again shortly.',
            { cause: e, details: { retryAfterSeconds: SQLITE_LOCK_WAIT.retryAfterSeconds } },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
        pause = Math.min(pause * 2, SQLITE_LOCK_WAIT.maxPauseMs);
      }
    }
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const stmt = this.prepare(compiled.sql);
    try {
      for (const row of stmt.iterate(compiled.parameters as unknown[])) yield { rows: [row as R] };
    } catch (e) {
      throw isBusy(e)
        ? new DatabaseBusy('The database is locked by another process.', { cause: e })
        : sqliteFailure(e);
    }
  }

  /** Statements are reused: Kysely prepares every query afresh, and compiling costs more than running most. */
  private prepare(text: string): SQLite.Statement {
    let stmt = this.statements.get(text);
    if (stmt) {
      // Most recently used last: the first key is the one to evict.
      this.statements.delete(text);
    } else {
      stmt = this.sqlite.prepare(text);
      if (this.statements.size >= STATEMENT_CACHE)
        this.statements.delete(this.statements.keys().next().value!);
    }
    this.statements.set(text, stmt);
    return stmt;
  }
}

function sqliteCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function isBusy(e: unknown): boolean {
  const code = sqliteCode(e);
  return code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_');
}

/** A full disk is the operator's to fix, not a bug: say so (507), whatever statement met it. */
function sqliteFailure(e: unknown): unknown {
  if (sqliteCode(e) === 'SQLITE_FULL') {
    return new StorageError(
      'The disk holding the database is full: nothing was changed. Free space (deleting media works on a full disk), then retry.',
      { cause: e, full: true },
    );
  }
  return e;
}

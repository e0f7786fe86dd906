import { sql } from 'kysely';
import type { Db } from '../../src/context.js';

/**
 * One transaction on a PostgreSQL connection of its own, run a statement at a time, for tests
 * that interleave two transactions. `end` commits (rolls back after a failed statement).
 */
export async function pgSession(db: Db) {
  let step: <T>(run: (conn: Db) => Promise<T>) => Promise<T> = () => Promise.reject(new Error('not begun'));
  let ready!: () => void;
  const started = new Promise<void>((r) => (ready = r));
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const done = db.connection().execute(async (conn) => {
    await sql`BEGIN`.execute(conn);
    let failed = false;
    step = async (run) => {
      try {
        return await run(conn);
      } catch (e) {
        failed = true;
        throw e;
      }
    };
    ready();
    await finished;
    await sql.raw(failed ? 'ROLLBACK' : 'COMMIT').execute(conn);
  });
  await started;
  const pid = await step((c) => sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(c));
  return {
    pid: pid.rows[0]!.pid,
    run: step,
    end: () => {
      finish();
      return done;
    },
  };
}

/** Until `p` settles ('settled') or the backend `pid` waits for a lock another transaction holds ('waiting'). */
export async function settledOrWaiting(
  db: Db,
  pid: number,
  p: Promise<unknown>,
): Promise<'settled' | 'waiting'> {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (;;) {
    if (settled) return 'settled';
    const w = await sql<{
      wait: string | null;
    }>`SELECT wait_event_type AS wait FROM pg_stat_activity WHERE pid = ${pid}`.execute(db);
    if (w.rows[0]?.wait === 'Lock') return 'waiting';
    await new Promise((r) => setTimeout(r, 20));
  }
}

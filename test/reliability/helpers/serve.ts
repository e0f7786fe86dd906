/**
 * `montu serve` as a real child process (the built CLI), for tests that kill it, load it from
 * another process, or read its memory. Started in its own process group so a SIGKILL of the
 * group also takes its ffmpeg children (a machine that lost power).
 */
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

export const BIN = path.resolve('packages/cli/dist/bin.js');

export interface ServeProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  api: string;
  /** The first-run admin token, when this start created the admin. */
  firstRunToken?: string;
  /** Tail of what the server printed on stderr. */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL the whole process group and wait for the server to be gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), SIGKILL after `ms`. */
  stop(ms?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

export async function startServe(
  dataDir: string,
  options: { args?: string[]; env?: Record<string, string>; startTimeoutMs?: number } = {},
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn', ...(options.args ?? [])],
    {
      env: { ...process.env, ...(options.env ?? {}) },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    },
  );
  live.add(child);
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`montu serve did not start in time: ${err.slice(-2000)}`)),
      options.startTimeoutMs ?? 90_000,
    );
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-20_000);
      const m = /montu: serving (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`montu serve exited early (${code ?? signal}): ${err.slice(-2000)}`));
    });
  });
  const token = /API token: (\S+)/.exec(err)?.[1];
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      /* already gone */
    }
  };
  return {
    child,
    pid: child.pid!,
    url,
    api: `${url}/api/v1`,
    ...(token ? { firstRunToken: token } : {}),
    stderr: () => err,
    exited,
    async kill() {
      killGroup('SIGKILL');
      await exited;
    },
    async stop(ms = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup('SIGTERM');
      const t = setTimeout(() => killGroup('SIGKILL'), ms);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Global options and the backend they select: a server (`--server`/`MONTU_SERVER`) or a data
 * directory (`--data-dir`/`MONTU_DATA_DIR`, default `./montu-data`, or `--database-url`).
 * Flags beat environment variables; a flag for one mode with an environment variable for the
 * other picks the flag's mode.
 */
import os from 'node:os';
import type { Command } from 'commander';
import type { MontuBackend } from './backend.js';
import { UsageError } from './errors.js';
import { RemoteBackend } from './remote.js';

export interface GlobalOptions {
  dataDir?: string;
  databaseUrl?: string;
  server?: string;
  token?: string;
  as?: string;
}

const env = (name: string): string | undefined => {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
};

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function actorName(g: GlobalOptions): string {
  if (g.as) return g.as;
  const fromEnv = env('MONTU_USER');
  if (fromEnv) return fromEnv;
  try {
    return os.userInfo().username || 'montu';
  } catch {
    return 'montu';
  }
}

export type Target =
  | { mode: 'remote'; server: string; token: string | undefined }
  | { mode: 'local'; dataDir: string; databaseUrl: string | undefined };

export function resolveTarget(g: GlobalOptions): Target {
  const localFlag = g.dataDir !== undefined || g.databaseUrl !== undefined;
  if (g.server !== undefined && localFlag) {
    throw new UsageError('give either --server (remote) or --data-dir/--database-url (local), not both');
  }
  const server = g.server ?? (localFlag ? undefined : env('MONTU_SERVER'));
  if (server !== undefined) return { mode: 'remote', server, token: g.token ?? env('MONTU_TOKEN') };
  if (g.token !== undefined) throw new UsageError('--token needs --server (or MONTU_SERVER)');
  return {
    mode: 'local',
    dataDir: g.dataDir ?? env('MONTU_DATA_DIR') ?? './montu-data',
    // Each setting on its own, as `montu serve` reads them (server-api.ts librarySettings):
    // --data-dir does not hide MONTU_DATABASE_URL.
    databaseUrl: g.databaseUrl ?? env('MONTU_DATABASE_URL'),
  };
}

export async function openBackend(g: GlobalOptions, options: { work?: boolean } = {}): Promise<MontuBackend> {
  const t = resolveTarget(g);
  if (t.mode === 'remote') return new RemoteBackend(t.server, t.token);
  // Loaded here, not at start: it loads the whole core library (see core.ts).
  const { LocalBackend } = await import('./local.js');
  return LocalBackend.open({
    settings: { dataDir: g.dataDir, databaseUrl: g.databaseUrl },
    actor: actorName(g),
    ...(options.work ? { work: true } : {}),
  });
}

/** Runs `fn` with the backend the command's options select, closing it afterwards. */
export async function withBackend<T>(
  cmd: Command,
  fn: (backend: MontuBackend, g: GlobalOptions) => Promise<T>,
  options: { work?: boolean } = {},
): Promise<T> {
  const g = globals(cmd);
  const backend = await openBackend(g, options);
  try {
    return await fn(backend, g);
  } finally {
    await backend.close();
  }
}

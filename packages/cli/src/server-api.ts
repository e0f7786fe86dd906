/**
 * What the CLI uses of `@montu/server` (loadConfig, describeConfig, startServer), loaded on
 * demand so that commands other than `serve` and `config` never load Fastify. Declared here
 * structurally so the CLI does not depend on the server's internal types.
 */
import type { ServerFlags } from '@montu/server';
import { CliError, EXIT } from './errors.js';

/** Flags as `loadConfig` takes them (the server's own type; a type-only import loads nothing). */
export type ServeFlags = ServerFlags;

/** The server's configuration object; the CLI only passes it back to the server. */
export type ServerConfigLike = { host: string; port: number; redisUrl?: string } & Record<string, unknown>;

export interface RunningServerLike {
  /** Base URL the server listens on, when the server reports it. */
  url?: string;
  close?: () => Promise<void>;
}

export interface ServerModule {
  loadConfig(flags: ServeFlags): ServerConfigLike;
  describeConfig(config: ServerConfigLike): Record<string, unknown>;
  startServer(config: ServerConfigLike): Promise<RunningServerLike>;
}

export async function loadServerModule(): Promise<ServerModule> {
  const spec = '@montu/server';
  let mod: Partial<ServerModule>;
  try {
    mod = (await import(spec)) as Partial<ServerModule>;
  } catch (e) {
    throw new CliError(
      `the Montu server package is not available: ${(e as Error).message}`,
      EXIT.failure,
      'not_supported',
    );
  }
  if (
    typeof mod.loadConfig !== 'function' ||
    typeof mod.describeConfig !== 'function' ||
    typeof mod.startServer !== 'function'
  ) {
    throw new CliError(
      'this build of @montu/server does not export loadConfig/describeConfig/startServer yet',
      EXIT.failure,
      'not_supported',
    );
  }
  return mod as ServerModule;
}

/** Where a local-mode command's library is: data directory, database and storage. */
export interface LibrarySettings {
  dataDir: string;
  databaseUrl?: string;
  /** What `openMontu` takes: an S3 backend (the caller's library closes it) or a local folder. */
  storage: import('@montu/core').StorageBackend | { type: 'local'; root: string };
  /** `s3` or `local`, and which setting chose the database, for the start-up line. */
  storageType: 'local' | 's3';
  databaseFrom: 'flag' | 'environment' | 'config file' | 'data directory';
}

/**
 * The one precedence rule for every command that opens a library (serve, worker, verify, storage,
 * every local-mode media command): each setting on its own, flags > `MONTU_*` environment >
 * config file > defaults — the server's `loadConfig`. So `--data-dir X` with `MONTU_DATABASE_URL`
 * set uses that database (X holds local files only), exactly as `montu serve` does.
 */
export async function librarySettings(
  g: { dataDir?: string; databaseUrl?: string },
  flags: ServeFlags = {},
): Promise<LibrarySettings> {
  const [{ loadConfig }, core, path] = await Promise.all([
    import('@montu/server/config'),
    import('@montu/core'),
    import('node:path'),
  ]);
  const config = loadConfig({
    ...flags,
    ...(g.dataDir !== undefined ? { dataDir: g.dataDir } : {}),
    ...(g.databaseUrl !== undefined ? { databaseUrl: g.databaseUrl } : {}),
  });
  const s = config.storage;
  const env = process.env['MONTU_DATABASE_URL'];
  const databaseFrom: LibrarySettings['databaseFrom'] =
    g.databaseUrl !== undefined || flags.databaseUrl !== undefined
      ? 'flag'
      : env
        ? 'environment'
        : config.databaseUrl !== undefined
          ? 'config file'
          : 'data directory';
  return {
    dataDir: config.dataDir,
    ...(config.databaseUrl !== undefined ? { databaseUrl: config.databaseUrl } : {}),
    storage:
      s.type === 's3'
        ? core.createStorage({ ...s, type: 's3' })
        : { type: 'local', root: path.resolve(config.dataDir, s.root ?? 'storage') },
    storageType: s.type,
    databaseFrom,
  };
}

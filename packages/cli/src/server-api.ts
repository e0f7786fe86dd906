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

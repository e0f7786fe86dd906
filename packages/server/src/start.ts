import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { createStorage, openMontu, ValidationError, type Montu, type StorageBackend } from '@montu/core';
import { createServer } from './app.js';
import { describeConfig, isLoopbackHost, type ServerConfig } from './config.js';

export interface StartServerOptions {
  /** Where to print the first-run admin credentials (default: stderr). */
  print?: (line: string) => void;
  logger?: Logger;
  /** An already opened library (tests, or a CLI that wired processing); opened from config otherwise. */
  montu?: Montu;
  queueDepth?: () => Promise<Record<string, number>> | Record<string, number>;
}

export interface RunningServer {
  app: FastifyInstance;
  montu: Montu;
  /** `http://host:port` actually bound. */
  url: string;
  port: number;
  /** Set on a fresh data directory: the admin's one-time credentials. */
  firstRun?: { username: string; password: string; token: string };
  close(): Promise<void>;
}

function storageFor(config: ServerConfig): StorageBackend | { type: 'local'; root: string } {
  if (config.storage.type === 's3') {
    const { type: _t, ...s3 } = config.storage;
    return createStorage({ type: 's3', ...s3, presignDownloads: config.presignDownloads });
  }
  return { type: 'local', root: path.resolve(config.dataDir, config.storage.root ?? 'storage') };
}

/**
 * Opens the library, builds the app and listens (`montu serve`). On a fresh data directory
 * with auth on, creates an admin and prints its generated password and API token once.
 * With auth off the server refuses to bind anywhere but loopback.
 */
export async function startServer(
  config: ServerConfig,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  if (!config.auth.enabled && !isLoopbackHost(config.host)) {
    throw new ValidationError(
      `Refusing to listen on ${config.host} without authentication: --no-auth is for a single user on this machine. ` +
        'Use --host 127.0.0.1, or turn authentication on.',
    );
  }
  const logger = options.logger ?? pino({ level: config.logLevel });
  const montu =
    options.montu ??
    (await openMontu({
      dataDir: config.dataDir,
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      storage: storageFor(config),
      limits: {
        maxFileBytes: config.limits.maxUploadBytes,
        uploadSessionRetentionSeconds: config.limits.uploadSessionRetentionSeconds,
      },
      ...(config.redisUrl
        ? {
            jobs: {
              redisUrl: config.redisUrl,
              work: config.work ?? false,
              // A Redis outage (and its end) in the server's log.
              log: (level: 'warn' | 'info', message: string) => logger[level](message),
            },
          }
        : {}),
    }));
  const print = options.print ?? ((line: string) => process.stderr.write(line + '\n'));
  let firstRun: RunningServer['firstRun'];
  if (config.auth.enabled) {
    const boot = await montu.users.bootstrapAdmin();
    if (boot) firstRun = { username: boot.user.username, password: boot.password, token: boot.token };
  }
  const app = await createServer({
    montu,
    config,
    logger,
    ...(options.queueDepth
      ? { queueDepth: options.queueDepth }
      : montu.jobs
        ? { queueDepth: () => montu.jobs!.counts() }
        : {}),
  });
  await app.listen({ host: config.host, port: config.port });
  // Shown once the server answers: a script that waits for the token can use it straight away.
  if (firstRun) {
    print('');
    print('  Montu: first run — an administrator was created. These are shown once; keep them safe.');
    print(`    username: ${firstRun.username}`);
    print(`    password: ${firstRun.password}`);
    print(`    API token: ${firstRun.token}`);
    print('');
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  logger.info(
    { url, config: describeConfig(config), library: montu.describe(), auth: config.auth.enabled },
    'montu server listening',
  );
  return {
    app,
    montu,
    url,
    port,
    ...(firstRun ? { firstRun } : {}),
    async close() {
      await app.close();
      if (!options.montu) await montu.close();
    },
  };
}

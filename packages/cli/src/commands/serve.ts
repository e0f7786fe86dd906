/** serve, config and worker: the long-running processes and their settings. */
import { Option, type Command } from 'commander';
import { loadCore } from '../core.js';
import { globals, resolveTarget } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { out, printJson, table } from '../format.js';
import { intArg } from '../options.js';
import { librarySettings, loadServerModule, type ServeFlags } from '../server-api.js';
import { serveWorkerHealth, WorkerReport } from '../worker-health.js';

/** Options shared by `serve` and `config` (everything `montu serve` can be told). */
function serverOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (JSON); flags beat MONTU_* variables, which beat the file')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port (default 8470; 0 picks a free one)', intArg(0))
    .addOption(new Option('--storage <type>', 'storage backend').choices(['local', 's3']))
    .option('--storage-root <dir>', 'folder of local storage (default <data-dir>/storage)')
    .option('--s3-bucket <bucket>', 'S3 bucket (credentials from MONTU_S3_ACCESS_KEY_ID/… or the AWS chain)')
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (MinIO, Ceph, …)')
    .option('--s3-region <region>', 'S3 region')
    .option('--s3-prefix <prefix>', 'key prefix inside the bucket')
    .option('--s3-force-path-style', 'path-style S3 addressing (MinIO, Ceph; MONTU_S3_FORCE_PATH_STYLE)')
    .option('--presign-downloads', 'redirect downloads to presigned S3 URLs')
    .option('--no-auth', 'single-user mode without tokens (binds to loopback only)')
    .option(
      '--trust-proxy [hops|cidrs]',
      'trust X-Forwarded-* from reverse proxies: a number of proxies in front (alone: 1), or their addresses/CIDR ranges, comma-separated',
    )
    .option('--max-upload-bytes <n>', 'largest accepted upload', intArg(1))
    .option(
      '--max-concurrent-uploads <n>',
      'upload requests one user may have in flight (default 8; 0 = no cap)',
      intArg(0),
    )
    .option('--redis-url <url>', 'Redis for the distributed job queue (scale mode)')
    .option('--work', 'scale mode: also work processing jobs in this server process (MONTU_WORK=1)')
    .addOption(
      new Option('--log-level <level>', 'log level').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    );
}

/** Only what was typed on the command line: defaults and environment are the server's to apply. */
function serveFlags(cmd: Command): ServeFlags {
  const flags: Record<string, unknown> = {};
  const opts = cmd.opts<Record<string, unknown>>();
  for (const [k, v] of Object.entries(opts)) {
    if (cmd.getOptionValueSource(k) === 'cli' && k !== 'json') flags[k] = v;
  }
  const g = globals(cmd);
  if (g.dataDir !== undefined) flags['dataDir'] = g.dataDir;
  if (g.databaseUrl !== undefined) flags['databaseUrl'] = g.databaseUrl;
  return flags as ServeFlags;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function registerServe(program: Command): void {
  serverOptions(
    program
      .command('serve')
      .description('run the Montu server (API, web app and, embedded, the job queue)')
      .addHelpText(
        'after',
        `
Examples:
  montu serve                                  # ./montu-data, http://127.0.0.1:8470
  montu serve --data-dir /srv/montu --host 0.0.0.0 --port 8470
  montu serve --database-url postgres://montu@db/montu --s3-bucket renders
  montu serve --no-auth                        # single user, loopback only

On a fresh data directory the server creates an admin and prints its token once.`,
      ),
  ).action(async (_f: unknown, cmd: Command) => {
    const server = await loadServerModule();
    const config = server.loadConfig(serveFlags(cmd));
    const running = await server.startServer(config);
    if (running.url) process.stderr.write(`montu: serving ${running.url} (Ctrl-C to stop)\n`);
    const signal = await waitForSignal();
    process.stderr.write(`montu: ${signal}: shutting down\n`);
    await running.close?.();
  });

  serverOptions(
    program
      .command('config')
      .description(
        'print the effective server settings (flags > MONTU_* environment > config file > defaults), secrets masked',
      )
      .option('--json', 'print the settings as JSON'),
  ).action(async (f: { json?: boolean }, cmd: Command) => {
    const server = await loadServerModule();
    const described = server.describeConfig(server.loadConfig(serveFlags(cmd)));
    if (f.json) return printJson(described);
    const rows: string[][] = [];
    const walk = (prefix: string, v: unknown) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [k, x] of Object.entries(v)) walk(prefix ? `${prefix}.${k}` : k, x);
      } else rows.push([prefix, v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v)]);
    };
    walk('', described);
    out(table(['SETTING', 'VALUE'], rows));
    const t = resolveTarget(globals(cmd));
    const core = await loadCore();
    out(
      `\nother commands act on: ${t.mode === 'remote' ? `server ${t.server}` : `data directory ${t.dataDir}${t.databaseUrl ? ` (database ${core.maskUrl(t.databaseUrl)})` : ''}`}`,
    );
  });

  program
    .command('worker')
    .description(
      "work media processing jobs: from Redis (MONTU_REDIS_URL, scale mode) or the library's own queue",
    )
    .option(
      '--redis-url <url>',
      'Redis of the job queue (default MONTU_REDIS_URL); without it the database queue',
    )
    .option('--concurrency <n>', 'jobs worked at once (default: number of cores)', intArg(1))
    .option(
      '--health-port <port>',
      'serve /healthz and /metrics on this port (0 picks a free one)',
      intArg(0),
    )
    .option('--health-host <host>', 'address of the health endpoint (default 127.0.0.1)')
    .addHelpText(
      'after',
      `
A worker needs the same database and storage as the server: run it on a shared data directory
or with --database-url (PostgreSQL) and the same storage settings. With Redis (BullMQ) any
number of workers on any machines share the queue; without it they share the database queue.`,
    )
    .action(
      async (
        f: { redisUrl?: string; concurrency?: number; healthPort?: number; healthHost?: string },
        cmd: Command,
      ) => {
        const redisUrl = f.redisUrl ?? (process.env['MONTU_REDIS_URL'] || undefined);
        const t = resolveTarget(globals(cmd));
        if (t.mode !== 'local') {
          throw new CliError(
            'montu worker works on the database and storage directly: give --data-dir or --database-url, not --server',
            EXIT.usage,
            'usage',
          );
        }
        const core = await loadCore();
        // Database and storage by the rule `montu serve` uses (flags > MONTU_* > config file), so a
        // worker and a server given the same settings open the same library.
        const g = globals(cmd);
        const s = await librarySettings(g, serveFlags(cmd));
        if (g.dataDir !== undefined && g.databaseUrl === undefined && s.databaseFrom !== 'data directory')
          process.stderr.write(
            `montu: note: the database is ${core.maskUrl(s.databaseUrl!)} (from the ${s.databaseFrom}), not ${g.dataDir}/montu.db; --data-dir holds local files only\n`,
          );
        const montu = await core.openMontu({
          dataDir: s.dataDir,
          ...(s.databaseUrl !== undefined ? { databaseUrl: s.databaseUrl } : {}),
          storage: s.storage,
          webhooks: { deliver: false },
          jobs: {
            work: true,
            log: (level, message) =>
              process.stderr.write(`montu: ${level === 'warn' ? 'warning: ' : ''}${message}\n`),
            ...(redisUrl ? { redisUrl } : {}),
            ...(f.concurrency !== undefined ? { concurrency: f.concurrency } : {}),
          },
        });
        // One line per job event of this process; the counters behind --health-port's /metrics.
        const report = new WorkerReport((line) => process.stderr.write(line + '\n'));
        const unsubscribe = montu.events.subscribe((e, origin) => {
          if (!origin.relayed) report.onEvent(e);
        });
        const queue = montu.jobs?.queue;
        const health =
          f.healthPort !== undefined
            ? await serveWorkerHealth(
                report,
                queue?.ping ? () => queue.ping!() : null,
                f.healthHost ?? '127.0.0.1',
                f.healthPort,
              )
            : null;
        const where = montu.describe();
        process.stderr.write(
          `montu: worker on ${where.database} (${where.storageBackend} storage ${where.storage}), queue ${redisUrl ? core.maskUrl(redisUrl) : 'in the database'}; Ctrl-C to stop\n`,
        );
        if (health) process.stderr.write(`montu: worker health on ${health.url}/healthz and /metrics\n`);
        const signal = await waitForSignal();
        process.stderr.write(`montu: ${signal}: handing running jobs back to the queue\n`);
        await health?.close();
        await montu.close();
        unsubscribe();
      },
    );
}

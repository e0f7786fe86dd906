/** storage: where a library's files are, and moving them to another backend (local → S3). */
import path from 'node:path';
import { Option, type Command } from 'commander';
import type * as Core from '@montu/core';
import { loadCore } from '../core.js';
import { globals, resolveTarget } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { formatBytes, out, printJson, table } from '../format.js';
import { intArg } from '../options.js';
import { librarySettings, loadServerModule, type ServeFlags } from '../server-api.js';

async function openLocal(
  cmd: Command,
  storageRoot: string | undefined,
): Promise<{ montu: Core.Montu; dataDir: string }> {
  const t = resolveTarget(globals(cmd));
  if (t.mode !== 'local')
    throw new CliError(
      'montu storage works on the database and storage directly: give --data-dir or --database-url',
      EXIT.usage,
      'usage',
    );
  // The database by the rule every command uses; the storage is the local folder being moved.
  const s = await librarySettings(globals(cmd));
  await (s.storage as { close?: () => Promise<void> }).close?.();
  const dataDir = s.dataDir;
  const core = await loadCore();
  const montu = await core.openMontu({
    dataDir,
    ...(s.databaseUrl !== undefined ? { databaseUrl: s.databaseUrl } : {}),
    storage: { type: 'local', root: path.resolve(dataDir, storageRoot ?? 'storage') },
    jobs: false,
    webhooks: { deliver: false },
  });
  return { montu, dataDir };
}

export function registerStorage(program: Command): void {
  const storage = program.command('storage').description("where the library's files are; move them to S3");
  storage
    .command('status')
    .description('files and bytes per storage backend')
    .option('--json', 'print as JSON')
    .action(async (f: { json?: boolean }, cmd: Command) => {
      const { montu } = await openLocal(cmd, undefined);
      try {
        const usage = await (await loadCore()).storageUsage(montu.db);
        if (f.json) return printJson(usage);
        out(
          table(
            ['BACKEND', 'FILES', 'SIZE'],
            Object.entries(usage).map(([b, u]) => [b, String(u.files), formatBytes(u.bytes)]),
            { right: [1, 2] },
          ),
        );
      } finally {
        await montu.close();
      }
    });
  storage
    .command('migrate')
    .description('copy every file to another backend, verifying sha256; resumable (run again to continue)')
    .addOption(new Option('--to <type>', 'target backend').choices(['s3']).makeOptionMandatory())
    .option('--storage-root <dir>', 'the local storage folder (default <data-dir>/storage)')
    .option(
      '--s3-bucket <bucket>',
      'S3 bucket (or MONTU_S3_BUCKET; credentials MONTU_S3_ACCESS_KEY_ID/… or the AWS chain)',
    )
    .option('--s3-endpoint <url>', 'S3-compatible endpoint (MinIO, Ceph, …)')
    .option('--s3-region <region>', 'S3 region')
    .option('--s3-prefix <prefix>', 'key prefix inside the bucket')
    .option('--s3-force-path-style', 'path-style addressing (MinIO, Ceph; or MONTU_S3_FORCE_PATH_STYLE=true)')
    .option('--delete-source', 'remove each local file once its copy is verified and recorded')
    .option('--concurrency <n>', 'files copied at once (default 4)', intArg(1))
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Stop the server and workers (or let them run: they keep reading the local copies), run the
migration until it reports no failures, then start every process with the S3 settings
(MONTU_STORAGE=s3, MONTU_S3_*). See docs/deploy.md and docs/decisions/023-storage-migration.md.`,
    )
    .action(
      async (
        f: {
          to: 's3';
          storageRoot?: string;
          s3Bucket?: string;
          s3Endpoint?: string;
          s3Region?: string;
          s3Prefix?: string;
          s3ForcePathStyle?: boolean;
          deleteSource?: boolean;
          concurrency?: number;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const server = await loadServerModule();
        const flags: ServeFlags = { storage: 's3' };
        if (f.s3Bucket) flags.s3Bucket = f.s3Bucket;
        if (f.s3Endpoint) flags.s3Endpoint = f.s3Endpoint;
        if (f.s3Region) flags.s3Region = f.s3Region;
        if (f.s3Prefix) flags.s3Prefix = f.s3Prefix;
        if (f.s3ForcePathStyle) flags.s3ForcePathStyle = true;
        const config = server.loadConfig(flags) as Record<string, unknown>;
        const s3 = config['storage'] as { type: 's3' } & Core.S3StorageConfig;
        const core = await loadCore();
        const target = core.createStorage({ ...s3, type: 's3' });
        const { montu } = await openLocal(cmd, f.storageRoot);
        try {
          let last = 0;
          const report = await core.migrateStorage(montu, target, {
            ...(f.deleteSource ? { deleteSource: true } : {}),
            ...(f.concurrency ? { concurrency: f.concurrency } : {}),
            onProgress: (p) => {
              if (f.json || Date.now() - last < 500) return;
              last = Date.now();
              process.stderr.write(
                `\r${p.copied + p.failed}/${p.total} files, ${formatBytes(p.bytes)}${p.failed ? `, ${p.failed} failed` : ''}   `,
              );
            },
          });
          if (!f.json) process.stderr.write('\n');
          if (f.json) printJson(report);
          else {
            out(
              `${report.copied} file(s) copied to ${target.location} (${formatBytes(report.bytes)}); ${report.alreadyMoved} were already there`,
            );
            for (const x of report.failures) out(`  failed: ${x.key}: ${x.error}`);
            if (report.failures.length === 0)
              out('every file is on S3: start the server and workers with the S3 settings now');
          }
          if (report.failures.length)
            throw new CliError(
              `${report.failures.length} file(s) not moved; fix them and run again`,
              EXIT.partial,
              'partial',
            );
        } finally {
          await montu.close();
          await (target as Core.StorageBackend).close?.();
        }
      },
    );
}

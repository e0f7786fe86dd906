/** verify: integrity scrubbing — re-read stored files and flag any whose sha256 no longer matches. */
import type { Command } from 'commander';
import { loadCore } from '../core.js';
import { globals, resolveTarget } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { EXIT } from '../errors.js';
import { formatBytes, out, printJson, table } from '../format.js';
import { librarySettings } from '../server-api.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      're-read stored files and flag (mark corrupt/missing) any whose sha256 no longer matches its record',
    )
    .option('--sample <n>', 'check N files chosen at random (e.g. a daily sample) instead of all')
    .option('--dry-run', 'only report; do not mark files')
    .option('--json', 'print the report as JSON')
    .action(async (f: { sample?: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const t = resolveTarget(globals(cmd));
      if (t.mode !== 'local')
        throw new UsageError(
          'verify reads storage directly: run it with --data-dir/--database-url on a machine that sees the storage',
        );
      let sample: number | 'all' = 'all';
      if (f.sample !== undefined && f.sample !== 'all') {
        const n = Number(f.sample);
        if (!Number.isSafeInteger(n) || n <= 0)
          throw new UsageError('--sample must be a positive whole number or "all"');
        sample = n;
      }
      const { openMontu } = await loadCore();
      // The library's own storage (MONTU_STORAGE=s3, MONTU_S3_*, config file), not a default folder.
      const s = await librarySettings(globals(cmd));
      const montu = await openMontu({
        dataDir: s.dataDir,
        ...(s.databaseUrl ? { databaseUrl: s.databaseUrl } : {}),
        storage: s.storage,
        jobs: false,
      });
      try {
        const r = await montu.maintenance.verify({ sample, dryRun: f.dryRun ?? false });
        if (f.json) printJson(r);
        else {
          const rows = [
            ...r.corrupt.map((c) => [
              'corrupt',
              c.key,
              c.mediaId,
              `expected ${c.expected.slice(0, 12)}…, got ${c.actual.slice(0, 12)}…`,
            ]),
            ...r.missing.map((m) => ['missing', m.key, m.mediaId, '']),
          ];
          if (rows.length) out(table(['PROBLEM', 'KEY', 'MEDIA', 'DETAIL'], rows));
          out(
            `${r.checked} file(s) checked on ${montu.describe().storage}, ${formatBytes(r.bytes)} read: ${r.corrupt.length} corrupt, ${r.missing.length} missing${r.dryRun || r.clean ? '' : ' (marked)'}`,
          );
        }
        if (!r.clean)
          throw new CliError(
            `${r.corrupt.length + r.missing.length} stored file(s) failed verification`,
            EXIT.partial,
          );
      } finally {
        await montu.close();
      }
    });
}

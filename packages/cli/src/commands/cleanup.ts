/** cleanup: orphaned and missing files (default) or superseded old versions (--old-days). */
import type { Command } from 'commander';
import { withBackend } from '../context.js';
import { UsageError } from '../errors.js';
import { formatBytes, out, printJson, table } from '../format.js';
import { intArg } from '../options.js';

export function registerCleanup(program: Command): void {
  program
    .command('cleanup')
    .description(
      'find (and with --apply fix) storage problems, or old superseded versions; a dry run by default',
    )
    .option('--apply', 'make the changes (without it nothing is changed)')
    .option(
      '--old-days <n>',
      'instead: versions older than N days that a newer version superseded',
      intArg(0),
    )
    .option('-p, --project <id>', 'the project for --old-days')
    .option('--delete', 'with --old-days: delete instead of archive')
    .option('--no-verify', 'orphan check: skip re-hashing stored files')
    .option('--json', 'print the report as JSON')
    .action(
      async (
        f: {
          apply?: boolean;
          oldDays?: number;
          project?: string;
          delete?: boolean;
          verify: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const dryRun = !f.apply;
        if (f.oldDays !== undefined) {
          if (!f.project) throw new UsageError('--old-days needs --project');
          await withBackend(cmd, async (b) => {
            const r = await b.cleanupOld(f.project!, {
              daysOld: f.oldDays!,
              dryRun,
              action: f.delete ? 'delete' : 'archive',
            });
            if (f.json) return printJson(r);
            const verb = r.action === 'delete' ? 'delete' : 'archive';
            if (r.candidates.length === 0) return out('nothing to clean up');
            out(
              table(
                ['ID', 'TASK', 'VERSION', 'CREATED', 'SIZE'],
                r.candidates.map((c) => [
                  c.id,
                  c.taskId,
                  c.version,
                  c.createdAt.slice(0, 10),
                  formatBytes(c.size),
                ]),
                { right: [4] },
              ),
            );
            out(
              r.dryRun
                ? `\ndry run: ${r.candidates.length} version(s) would be ${verb}d; run again with --apply`
                : `\n${r.candidates.length} version(s) ${verb}d`,
            );
          });
          return;
        }
        if (f.project || f.delete) throw new UsageError('--project and --delete go with --old-days');
        await withBackend(cmd, async (b) => {
          const r = await b.cleanupOrphans({ dryRun });
          if (f.json) return printJson(r);
          const rows: string[][] = [
            ...r.orphanFiles.map((k) => ['orphan file', k, r.dryRun ? 'would remove' : 'removed']),
            ...r.missingFiles.map((m) => [
              'missing file',
              `${m.key} (${m.mediaId} ${m.role})`,
              r.dryRun ? 'would mark missing' : 'marked missing',
            ]),
            ...r.corruptFiles.map((m) => [
              'corrupt file',
              `${m.key} (${m.mediaId} ${m.role})`,
              r.dryRun ? 'would mark corrupt' : 'marked corrupt',
            ]),
            ...r.temporaryFiles.map((k) => ['temporary file', k, r.dryRun ? 'would remove' : 'removed']),
          ];
          if (r.staleReservations) {
            rows.push([
              'stale version claims',
              String(r.staleReservations),
              r.dryRun ? 'would release' : 'released',
            ]);
          }
          if (rows.length === 0) return out('storage and database agree: nothing to clean up');
          out(table(['PROBLEM', 'WHAT', 'ACTION'], rows));
          if (r.dryRun) out('\ndry run: nothing changed; run again with --apply');
        });
      },
    );
}

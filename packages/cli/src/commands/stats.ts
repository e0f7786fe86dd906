/** stats: media counts, sizes, statuses, authors and versions per task. */
import type { Command } from 'commander';
import type { MediaStatistics } from '../backend.js';
import { withBackend } from '../context.js';
import { formatBytes, out, printJson, table } from '../format.js';

export function statsText(s: MediaStatistics): string {
  const parts: string[] = [];
  parts.push(
    table(
      ['', 'VALUE'],
      [
        ['project', s.projectId ?? '(all)'],
        ['media', String(s.totalMedia)],
        ['size of originals', `${formatBytes(s.totalSize)}`],
        ['tasks', String(s.versions.tasks)],
        ['versions per task', `${s.versions.averagePerTask} average, ${s.versions.maxPerTask} most`],
      ],
    ),
  );
  const counts = (title: string, rec: Record<string, number>) => {
    const rows = Object.entries(rec).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    if (rows.length)
      parts.push(
        table(
          [title, 'COUNT'],
          rows.map(([k, n]) => [k, String(n)]),
          { right: [1] },
        ),
      );
  };
  counts('TYPE', s.byType);
  counts('STATUS', s.byStatus);
  if (s.authors.length) {
    parts.push(
      table(
        ['AUTHOR', 'COUNT'],
        s.authors.map((a) => [a.author, String(a.count)]),
        { right: [1] },
      ),
    );
  }
  return parts.join('\n\n');
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('statistics of the library or one project (archived media not counted)')
    .option('-p, --project <id>', 'only this project')
    .option('--json', 'print the statistics as JSON')
    .action(async (f: { project?: string; json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        const s = await b.statistics(f.project !== undefined ? { projectId: f.project } : {});
        if (f.json) printJson(s);
        else out(statsText(s));
      });
    });
}

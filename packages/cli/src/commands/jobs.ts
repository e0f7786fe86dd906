/** jobs: media processing jobs (metadata, thumbnails, proxies) and retrying failed ones. */
import { Option, type Command } from 'commander';
import { JOB_STATES } from '@montu/domain';
import { withBackend } from '../context.js';
import { UsageError } from '../errors.js';
import { out, printJson, table } from '../format.js';
import { intArg } from '../options.js';

export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('media processing jobs (metadata, thumbnails, proxies)');
  jobs
    .command('list', { isDefault: true })
    .description('list jobs, newest first')
    .addOption(new Option('--state <state>', 'only jobs in this state').choices([...JOB_STATES]))
    .option('--media <id>', 'only jobs of this media item')
    .option('-n, --limit <n>', 'at most this many', intArg(1))
    .option('--json', 'print the jobs as a JSON array')
    .action(
      async (
        f: { state?: (typeof JOB_STATES)[number]; media?: string; limit?: number; json?: boolean },
        cmd: Command,
      ) => {
        await withBackend(cmd, async (b) => {
          const list = await b.listJobs({
            ...(f.state !== undefined ? { state: f.state } : {}),
            ...(f.media !== undefined ? { mediaId: f.media } : {}),
            ...(f.limit !== undefined ? { limit: f.limit } : {}),
          });
          if (f.json) return printJson(list);
          if (list.length === 0) return out('(no jobs)');
          out(
            table(
              ['ID', 'TYPE', 'STATE', 'MEDIA', 'ATTEMPTS', 'PROGRESS', 'UPDATED', 'ERROR'],
              list.map((j) => [
                j.id,
                j.type,
                j.state,
                j.mediaId ?? '-',
                `${j.attempts}/${j.maxAttempts}`,
                `${j.progress}%`,
                j.updatedAt.slice(0, 19).replace('T', ' '),
                (j.error ?? '').replace(/\s+/g, ' ').slice(0, 60),
              ]),
              { right: [4, 5] },
            ),
          );
        });
      },
    );
  jobs
    .command('retry')
    .description("queue failed jobs again (given ids, one media item's, or --all)")
    .argument('[ids...]', 'job ids')
    .option('--media <id>', 'the failed jobs of this media item')
    .option('--all', 'every failed job')
    .option('--json', 'print the re-queued jobs as JSON')
    .action(async (ids: string[], f: { media?: string; all?: boolean; json?: boolean }, cmd: Command) => {
      if (!ids.length && !f.media && !f.all) throw new UsageError('name job ids, --media ID or --all');
      await withBackend(cmd, async (b) => {
        const list = await b.retryJobs({
          ...(ids.length ? { ids } : {}),
          ...(f.media !== undefined ? { mediaId: f.media } : {}),
        });
        if (f.json) printJson(list);
        else out(`${list.length} job(s) queued again`);
      });
    });
}

/** get, search, versions, update, archive, restore, delete. */
import readline from 'node:readline/promises';
import { Option, type Command } from 'commander';
import type { Media, SearchMediaOptions } from '../backend.js';
import { withBackend } from '../context.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { out, printJson } from '../format.js';
import { dateArg, intArg, listArg, statusArg, typeArg } from '../options.js';
import { mediaDetail, mediaRows } from '../show.js';

interface SearchFlags {
  project?: string;
  task?: string;
  type?: SearchMediaOptions['mediaType'];
  author?: string;
  status?: SearchMediaOptions['status'];
  tag?: string[];
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
  all?: boolean;
  selected?: boolean;
  archived?: 'exclude' | 'include' | 'only';
  json?: boolean;
}

export function registerMedia(program: Command): void {
  program
    .command('get')
    .description('show one media item with its files')
    .argument('<id>', 'media id')
    .option('--json', 'print the media item as JSON')
    .action(async (id: string, flags: { json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        const m = await b.getMedia(id);
        if (flags.json) printJson(m);
        else out(mediaDetail(m));
      });
    });

  program
    .command('search')
    .description('find media: words match file name, description, tags, task and author')
    .argument('[query]', 'words to look for (prefix match)')
    .option('-p, --project <id>', 'only this project')
    .option('-t, --task <id>', 'only this task')
    .option('--type <type>', 'image, video, audio or sequence', typeArg)
    .option('--author <name>', 'only media by this author')
    .option(
      '--status <status>',
      'wip, pending_review, approved, changes_requested, rejected, on_hold',
      statusArg,
    )
    .option('--tag <tag>', 'must have this tag (repeat or comma-separate for several)', listArg)
    .option('--from <date>', 'created on or after (YYYY-MM-DD or ISO time)', dateArg)
    .option('--to <date>', 'created on or before (a bare date covers that day)', dateArg)
    .option('--selected', 'only versions selected for review')
    .addOption(
      new Option('--archived <which>', 'archived media')
        .choices(['exclude', 'include', 'only'])
        .default('exclude'),
    )
    .option('-n, --limit <n>', 'results per page (default 50)', intArg(1))
    .option('--cursor <cursor>', 'continue after a previous page (its nextCursor)')
    .option('--all', 'fetch every page')
    .option('--json', 'print { items, nextCursor } as JSON')
    .action(async (query: string | undefined, f: SearchFlags, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        const opts: SearchMediaOptions = {
          ...(query !== undefined ? { query } : {}),
          ...(f.project !== undefined ? { projectId: f.project } : {}),
          ...(f.task !== undefined ? { taskId: f.task } : {}),
          ...(f.type !== undefined ? { mediaType: f.type } : {}),
          ...(f.author !== undefined ? { author: f.author } : {}),
          ...(f.status !== undefined ? { status: f.status } : {}),
          ...(f.tag !== undefined ? { tags: f.tag } : {}),
          ...(f.from !== undefined ? { dateFrom: f.from } : {}),
          ...(f.to !== undefined ? { dateTo: f.to } : {}),
          ...(f.selected ? { reviewSelected: true } : {}),
          ...(f.archived !== undefined ? { archived: f.archived } : {}),
          ...(f.limit !== undefined ? { limit: f.limit } : {}),
          ...(f.cursor !== undefined ? { cursor: f.cursor } : {}),
        };
        const items: Media[] = [];
        let nextCursor: string | null = null;
        for (;;) {
          const page = await b.search(opts);
          items.push(...page.items);
          nextCursor = page.nextCursor;
          if (!f.all || !nextCursor) break;
          opts.cursor = nextCursor;
        }
        if (f.json) printJson({ items, nextCursor: f.all ? null : nextCursor });
        else {
          out(mediaRows(items));
          if (nextCursor && !f.all) out(`\nmore results: --cursor ${nextCursor} (or --all)`);
        }
      });
    });

  program
    .command('versions')
    .description('every version of a task, oldest first (* = selected for review)')
    .argument('<task>', 'task id, e.g. ep01_sq010_sh020_lighting')
    .option('-p, --project <id>', 'the project (needed when the task id exists in several)')
    .option('--archived', 'include archived versions')
    .option('--json', 'print the media items as a JSON array')
    .action(
      async (task: string, f: { project?: string; archived?: boolean; json?: boolean }, cmd: Command) => {
        await withBackend(cmd, async (b) => {
          const items = await b.versions(task, {
            ...(f.project !== undefined ? { projectId: f.project } : {}),
            ...(f.archived ? { includeArchived: true } : {}),
          });
          if (f.json) printJson(items);
          else out(mediaRows(items));
        });
      },
    );

  program
    .command('update')
    .description('change description, tags, review selection or status')
    .argument('<id>', 'media id')
    .option('-d, --description <text>', 'new description')
    .option('--tags <tags>', 'replace the tags (comma-separated; "" clears them)')
    .option('--add-tag <tag>', 'add tags (repeat or comma-separate)', listArg)
    .option('--remove-tag <tag>', 'remove tags (repeat or comma-separate)', listArg)
    .option('--select', 'select this version for review (unselects the others of its task)')
    .option('--unselect', 'take this version out of review selection')
    .option('--status <status>', 'move to this status (the workflow decides what is allowed)', statusArg)
    .option('-m, --comment <text>', 'comment recorded with a status change')
    .option('--json', 'print the updated item as JSON')
    .action(
      async (
        id: string,
        f: {
          description?: string;
          tags?: string;
          addTag?: string[];
          removeTag?: string[];
          select?: boolean;
          unselect?: boolean;
          status?: Media['status'];
          comment?: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        if (f.select && f.unselect) throw new UsageError('give --select or --unselect, not both');
        if (f.tags !== undefined && (f.addTag || f.removeTag))
          throw new UsageError('--tags replaces all tags: do not combine it with --add-tag/--remove-tag');
        const nothing = [f.description, f.tags, f.addTag, f.removeTag, f.select, f.unselect, f.status].every(
          (v) => v === undefined,
        );
        if (nothing)
          throw new UsageError(
            'nothing to update: give --description, --tags, --select, --unselect or --status',
          );
        await withBackend(cmd, async (b) => {
          let tags: string[] | undefined;
          if (f.tags !== undefined) tags = listArg(f.tags);
          else if (f.addTag || f.removeTag) {
            const current = await b.getMedia(id);
            const remove = new Set((f.removeTag ?? []).map((t) => t.toLowerCase()));
            tags = [...current.tags, ...(f.addTag ?? [])].filter((t) => !remove.has(t.toLowerCase()));
          }
          const m = await b.update(id, {
            ...(f.description !== undefined ? { description: f.description } : {}),
            ...(tags !== undefined ? { tags } : {}),
            ...(f.select ? { reviewSelected: true } : f.unselect ? { reviewSelected: false } : {}),
            ...(f.status !== undefined ? { approvalStatus: f.status } : {}),
            ...(f.comment !== undefined ? { comment: f.comment } : {}),
          });
          if (f.json) printJson(m);
          else out(mediaDetail(m));
        });
      },
    );

  for (const [name, what] of [
    ['archive', 'hide a media item from default listings (files and history stay)'],
    ['restore', 'bring an archived media item back'],
  ] as const) {
    program
      .command(name)
      .description(what)
      .argument('<id>', 'media id')
      .option('--json', 'print the item as JSON')
      .action(async (id: string, f: { json?: boolean }, cmd: Command) => {
        await withBackend(cmd, async (b) => {
          const m = name === 'archive' ? await b.archive(id) : await b.restore(id);
          if (f.json) printJson(m);
          else out(`${name === 'archive' ? 'archived' : 'restored'} ${m.id} (${m.taskId} ${m.version})`);
        });
      });
  }

  program
    .command('delete')
    .description('delete a media item, its notes and (unless --keep-files) its stored files')
    .argument('<id>', 'media id')
    .option('--keep-files', 'delete the record only; leave the stored files')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print { deleted, id } as JSON')
    .action(async (id: string, f: { keepFiles?: boolean; yes?: boolean; json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        const m = await b.getMedia(id);
        if (!f.yes) {
          if (!process.stdin.isTTY) {
            throw new UsageError('delete needs --yes when not run from a terminal');
          }
          const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
          const answer = await rl.question(
            `Delete ${m.taskId} ${m.version} (${m.fileName}, ${m.id})? [y/N] `,
          );
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('not deleted', EXIT.failure, 'cancelled');
        }
        await b.delete(id, { removeFiles: !f.keepFiles });
        if (f.json) printJson({ deleted: true, id, filesRemoved: !f.keepFiles });
        else out(`deleted ${id} (${m.taskId} ${m.version})${f.keepFiles ? ', files kept' : ''}`);
      });
    });
}

/** montu playlist list|create|show|add|remove|reorder|delete|export: review sessions. */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  EXPORT_FORMATS,
  type ExportFormat,
  type Playlist,
  type PlaylistPatch,
  type PlaylistWithItems,
} from '../backend.js';
import { withBackend } from '../context.js';
import { UsageError } from '../errors.js';
import { out, printJson, table } from '../format.js';
import { intArg } from '../options.js';

function formatArg(v: string): ExportFormat {
  const f = v.trim().toLowerCase();
  if (!(EXPORT_FORMATS as readonly string[]).includes(f))
    throw new InvalidArgumentError(`expected one of ${EXPORT_FORMATS.join(', ')}`);
  return f as ExportFormat;
}

function reviewDateArg(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(new Date(v).getTime()))
    throw new InvalidArgumentError('expected a date YYYY-MM-DD');
  return v;
}

export function playlistRows(items: Playlist[]): string {
  if (items.length === 0) return '(no playlists)';
  return table(
    ['ID', 'NAME', 'DATE', 'ITEMS', 'OWNER', 'UPDATED'],
    items.map((p) => [
      p.id,
      p.name,
      p.date ?? '-',
      String(p.itemCount),
      p.owner,
      p.updatedAt.slice(0, 16).replace('T', ' '),
    ]),
  );
}

export function playlistDetail(p: PlaylistWithItems): string {
  const head = [
    `playlist ${p.id}  ${p.name}`,
    `project  ${p.projectId}`,
    `date     ${p.date ?? '-'}`,
    `owner    ${p.owner}`,
    ...(p.description ? [`about    ${p.description}`] : []),
    '',
  ];
  const items =
    p.items.length === 0
      ? '(empty)'
      : table(
          ['#', 'MEDIA', 'TASK', 'VERSION', 'TYPE', 'STATUS'],
          p.items.map((i) => [
            String(i.position + 1),
            i.mediaId,
            i.media.taskId,
            i.media.version,
            i.media.mediaType,
            i.media.status,
          ]),
          { right: [0] },
        );
  return [...head, items].join('\n');
}

function done(p: PlaylistWithItems, json: boolean | undefined, what: string): void {
  if (json) printJson(p);
  else
    out(`${what}: playlist ${p.id} "${p.name}" has ${p.items.length} item${p.items.length === 1 ? '' : 's'}`);
}

export function registerPlaylists(program: Command): void {
  const pl = program
    .command('playlist')
    .alias('playlists')
    .description(
      'review sessions: ordered lists of versions, their notes and exports (CSV, HTML, PDF, OTIO)',
    );

  pl.command('list')
    .description('playlists of a project, newest first')
    .requiredOption('-p, --project <id>', 'project')
    .option('--json', 'print a JSON array')
    .action(async (f: { project: string; json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        const items = await b.listPlaylists(f.project);
        if (f.json) printJson(items);
        else out(playlistRows(items));
      });
    });

  pl.command('create')
    .description('create a playlist, optionally with media in order')
    .argument('<name>', 'playlist name, e.g. "Dailies 2024-05-02"')
    .argument('[media...]', 'media ids to put in it, in order')
    .requiredOption('-p, --project <id>', 'project')
    .option('--date <YYYY-MM-DD>', 'review date', reviewDateArg)
    .option('-d, --description <text>', 'description')
    .option('--json', 'print the playlist as JSON')
    .action(
      async (
        name: string,
        media: string[],
        f: { project: string; date?: string; description?: string; json?: boolean },
        cmd: Command,
      ) => {
        await withBackend(cmd, async (b) => {
          const p = await b.createPlaylist({
            projectId: f.project,
            name,
            ...(f.date !== undefined ? { date: f.date } : {}),
            ...(f.description !== undefined ? { description: f.description } : {}),
            ...(media.length ? { mediaIds: media } : {}),
          });
          done(p, f.json, 'created');
        });
      },
    );

  pl.command('show')
    .description('a playlist with its items in order')
    .argument('<id>', 'playlist id')
    .option('--json', 'print the playlist as JSON')
    .action(async (id: string, f: { json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        const p = await b.getPlaylist(id);
        if (f.json) printJson(p);
        else out(playlistDetail(p));
      });
    });

  pl.command('add')
    .description('add media to a playlist (at the end, or at --position)')
    .argument('<id>', 'playlist id')
    .argument('<media...>', 'media ids')
    .option('--position <n>', 'insert at this position (0 = first)', intArg(0))
    .option('--json', 'print the playlist as JSON')
    .action(async (id: string, media: string[], f: { position?: number; json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) =>
        done(
          await b.addToPlaylist(id, media, f.position !== undefined ? { position: f.position } : {}),
          f.json,
          'added',
        ),
      );
    });

  pl.command('remove')
    .description('take media out of a playlist')
    .argument('<id>', 'playlist id')
    .argument('<media...>', 'media ids')
    .option('--json', 'print the playlist as JSON')
    .action(async (id: string, media: string[], f: { json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        let p: PlaylistWithItems | undefined;
        for (const m of media) p = await b.removeFromPlaylist(id, m);
        done(p!, f.json, 'removed');
      });
    });

  pl.command('reorder')
    .alias('order')
    .description('put the items in a new order: list every item once')
    .argument('<id>', 'playlist id')
    .argument('<media...>', 'every media id of the playlist, in the new order')
    .option('--json', 'print the playlist as JSON')
    .action(async (id: string, media: string[], f: { json?: boolean }, cmd: Command) => {
      await withBackend(cmd, async (b) => done(await b.reorderPlaylist(id, media), f.json, 'reordered'));
    });

  pl.command('edit')
    .alias('rename')
    .description('rename, re-date or describe a playlist')
    .argument('<id>', 'playlist id')
    .option('-n, --name <name>', 'new name')
    .option('--date <YYYY-MM-DD>', 'new review date', reviewDateArg)
    .option('--no-date', 'clear the review date')
    .option('-d, --description <text>', 'new description')
    .option('--json', 'print the playlist as JSON')
    .action(
      async (
        id: string,
        f: { name?: string; date?: string | false; description?: string; json?: boolean },
        cmd: Command,
      ) => {
        // Commander gives `date: true` when neither --date nor --no-date was given.
        const patch: PlaylistPatch = {
          ...(f.name !== undefined ? { name: f.name } : {}),
          ...(typeof f.date === 'string' ? { date: f.date } : f.date === false ? { date: null } : {}),
          ...(f.description !== undefined ? { description: f.description } : {}),
        };
        if (Object.keys(patch).length === 0)
          throw new UsageError('give --name, --date, --no-date or --description');
        await withBackend(cmd, async (b) => done(await b.updatePlaylist(id, patch), f.json, 'edited'));
      },
    );

  pl.command('delete')
    .description('delete a playlist (its media and notes stay)')
    .argument('<id>', 'playlist id')
    .action(async (id: string, _f: unknown, cmd: Command) => {
      await withBackend(cmd, async (b) => {
        await b.deletePlaylist(id);
        out(`playlist ${id} deleted`);
      });
    });

  pl.command('export')
    .description('export notes (csv), a report with annotated frames (html, pdf) or the timeline (otio)')
    .argument('<id>', 'playlist id')
    .requiredOption('-o, --output <file>', 'file to write (- for stdout)')
    .option(
      '-f, --format <format>',
      `${EXPORT_FORMATS.join('|')} (default: from the file extension)`,
      formatArg,
    )
    .option('--only-playlist-notes', 'only notes made in this playlist')
    .action(
      async (
        id: string,
        f: { output: string; format?: ExportFormat; onlyPlaylistNotes?: boolean },
        cmd: Command,
      ) => {
        let format = f.format;
        if (!format) {
          const ext = path.extname(f.output).slice(1).toLowerCase();
          if (!(EXPORT_FORMATS as readonly string[]).includes(ext))
            throw new UsageError(
              `give --format ${EXPORT_FORMATS.join('|')} (cannot tell it from ${JSON.stringify(f.output)})`,
            );
          format = ext as ExportFormat;
        }
        await withBackend(cmd, async (b) => {
          const data = await b.exportPlaylist(
            id,
            format,
            f.onlyPlaylistNotes ? { onlyPlaylistNotes: true } : {},
          );
          if (f.output === '-') {
            process.stdout.write(data);
            return;
          }
          const tmp = `${f.output}.part-${process.pid}`;
          fs.writeFileSync(tmp, data);
          fs.renameSync(tmp, f.output);
          process.stderr.write(`wrote ${f.output} (${format}, ${data.length} bytes)\n`);
        });
      },
    );
}

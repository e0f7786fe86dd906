/** montu playlist, notes and webhooks: the same steps on a data directory and against `montu serve`. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ffmpeg, montu, spawnMontu, tempDir, type CliResult } from './helpers/cli.js';

interface PlaylistJson {
  id: string;
  projectId: string;
  name: string;
  date: string | null;
  owner: string;
  items: Array<{ position: number; mediaId: string }>;
}
interface NoteJson {
  id: string;
  frame: number | null;
  frameEnd: number | null;
  timecode: string | null;
  parentId: string | null;
  resolved: boolean;
  drawing: { shapes: unknown[] } | null;
  playlistId: string | null;
}

type Run = (...args: string[]) => Promise<CliResult>;

function steps(mode: string, ctx: () => { run: Run; work: string; owner: string }) {
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await ctx().run(...args, '--json');
    expect(r.stderr, `montu ${args.join(' ')}`).toBe('');
    expect(r.code, `montu ${args.join(' ')}`).toBe(0);
    return JSON.parse(r.stdout) as T;
  };

  describe(`montu playlist/notes/webhooks (${mode})`, () => {
    let ids: string[] = [];
    let playlistId: string;

    it('ingests three versions', async () => {
      const r = await json<{ ok: number; items: Array<{ mediaId: string; version: string }> }>(
        'ingest',
        '-p',
        'SWA',
        '-t',
        'sh010_comp',
        'a.mp4',
        'b.png',
        'c.png',
        '-j',
        '1',
      );
      expect(r.ok).toBe(3);
      ids = [...r.items].sort((x, y) => x.version.localeCompare(y.version)).map((i) => i.mediaId);
    });

    it('create, list, show, add, remove, reorder', async () => {
      const p = await json<PlaylistJson>(
        'playlist',
        'create',
        'Dailies',
        '--project',
        'SWA',
        '--date',
        '2024-05-02',
        ids[0]!,
      );
      expect(p).toMatchObject({ name: 'Dailies', projectId: 'SWA', date: '2024-05-02', owner: ctx().owner });
      expect(p.items.map((i) => i.mediaId)).toEqual([ids[0]]);
      playlistId = p.id;
      expect((await json<PlaylistJson[]>('playlist', 'list', '-p', 'SWA')).map((x) => x.id)).toEqual([
        playlistId,
      ]);
      const added = await json<PlaylistJson>('playlist', 'add', playlistId, ids[1]!, ids[2]!);
      expect(added.items.map((i) => i.mediaId)).toEqual(ids);
      const reordered = await json<PlaylistJson>(
        'playlist',
        'reorder',
        playlistId,
        ids[2]!,
        ids[0]!,
        ids[1]!,
      );
      expect(reordered.items.map((i) => i.mediaId)).toEqual([ids[2], ids[0], ids[1]]);
      const removed = await json<PlaylistJson>('playlist', 'remove', playlistId, ids[1]!);
      expect(removed.items.map((i) => i.mediaId)).toEqual([ids[2], ids[0]]);
      const listed = await json<Array<{ id: string; itemCount: number }>>('playlist', 'list', '-p', 'SWA');
      expect(listed.map((x) => [x.id, x.itemCount])).toEqual([[playlistId, 2]]);
      const table = await ctx().run('playlist', 'list', '-p', 'SWA');
      expect(table.stdout).toMatch(/ITEMS/);
      expect(table.stdout).toMatch(new RegExp(`${playlistId}\\s+Dailies\\s+2024-05-02\\s+2\\s`));
      const edited = await json<PlaylistJson>(
        'playlist',
        'edit',
        playlistId,
        '--name',
        'Dailies B',
        '--no-date',
      );
      expect([edited.name, edited.date]).toEqual(['Dailies B', null]);
      const redated = await json<PlaylistJson>('playlist', 'rename', playlistId, '--date', '2024-05-03');
      expect([redated.name, redated.date]).toEqual(['Dailies B', '2024-05-03']);
      const nothing = await ctx().run('playlist', 'edit', playlistId);
      expect([nothing.code, nothing.stderr]).toEqual([2, expect.stringContaining('give --name')]);
      const renamed = await json<PlaylistJson>('playlist', 'edit', playlistId, '-n', 'Dailies');
      expect(renamed.name).toBe('Dailies');
      const shown = await ctx().run('playlist', 'show', playlistId);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain('Dailies');
      expect(shown.stdout).toContain(ids[2]!);
      // Reorder must list every item once: a validation error, exit 5.
      expect((await ctx().run('playlist', 'reorder', playlistId, ids[0]!)).code).toBe(5);
      expect((await ctx().run('playlist', 'show', 'nope')).code).toBe(3);
    });

    it('notes: add on frames, reply, drawing, list filters, resolve, delete', async () => {
      const media = ids[0]!; // the movie
      const n1 = await json<NoteJson>('notes', 'add', media, '-m', 'pop on frame 12', '--frame', '12');
      expect(n1).toMatchObject({ frame: 12, frameEnd: null, resolved: false });
      // Timecode needs the probed frame rate: the server probes at once, local mode queues it.
      if (mode === 'remote' || n1.timecode !== null) expect(n1.timecode).toBe('00:00:00:12');
      const n2 = await json<NoteJson>(
        'notes',
        'add',
        media,
        '--text',
        'flicker',
        '--frame',
        '3',
        '--frame-end',
        '6',
        '--playlist',
        playlistId,
      );
      expect(n2).toMatchObject({ frame: 3, frameEnd: 6, playlistId });
      fs.writeFileSync(
        path.join(ctx().work, 'drawing.json'),
        JSON.stringify({
          version: 1,
          shapes: [{ type: 'line', color: '#ff0000', width: 0.01, from: { x: 0, y: 0 }, to: { x: 1, y: 1 } }],
        }),
      );
      const reply = await json<NoteJson>(
        'notes',
        'add',
        media,
        '-m',
        'agreed',
        '--reply-to',
        n1.id,
        '--drawing',
        'drawing.json',
      );
      expect(reply.parentId).toBe(n1.id);
      expect(reply.drawing?.shapes).toHaveLength(1);

      expect(await json<NoteJson[]>('notes', 'list', media)).toHaveLength(3);
      expect((await json<NoteJson[]>('notes', 'list', media, '--frame', '12')).map((n) => n.id)).toContain(
        n1.id,
      );
      expect((await json<NoteJson[]>('notes', 'list', media, '--frame', '5')).map((n) => n.id)).toEqual([
        n2.id,
      ]);
      expect((await json<NoteJson>('notes', 'resolve', n2.id)).resolved).toBe(true);
      const open = await json<NoteJson[]>('notes', 'list', media, '--unresolved');
      expect(open.map((n) => n.id)).not.toContain(n2.id);
      expect(open).toHaveLength(2);
      // `montu notes ID` still lists (list is the default subcommand).
      expect(await json<NoteJson[]>('notes', media)).toHaveLength(3);
      expect((await json<NoteJson>('notes', 'resolve', n2.id, '--reopen')).resolved).toBe(false);

      expect((await ctx().run('notes', 'delete', reply.id)).code).toBe(0);
      expect(await json<NoteJson[]>('notes', 'list', media)).toHaveLength(2);
      expect((await ctx().run('notes', 'add', media, '--frame-end', '3', '-m', 'x')).code).toBe(2);
      expect((await ctx().run('notes', 'add', media)).code).toBe(2);
    });

    it('exports csv, html, pdf and otio to files', async () => {
      const w = ctx().work;
      const r = await ctx().run('playlist', 'export', playlistId, '--format', 'csv', '-o', 'notes.csv');
      expect(r.code, r.stderr).toBe(0);
      const csv = fs.readFileSync(path.join(w, 'notes.csv'), 'utf8');
      expect(csv.split('\n')[0]).toMatch(/^position,task,version,media_id/);
      expect(csv).toContain('flicker');
      expect((await ctx().run('playlist', 'export', playlistId, '-o', 'report.html')).code).toBe(0);
      expect(fs.readFileSync(path.join(w, 'report.html'), 'utf8')).toMatch(/<html/i);
      expect(
        (await ctx().run('playlist', 'export', playlistId, '--format', 'pdf', '-o', 'report.pdf')).code,
      ).toBe(0);
      expect(fs.readFileSync(path.join(w, 'report.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
      expect(
        (await ctx().run('playlist', 'export', playlistId, '--format', 'otio', '-o', 'cut.otio')).code,
      ).toBe(0);
      const otio = JSON.parse(fs.readFileSync(path.join(w, 'cut.otio'), 'utf8')) as {
        OTIO_SCHEMA: string;
        tracks: { children: Array<{ children: Array<{ OTIO_SCHEMA: string }> }> };
      };
      expect(otio.OTIO_SCHEMA).toBe('Timeline.1');
      expect(otio.tracks.children[0]!.children.filter((c) => c.OTIO_SCHEMA.startsWith('Clip'))).toHaveLength(
        2,
      );
      expect((await ctx().run('playlist', 'export', playlistId, '-o', 'x.txt')).code).toBe(2);
    });

    it('status: hold and reopen', async () => {
      expect((await json<{ status: string }>('hold', ids[1]!, '-m', 'waiting for plate')).status).toBe(
        'on_hold',
      );
      expect((await json<{ status: string }>('reopen', ids[1]!)).status).toBe('wip');
    });

    it('webhooks: add, list, deliveries, delete', async () => {
      const h = await json<{ id: string; url: string; events: string[]; secret: string }>(
        'webhooks',
        'add',
        'http://192.0.2.1:9/hook',
        '--secret',
        'a-long-enough-secret',
        '--events',
        'media.status_changed,annotation.*',
        '--project',
        'SWA',
      );
      expect(h).toMatchObject({
        url: 'http://192.0.2.1:9/hook',
        events: ['media.status_changed', 'annotation.*'],
      });
      expect((await json<Array<{ id: string }>>('webhooks', 'list')).map((x) => x.id)).toEqual([h.id]);
      // An event after the webhook exists is recorded for it.
      await json('notes', 'add', ids[0]!, '-m', 'after the hook');
      const ds = await json<Array<{ eventType: string }>>('webhooks', 'deliveries', h.id);
      expect(ds.map((d) => d.eventType)).toContain('annotation.created');
      expect((await ctx().run('webhooks', 'delete', h.id)).code).toBe(0);
      expect(await json<unknown[]>('webhooks', 'list')).toEqual([]);
    });

    it('delete a playlist', async () => {
      expect((await ctx().run('playlist', 'delete', playlistId)).code).toBe(0);
      expect((await ctx().run('playlist', 'show', playlistId)).code).toBe(3);
    });
  });
}

function makeInputs(work: string): void {
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=64x48:rate=24',
    '-t',
    '1',
    '-pix_fmt',
    'yuv420p',
    path.join(work, 'a.mp4'),
  ]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=32x32', '-frames:v', '1', path.join(work, 'b.png')]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=48x32', '-frames:v', '1', path.join(work, 'c.png')]);
}

// Local mode: a data directory.
let localWork: string;
beforeAll(() => {
  ensureBuilt();
  localWork = tempDir('montu-pl-local-');
  makeInputs(localWork);
});
steps('local', () => ({
  work: localWork,
  owner: 'ana',
  run: (...args) =>
    montu(['--data-dir', path.join(localWork, 'data'), '--as', 'ana', ...args], { cwd: localWork }),
}));

// Remote mode: `montu serve` and its first-run admin token.
let remoteWork: string;
let server: ReturnType<typeof spawnMontu> | undefined;
let url: string;
let token: string;
beforeAll(async () => {
  remoteWork = tempDir('montu-pl-remote-');
  makeInputs(remoteWork);
  server = spawnMontu(
    ['--data-dir', path.join(remoteWork, 'data'), 'serve', '--port', '0', '--log-level', 'warn'],
    /montu: serving http:\/\/\S+/,
  );
  const out = await server.started;
  url = /montu: serving (http:\/\/\S+)/.exec(out)![1]!;
  token = /API token: (\S+)/.exec(out)![1]!;
});
afterAll(async () => {
  if (!server) return;
  server.child.kill('SIGINT');
  await new Promise((resolve) => server!.child.on('exit', resolve));
});
steps('remote', () => ({
  work: remoteWork,
  owner: 'admin',
  run: (...args) => montu(args, { cwd: remoteWork, env: { MONTU_SERVER: url, MONTU_TOKEN: token } }),
}));

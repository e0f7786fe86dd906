/** The built `montu` command against a temporary data directory (local mode). */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ffmpeg, makeSequence, montu, spawnMontu, tempDir } from './helpers/cli.js';

interface MediaJson {
  id: string;
  projectId: string;
  taskId: string;
  version: string;
  mediaType: string;
  status: string;
  tags: string[];
  description: string;
  reviewSelected: boolean;
  archivedAt: string | null;
  files: Array<{ role: string; frame: number | null }>;
  metadata: Record<string, unknown>;
}

let work: string;
let data: string;
const run = (...args: string[]) => montu(['--data-dir', data, '--as', 'ana', ...args], { cwd: work });
const json = async <T>(...args: string[]): Promise<T> => {
  const r = await run(...args, '--json');
  expect(r.stderr, `montu ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
};

beforeAll(() => {
  ensureBuilt();
  work = tempDir();
  data = path.join(work, 'data');
  const shot = path.join(work, 'SWA/ep01_sq010_sh020');
  fs.mkdirSync(path.join(shot, 'comp'), { recursive: true });
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=64x48:rate=24',
    '-t',
    '1',
    '-pix_fmt',
    'yuv420p',
    path.join(shot, 'comp/comp.mp4'),
  ]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=32x32', '-frames:v', '1', path.join(work, 'still.png')]);
  fs.writeFileSync(path.join(work, 'notes.txt'), 'not media\n');
  // 1001..1010 with 1004 and 1007 missing.
  makeSequence(path.join(shot, 'lighting'), 'beauty', [1001, 1002, 1003, 1005, 1006, 1008, 1009, 1010]);
});

describe('montu (local mode)', () => {
  let stillId: string;
  let seqId: string;

  it('ingests a file with --project/--task and reports it as JSON', async () => {
    const r = await json<{
      items: Array<{ status: string; mediaId: string; version: string; mediaType: string }>;
      ok: number;
      failed: number;
    }>(
      'ingest',
      '-p',
      'SWA',
      '-t',
      'ep01_sq010_sh020_comp',
      'still.png',
      '--tags',
      'wip,test',
      '-d',
      'first',
    );
    expect(r.ok).toBe(1);
    expect(r.failed).toBe(0);
    expect(r.items[0]).toMatchObject({ status: 'ok', version: 'v001', mediaType: 'image' });
    stillId = r.items[0]!.mediaId;
  });

  it('ingests a tree by template: a file and a sequence folder with gaps', async () => {
    const r = await json<{ items: Array<Record<string, unknown>>; ok: number }>(
      'ingest',
      '--template',
      '{project}/{episode}_{sequence}_{shot}/{task}/{*}',
      'SWA',
    );
    expect(r.ok).toBe(2);
    const seq = r.items.find((i) => i['kind'] === 'sequence')!;
    expect(seq).toMatchObject({
      status: 'ok',
      projectId: 'SWA',
      taskId: 'ep01_sq010_sh020_lighting',
      mediaType: 'sequence',
      frames: { count: 8, start: 1001, end: 1010, missing: [1004, 1007] },
    });
    seqId = seq['mediaId'] as string;
    const mov = r.items.find((i) => i['kind'] === 'file')!;
    expect(mov).toMatchObject({ taskId: 'ep01_sq010_sh020_comp', version: 'v002', mediaType: 'video' });
    const m = await json<MediaJson>('get', seqId);
    expect(m.mediaType).toBe('sequence');
    expect(m.files.filter((f) => f.role === 'frame')).toHaveLength(8);
  });

  it('ingests a sequence pattern (####) as one item', async () => {
    const r = await json<{ items: Array<Record<string, unknown>> }>(
      'ingest',
      '-p',
      'SWA',
      '-t',
      'ep01_sq010_sh020_lighting',
      'SWA/ep01_sq010_sh020/lighting/beauty.####.png',
    );
    expect(r.items).toHaveLength(1);
    expect(r.items[0]).toMatchObject({ kind: 'sequence', version: 'v002', frames: { count: 8 } });
  });

  it('prints a readable summary and plain progress lines without a TTY', async () => {
    const r = await run('ingest', '-p', 'SWA', '-t', 'ep01_sq010_sh020_comp', 'still.png');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/STATUS\s+PATH/);
    expect(r.stdout).toMatch(/1 item\(s\) ingested .* files\/s, .*\/s/);
    expect(r.stderr).toMatch(/^ok\s+still\.png -> ep01_sq010_sh020_comp v003/m);
  });

  it('exits 7 when some items fail and 5 when the only one is not media', async () => {
    const partial = await run('ingest', '-p', 'SWA', '-t', 'misc', 'still.png', 'notes.txt', '--json');
    expect(partial.code).toBe(7);
    const report = JSON.parse(partial.stdout) as {
      ok: number;
      failed: number;
      items: Array<{ status: string; error?: { code: string } }>;
    };
    expect(report).toMatchObject({ ok: 1, failed: 1 });
    expect(report.items.find((i) => i.status === 'failed')?.error?.code).toBe('validation_error');
    expect(partial.stderr).toMatch(/^montu: error: 1 of 2 item\(s\) failed$/m);

    const bad = await run('ingest', '-p', 'SWA', '-t', 'misc', 'notes.txt');
    expect(bad.code).toBe(5);
    expect(bad.stderr).toMatch(/^montu: error: notes\.txt: .*not a supported/m);
  });

  it('a taken --version is a conflict (4); a dry run changes nothing', async () => {
    const r = await run(
      'ingest',
      '-p',
      'SWA',
      '-t',
      'ep01_sq010_sh020_comp',
      '--version',
      'v001',
      'still.png',
    );
    expect(r.code).toBe(4);
    const dry = await json<{ dryRun: boolean; items: Array<{ status: string }> }>(
      'ingest',
      '-n',
      '-p',
      'SWA',
      '-t',
      'dry',
      'still.png',
    );
    expect(dry.dryRun).toBe(true);
    expect(dry.items[0]!.status).toBe('planned');
    expect((await json<{ items: unknown[] }>('search', '-t', 'dry')).items).toHaveLength(0);
  });

  it('ingest --wait makes metadata and a thumbnail; enqueued jobs wait for a worker otherwise', async () => {
    const r = await json<{ items: Array<{ mediaId: string }> }>(
      'ingest',
      '--wait',
      '-p',
      'PROC',
      '-t',
      'sh010_comp',
      'still.png',
    );
    const m = await json<MediaJson & { processingState: string }>('get', r.items[0]!.mediaId);
    expect(m.processingState).toBe('ready');
    expect(m.metadata).toMatchObject({ width: 32, height: 32 });
    expect(m.files.map((f) => f.role)).toContain('thumbnail');

    const queued = await json<{ items: Array<{ mediaId: string }> }>(
      'ingest',
      '-p',
      'PROC',
      '-t',
      'sh020_comp',
      'still.png',
    );
    const id = queued.items[0]!.mediaId;
    expect((await json<MediaJson & { processingState: string }>('get', id)).processingState).toBe('pending');
    const jobs = await json<Array<{ state: string; mediaId: string }>>('jobs', '--media', id);
    expect(jobs.map((j) => j.state)).toEqual(['queued']);
    // A worker on the same data directory works it.
    const w = spawnMontu(['--data-dir', data, 'worker', '--concurrency', '1'], /worker on/);
    await w.started;
    for (let i = 0; i < 100; i++) {
      const s = (await json<MediaJson & { processingState: string }>('get', id)).processingState;
      if (s === 'ready') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    w.child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => w.child.on('exit', resolve));
    expect(code).toBe(0);
    expect((await json<MediaJson & { processingState: string }>('get', id)).processingState).toBe('ready');
    // Out of the way of the counts below.
    for (const x of [id, r.items[0]!.mediaId]) expect((await run('delete', x, '--yes')).code).toBe(0);
  });

  it('searches with filters and pages with --all', async () => {
    const all = await json<{ items: MediaJson[]; nextCursor: string | null }>(
      'search',
      '--all',
      '--limit',
      '2',
    );
    expect(all.items.length).toBe(6);
    expect(all.nextCursor).toBeNull();
    const page = await json<{ items: MediaJson[]; nextCursor: string | null }>('search', '--limit', '2');
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).toBeTruthy();
    const seqs = await json<{ items: MediaJson[] }>('search', '--type', 'sequence', '--project', 'SWA');
    expect(seqs.items).toHaveLength(2);
    const tagged = await json<{ items: MediaJson[] }>('search', '--tag', 'test');
    expect(tagged.items.map((m) => m.id)).toEqual([stillId]);
    const words = await json<{ items: MediaJson[] }>('search', 'first');
    expect(words.items.map((m) => m.id)).toEqual([stillId]);
    const byAuthor = await json<{ items: MediaJson[] }>('search', '--author', 'nobody');
    expect(byAuthor.items).toHaveLength(0);
    const today = new Date().toISOString().slice(0, 10);
    expect(
      (await json<{ items: MediaJson[] }>('search', '--from', today, '--to', today, '--all')).items,
    ).toHaveLength(6);
    const human = await run('search', '-t', 'ep01_sq010_sh020_comp');
    expect(human.stdout).toMatch(/ID\s+PROJECT\s+TASK/);
  });

  it('lists versions of a task', async () => {
    const v = await json<MediaJson[]>('versions', 'ep01_sq010_sh020_comp');
    expect(v.map((m) => m.version)).toEqual(['v001', 'v002', 'v003']);
  });

  it('updates description, tags, selection and status', async () => {
    const m = await json<MediaJson>(
      'update',
      stillId,
      '-d',
      'better',
      '--add-tag',
      'hero',
      '--remove-tag',
      'wip',
      '--select',
    );
    expect(m).toMatchObject({ description: 'better', tags: ['hero', 'test'], reviewSelected: true });
    const none = await run('update', stillId);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^montu: error: nothing to update/);
  });

  it('runs the review workflow: submit, annotate, approve, reject needs a comment', async () => {
    expect((await json<MediaJson>('submit', stillId)).status).toBe('pending_review');
    const note = await json<{ frame: number; content: string; author: string }>(
      'annotate',
      seqId,
      '-m',
      'edge flicker',
      '--frame',
      '1005',
    );
    expect(note).toMatchObject({ frame: 1005, content: 'edge flicker', author: 'ana' });
    expect(await json<unknown[]>('notes', seqId)).toHaveLength(1);
    expect((await json<MediaJson>('approve', stillId, '-m', 'lovely')).status).toBe('approved');
    const again = await run('approve', stillId);
    expect(again.code).toBe(4);
    const noComment = await run('reject', seqId);
    expect(noComment.code).toBe(2);
    await json('submit', seqId);
    expect((await json<MediaJson>('reject', seqId, '-m', 'too dark')).status).toBe('rejected');
  });

  it('archives, restores and deletes', async () => {
    const [first] = await json<MediaJson[]>('versions', 'ep01_sq010_sh020_lighting');
    expect((await json<MediaJson>('archive', first!.id)).archivedAt).not.toBeNull();
    expect(await json<MediaJson[]>('versions', 'ep01_sq010_sh020_lighting')).toHaveLength(1);
    expect((await json<MediaJson>('restore', first!.id)).archivedAt).toBeNull();
    const noYes = await run('delete', first!.id);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/--yes/);
    expect((await run('delete', first!.id, '--yes')).code).toBe(0);
    const gone = await run('get', first!.id);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toBe(`montu: error: Media ${first!.id} does not exist.\n`);
    expect(gone.stdout).toBe('');
  });

  it('prints statistics as a table and as JSON', async () => {
    const s = await json<{ totalMedia: number; byType: Record<string, number> }>('stats', '--project', 'SWA');
    // comp: still v001, mp4 v002, still v003; lighting: sequence v002; misc: still v001.
    expect(s.totalMedia).toBe(5);
    expect(s.byType).toEqual({ image: 3, video: 1, sequence: 1 });
    const t = await run('stats', '-p', 'SWA');
    expect(t.stdout).toMatch(/media\s+5/);
    expect(t.stdout).toMatch(/TYPE\s+COUNT/);
  });

  it('cleanup is a dry run by default and fixes with --apply', async () => {
    const stray = path.join(data, 'storage', 'SWA', 'stray.bin');
    fs.mkdirSync(path.dirname(stray), { recursive: true });
    fs.writeFileSync(stray, 'x');
    const old = new Date(Date.now() - 3 * 3600_000);
    fs.utimesSync(stray, old, old);
    const dry = await json<{ dryRun: boolean; orphanFiles: string[] }>('cleanup');
    expect(dry.dryRun).toBe(true);
    expect(dry.orphanFiles).toContain('SWA/stray.bin');
    expect(fs.existsSync(stray)).toBe(true);
    const applied = await json<{ dryRun: boolean; orphanFiles: string[] }>('cleanup', '--apply');
    expect(applied.dryRun).toBe(false);
    expect(fs.existsSync(stray)).toBe(false);
    const old2 = await json<{ dryRun: boolean; candidates: unknown[] }>(
      'cleanup',
      '--old-days',
      '0',
      '--project',
      'SWA',
    );
    expect(old2.dryRun).toBe(true);
    expect(old2.candidates.length).toBeGreaterThan(0);
    expect((await run('cleanup', '--old-days', '3')).code).toBe(2);
  });

  it('manages users and tokens directly on the data directory', async () => {
    const u = await json<{ username: string; isAdmin: boolean }>(
      'users',
      'add',
      'bob',
      '--name',
      'Bob',
      '--admin',
    );
    expect(u).toMatchObject({ username: 'bob', isAdmin: true });
    expect((await run('users', 'set-role', 'bob', 'SWA', 'supervisor')).code).toBe(0);
    const list =
      await json<Array<{ username: string; memberships: Array<{ projectId: string; role: string }> }>>(
        'users',
      );
    expect(list.find((x) => x.username === 'bob')?.memberships).toEqual([
      { projectId: 'SWA', role: 'supervisor' },
    ]);
    const t = await json<{ id: string; token: string }>('tokens', 'create', 'ci', '--user', 'bob');
    expect(t.token).toMatch(/^montu_/);
    const tokens = await json<Array<{ id: string; revokedAt: string | null }>>(
      'tokens',
      'list',
      '--user',
      'bob',
    );
    expect(tokens.map((x) => x.id)).toEqual([t.id]);
    expect((await run('tokens', 'revoke', t.id)).code).toBe(0);
    expect(
      (await json<Array<{ revokedAt: string | null }>>('tokens', '--user', 'bob'))[0]!.revokedAt,
    ).not.toBeNull();
    const pipeline = await json<{ actForOthers: boolean }>(
      'tokens',
      'create',
      'publish-hook',
      '--user',
      'bob',
      '--act-for-others',
    );
    expect(pipeline.actForOthers).toBe(true);
    const noUser = await run('tokens', 'create', 'x');
    expect(noUser.code).toBe(2);
    expect((await run('users', 'disable', 'bob')).stdout).toMatch(/bob disabled/);
    expect((await run('users', 'set-role', 'bob', 'SWA', 'king')).code).toBe(2);
  });
});

describe('usage and errors', () => {
  it('--version, --help and unknown commands', async () => {
    expect((await montu(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const help = await montu(['ingest', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--template/);
    const unknown = await montu(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^montu: error: unknown command 'frobnicate'/);
    const badOpt = await montu(['search', '--limit', 'many']);
    expect(badOpt.code).toBe(2);
    expect(badOpt.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('ingest without a task is a usage error; --server and --data-dir together too', async () => {
    expect((await montu(['ingest', 'x.png'])).code).toBe(2);
    const both = await montu(['--server', 'http://127.0.0.1:1', '--data-dir', '/tmp/x', 'get', 'a']);
    expect(both.code).toBe(2);
  });

  it('an unreachable server is one clear line, exit 1', async () => {
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((resolve) => srv.close(resolve));
    const r = await montu(['get', 'abc', '--server', `http://127.0.0.1:${port}`, '--token', 't']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `montu: error: cannot reach the Montu server at http://127.0.0.1:${port}: ECONNREFUSED\n`,
    );
  });

  it('worker refuses remote mode', async () => {
    const r = await montu(['worker', '--server', 'http://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--data-dir or --database-url/);
  });
});

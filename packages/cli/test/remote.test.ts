/** The same commands against `montu serve` through the REST API (--server/--token). */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cuttingProxy, patchOffsets } from '../../client/test/helpers/cutting-proxy.js';
import { ensureBuilt, ffmpeg, makeSequence, montu, spawnMontu, tempDir } from './helpers/cli.js';

interface MediaJson {
  id: string;
  taskId: string;
  version: string;
  mediaType: string;
  status: string;
  author: string;
  description: string;
  tags: string[];
  reviewSelected: boolean;
  archivedAt: string | null;
  files: Array<{ role: string }>;
}

let work: string;
let server: ReturnType<typeof spawnMontu>;
let url: string;
let token: string;
const run = (...args: string[]) => montu(args, { cwd: work, env: { MONTU_SERVER: url, MONTU_TOKEN: token } });
const json = async <T>(...args: string[]): Promise<T> => {
  const r = await run(...args, '--json');
  expect(r.stderr, `montu ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
};

beforeAll(async () => {
  ensureBuilt();
  work = tempDir('montu-remote-');
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=64x48:rate=25',
    '-t',
    '1',
    '-pix_fmt',
    'yuv420p',
    path.join(work, 'comp.mp4'),
  ]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=32x32', '-frames:v', '1', path.join(work, 'still.png')]);
  makeSequence(path.join(work, 'renders'), 'beauty', [1001, 1002, 1003, 1005]);
  server = spawnMontu(
    ['--data-dir', path.join(work, 'data'), 'serve', '--port', '0', '--log-level', 'warn'],
    /montu: serving http:\/\/\S+/,
  );
  const out = await server.started;
  url = /montu: serving (http:\/\/\S+)/.exec(out)![1]!;
  token = /API token: (\S+)/.exec(out)![1]!;
});

afterAll(async () => {
  if (!server) return;
  server.child.kill('SIGINT');
  await new Promise((resolve) => server.child.on('exit', resolve));
});

describe('montu (remote mode)', () => {
  let id: string;

  it('ingests a file (streamed multipart) and a sequence (frames upload)', async () => {
    const r = await json<{
      ok: number;
      items: Array<{ mediaId: string; kind: string; mediaType: string; version: string }>;
    }>(
      'ingest',
      '-p',
      'SWA',
      '-t',
      'sh010_comp',
      'comp.mp4',
      'still.png',
      'renders',
      '--tags',
      'remote',
      '-j',
      '1',
    );
    expect(r.ok).toBe(3);
    expect(r.items.map((i) => i.mediaType).sort()).toEqual(['image', 'sequence', 'video']);
    id = r.items.find((i) => i.mediaType === 'video')!.mediaId;
    const m = await json<MediaJson>('get', id);
    expect(m).toMatchObject({ author: 'admin', tags: ['remote'], mediaType: 'video' });
  });

  it('search, versions, update, review, notes, stats', async () => {
    expect((await json<{ items: MediaJson[] }>('search', '--tag', 'remote', '--all')).items).toHaveLength(3);
    expect((await json<{ items: MediaJson[] }>('search', '--type', 'sequence')).items).toHaveLength(1);
    expect((await json<MediaJson[]>('versions', 'sh010_comp')).map((m) => m.version)).toEqual([
      'v001',
      'v002',
      'v003',
    ]);
    expect(await json<MediaJson>('update', id, '-d', 'over http', '--select')).toMatchObject({
      description: 'over http',
      reviewSelected: true,
    });
    expect((await json<MediaJson>('submit', id)).status).toBe('pending_review');
    expect((await json<MediaJson>('approve', id, '-m', 'ok')).status).toBe('approved');
    expect(await json<{ frame: number }>('annotate', id, '-m', 'hi', '--frame', '12')).toMatchObject({
      frame: 12,
    });
    expect(await json<unknown[]>('notes', id)).toHaveLength(1);
    expect((await json<{ totalMedia: number }>('stats', '-p', 'SWA')).totalMedia).toBe(3);
    expect((await run('stats')).code).toBe(2);
  });

  it('archive, restore, cleanup (admin), delete', async () => {
    expect((await json<MediaJson>('archive', id)).archivedAt).not.toBeNull();
    expect((await json<MediaJson>('restore', id)).archivedAt).toBeNull();
    expect((await json<{ dryRun: boolean }>('cleanup')).dryRun).toBe(true);
    expect((await json<{ dryRun: boolean }>('cleanup', '--old-days', '0', '-p', 'SWA')).dryRun).toBe(true);
    expect((await run('delete', id, '--yes')).code).toBe(0);
    const gone = await run('get', id);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/^montu: error: Media .* does not exist\. \(HTTP 404\)\n$/);
  });

  it('users and tokens; a bad or revoked token exits 6', async () => {
    expect(await json<{ username: string }>('users', 'add', 'bob')).toMatchObject({ username: 'bob' });
    expect((await run('users', 'set-role', 'bob', 'SWA', 'artist')).code).toBe(0);
    expect((await json<Array<{ username: string }>>('users')).map((u) => u.username).sort()).toEqual([
      'admin',
      'bob',
    ]);
    const t = await json<{ id: string; token: string }>('tokens', 'create', 'ci');
    expect(t.token).toMatch(/^montu_/);
    // A pipeline token for a service user, made by the admin over the API.
    const hook = await json<{ token: string; actForOthers: boolean }>(
      'tokens',
      'create',
      'publish-hook',
      '--user',
      'bob',
      '--act-for-others',
    );
    expect(hook.actForOthers).toBe(true);
    const named = await montu(['search', '--server', url, '--token', hook.token, '--json']);
    expect(named.code).toBe(0);
    const withNew = await montu(['search', '--server', url, '--token', t.token, '--json']);
    expect(withNew.code).toBe(0);
    expect((await run('tokens', 'revoke', t.id)).code).toBe(0);
    const revoked = await montu(['search', '--server', url, '--token', t.token]);
    expect(revoked.code).toBe(6);
    expect(revoked.stderr.trim().split('\n')).toHaveLength(1);
    const noToken = await montu(['search', '--server', url]);
    expect(noToken.code).toBe(6);
  });

  it('a conflicting version is exit 4, a non-media file exit 5', async () => {
    expect(
      (await run('ingest', '-p', 'SWA', '-t', 'sh010_comp', '--version', 'v002', 'still.png')).code,
    ).toBe(4);
    fs.writeFileSync(path.join(work, 'notes.txt'), 'hello');
    expect((await run('ingest', '-p', 'SWA', '-t', 'sh010_comp', 'notes.txt')).code).toBe(5);
  });

  it('a file larger than the read buffers arrives byte for byte', async () => {
    // 9 MiB + 7 after a real PNG: several reads into the reused 2 MiB buffers, an odd last one.
    const file = path.join(work, 'padded.png');
    const bytes = Buffer.concat([fs.readFileSync(path.join(work, 'still.png')), randomBytes((9 << 20) + 7)]);
    fs.writeFileSync(file, bytes);
    const r = await json<{ ok: number; items: Array<{ mediaId: string }> }>(
      'ingest',
      '-p',
      'SWA',
      '-t',
      'sh020_big',
      'padded.png',
    );
    expect(r.ok).toBe(1);
    const m = await json<MediaJson & { sha256: string; fileSize?: number }>('get', r.items[0]!.mediaId);
    expect(m.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    fs.rmSync(file);
  });

  it('a file of 128 MiB or more goes up by tus, and resumes where a cut connection stopped', async () => {
    const file = path.join(work, 'plate.png');
    const bytes = Buffer.concat([
      fs.readFileSync(path.join(work, 'still.png')),
      randomBytes((130 << 20) + 3),
    ]);
    fs.writeFileSync(file, bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const tusUploads = async () => {
      const metrics = await (
        await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
      ).text();
      return Number(/montu_uploads_total\{kind="tus",result="ok"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    };
    const before = await tusUploads();
    const plain = await json<{ ok: number; items: Array<{ mediaId: string }> }>(
      'ingest',
      '-p',
      'SWA',
      '-t',
      'sh030_plate',
      'plate.png',
    );
    expect(plain.ok).toBe(1);
    expect((await json<{ sha256: string }>('get', plain.items[0]!.mediaId)).sha256).toBe(sha);
    expect(await tusUploads()).toBe(before + 1);

    // Through a proxy that cuts the first connection carrying more than 40 MiB to the server.
    const proxy = await cuttingProxy(url, 40 << 20);
    try {
      const via = proxy.url;
      const r = await montu(['ingest', '-p', 'SWA', '-t', 'sh031_plate', 'plate.png', '--json'], {
        cwd: work,
        env: { MONTU_SERVER: via, MONTU_TOKEN: token },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(proxy.cut).toBe(true);
      // It asked how far the server got, and sent the rest from there (not from the start).
      expect(proxy.heads.some((h) => h.startsWith('HEAD /api/v1/uploads/'))).toBe(true);
      const offsets = patchOffsets(proxy.heads);
      expect(offsets[0]).toBe(0);
      expect(offsets.at(-1)).toBeGreaterThan(0);
      const resumed = JSON.parse(r.stdout) as { ok: number; items: Array<{ mediaId: string }> };
      expect((await json<{ sha256: string }>('get', resumed.items[0]!.mediaId)).sha256).toBe(sha);
    } finally {
      await proxy.close();
      fs.rmSync(file);
    }
  });

  it('a large upload the server refuses early reports the refusal, not a reset socket', async () => {
    // 64 MiB of text: the server refuses it after sniffing the head, long before the CLI has
    // sent it all; the CLI must report that answer (exit 5), not the closed connection.
    const big = path.join(work, 'big.txt');
    const line = Buffer.alloc(1 << 20, 'not media at all\n');
    const fd = fs.openSync(big, 'w');
    for (let i = 0; i < 64; i++) fs.writeSync(fd, line);
    fs.closeSync(fd);
    const r = await run('ingest', '-p', 'SWA', '-t', 'sh010_comp', 'big.txt', '--json');
    expect(r.code).toBe(5);
    expect(r.stdout + r.stderr).not.toMatch(/cannot reach|ECONNRESET|EPIPE/);
    fs.rmSync(big);
  });

  it('an upload to a server that is gone is exit 1 (unreachable)', async () => {
    const r = await montu(['ingest', '-p', 'SWA', '-t', 'sh010_comp', 'still.png'], {
      cwd: work,
      env: { MONTU_SERVER: 'http://127.0.0.1:9', MONTU_TOKEN: token },
    });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(
      /cannot reach the Montu server at http:\/\/127\.0\.0\.1:9: ECONNREFUSED/,
    );
  });
});

describe('montu (remote mode) against a server with a small upload limit', () => {
  let small: ReturnType<typeof spawnMontu>;
  let smallUrl: string;
  let smallToken: string;
  beforeAll(async () => {
    small = spawnMontu(
      [
        '--data-dir',
        path.join(work, 'data-small'),
        'serve',
        '--port',
        '0',
        '--log-level',
        'warn',
        '--max-upload-bytes',
        '1000000',
      ],
      /montu: serving http:\/\/\S+/,
    );
    const out = await small.started;
    smallUrl = /montu: serving (http:\/\/\S+)/.exec(out)![1]!;
    smallToken = /API token: (\S+)/.exec(out)![1]!;
  });
  afterAll(async () => {
    if (!small) return;
    small.child.kill('SIGINT');
    await new Promise((resolve) => small.child.on('exit', resolve));
  });

  it('a body over the limit is refused before it is sent (Expect: 100-continue), and reported', async () => {
    const env = { MONTU_SERVER: smallUrl, MONTU_TOKEN: smallToken };
    const big = path.join(work, 'over-limit.png');
    fs.writeFileSync(
      big,
      Buffer.concat([fs.readFileSync(path.join(work, 'still.png')), Buffer.alloc(3 << 20)]),
    );
    const r = await montu(['ingest', '-p', 'LIM', '-t', 'sh010_comp', 'over-limit.png'], { cwd: work, env });
    expect(r.code).not.toBe(0);
    // This wording comes only from the answer to Expect (the head, before any of the body).
    expect(r.stdout + r.stderr).toMatch(/larger than the limit of 1000000 bytes/);
    expect(r.stdout + r.stderr).not.toMatch(/cannot reach|ECONNRESET|EPIPE/);
    fs.rmSync(big);
  });
});

/**
 * Float renditions of sequence frames (decision 217): `GET /media/:id/files/frames/:frame/float`
 * makes a frame's half floats from that frame's EXR on the first request, stores and records
 * them (checksummed), and serves the stored file afterwards.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halfToFloat, parseFloatImage } from '@montu/domain';
import { CHART, writeChartExr } from '../../core/test/helpers/float-images.js';
import {
  call,
  DATABASES,
  makePng,
  seedWorld,
  startTestServer,
  type TestServer,
  type World,
} from './helpers.js';

const OIIOTOOL = existsSync('/usr/bin/oiiotool') ? '/usr/bin/oiiotool' : null;
const PATCH = 8;

interface FileJson {
  role: string;
  frame: number | null;
  sha256: string;
  size: number;
  state: string;
  info: Record<string, unknown> | null;
}

describe.skipIf(!OIIOTOOL).each(DATABASES)('frame float renditions on %s', (kind) => {
  let t: TestServer;
  let w: World;
  let sequence: string;
  beforeAll(async () => {
    t = await startTestServer(kind, {}, { processing: true });
    w = await seedWorld(t);
    // Three frames of the chart: frame 1001 + k holds the chart × (k + 1), so each frame differs.
    const frames = [1001, 1002, 1003].map((n) => {
      const f = path.join(t.dir, `plate.${n}.exr`);
      writeChartExr(OIIOTOOL!, f, PATCH);
      return f;
    });
    for (const [i, f] of frames.entries())
      if (i > 0) execFileSync(OIIOTOOL!, [f, '--mulc', String(i + 1), '-d', 'half', '-o', f]);
    sequence = await t.montu.sequences.uploadSequence({
      projectId: 'SWA',
      taskId: 'sh010_comp',
      author: 'artist',
      source: frames,
      wait: true,
    });
  });
  afterAll(async () => t?.close());

  const url = (id: string, frame: number | string) => `${t.api}/media/${id}/files/frames/${frame}/float`;
  const files = async (id: string) =>
    ((await (await call(`${t.api}/media/${id}`, w.users.artist.token)).json()) as { files: FileJson[] })
      .files;

  it("makes a frame's half floats from that frame's file, records and checksums them", async () => {
    expect((await files(sequence)).some((f) => f.role === 'frame_float')).toBe(false);
    const r = await call(url(sequence, 1002), w.users.artist.token);
    expect(r.status).toBe(200);
    const body = Buffer.from(await r.arrayBuffer());
    const { header, payload } = parseFloatImage(new Uint8Array(body));
    expect(header).toMatchObject({
      kind: 'image',
      width: 6 * PATCH,
      height: 4 * PATCH,
      values: 'scene_linear',
    });
    const raw = zlib.inflateSync(payload);
    expect(raw.length).toBe(6 * PATCH * 4 * PATCH * 3 * 2);
    // Frame 1002 is the chart × 2: every pixel, within half precision.
    let worst = 0;
    for (let y = 0; y < 4 * PATCH; y++)
      for (let x = 0; x < 6 * PATCH; x++) {
        const want = CHART[Math.floor(y / PATCH) * 6 + Math.floor(x / PATCH)]!;
        for (let c = 0; c < 3; c++) {
          const got = halfToFloat(raw.readUInt16LE(((y * 6 * PATCH + x) * 3 + c) * 2));
          worst = Math.max(worst, Math.abs(got - want[c]! * 2) / Math.max(want[c]! * 2, 1e-3));
        }
      }
    expect(worst).toBeLessThan(2 ** -9);
    const made = (await files(sequence)).filter((f) => f.role === 'frame_float');
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({
      frame: 1002,
      state: 'ready',
      size: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      info: { width: 6 * PATCH, height: 4 * PATCH, values: 'scene_linear' },
    });
    expect(r.headers.get('etag')).toBe(`"${made[0]!.sha256}"`);
    // The second request is served from storage: the same file, the same record.
    const again = await call(url(sequence, 1002), w.users.artist.token, {
      headers: { 'if-none-match': r.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    expect((await files(sequence)).filter((f) => f.role === 'frame_float')).toEqual(made);
  });

  it('two first requests of one frame leave one record; each frame is its own picture', async () => {
    const [a, b, first] = await Promise.all([
      call(url(sequence, 1003), w.users.artist.token),
      call(url(sequence, 1003), w.users.artist.token),
      call(url(sequence, 1001), w.users.artist.token),
    ]);
    expect([a.status, b.status, first.status]).toEqual([200, 200, 200]);
    const bytes = [a, b, first].map(async (r) => Buffer.from(await r.arrayBuffer()));
    const [ab, bb, fb] = await Promise.all(bytes);
    expect(ab!.equals(bb!)).toBe(true);
    expect(ab!.equals(fb!)).toBe(false);
    const made = (await files(sequence)).filter((f) => f.role === 'frame_float');
    expect(made.map((f) => f.frame).sort()).toEqual([1001, 1002, 1003]);
  });

  it('400 for a frame outside the sequence or not a number, 404 for a still and 8-bit frames', async () => {
    for (const frame of [1000, 1004, -1, 'abc', '1001.5']) {
      const r = await call(url(sequence, frame), w.users.artist.token);
      expect(r.status, String(frame)).toBe(400);
    }
    const outside = (await (await call(url(sequence, 1004), w.users.artist.token)).json()) as {
      detail: string;
    };
    expect(outside.detail).toMatch(/Frame 1004 is outside this sequence \(frames 1001–1003\)/);
    const still = await t.montu.media.uploadMedia({
      filePath: path.join(t.dir, 'plate.1001.exr'),
      projectId: 'SWA',
      taskId: 'sh020_comp',
      author: 'artist',
      wait: true,
    });
    const r = await call(url(still, 1), w.users.artist.token);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { detail: string }).detail).toMatch(/not an image sequence/);
    const pngs = await Promise.all([1, 2].map((n) => makePng(path.join(t.dir, `eight.${n}.png`))));
    const eight = await t.montu.sequences.uploadSequence({
      projectId: 'SWA',
      taskId: 'sh030_comp',
      author: 'artist',
      source: pngs,
      wait: true,
    });
    const e = await call(url(eight, 1), w.users.artist.token);
    expect(e.status).toBe(404);
    expect(((await e.json()) as { detail: string }).detail).toMatch(/8-bit/);
    expect((await call(url(sequence, 1001), w.users.outsider.token)).status).toBe(404);
  });
});

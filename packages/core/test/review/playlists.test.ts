import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  extractVideoFrame,
  parseCsv,
  parseDrawing,
  renderAnnotatedFrame,
  timecodeToFrame,
  CSV_COLUMNS,
} from '../../src/index.js';
import { DATABASES } from '../helpers/env.js';
import { makeMovie, reviewFixture, type ReviewFixture } from './helpers.js';
import { TOOLS } from '../media/helpers.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/reference.otio');

/** Every OTIO object in `doc` must carry exactly the fields the reference file gives its schema, with the same JSON types. */
function validateOtio(doc: unknown): string[] {
  const ref = new Map<string, Record<string, unknown>>();
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(collect);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o['OTIO_SCHEMA'] === 'string' && !ref.has(o['OTIO_SCHEMA'])) ref.set(o['OTIO_SCHEMA'], o);
      Object.values(o).forEach(collect);
    }
  };
  collect(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
  const errors: string[] = [];
  const kind = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);
  const check = (v: unknown, at: string): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => check(x, `${at}[${i}]`));
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    const schema = o['OTIO_SCHEMA'];
    if (typeof schema === 'string') {
      const r = ref.get(schema);
      if (!r) errors.push(`${at}: unknown schema ${schema}`);
      else {
        const a = Object.keys(o).sort().join(','),
          b = Object.keys(r).sort().join(',');
        if (a !== b) errors.push(`${at} (${schema}): fields ${a} ≠ ${b}`);
        for (const k of Object.keys(r))
          if (r[k] !== null && kind(o[k]) !== kind(r[k]))
            errors.push(`${at}.${k}: ${kind(o[k])} ≠ ${kind(r[k])}`);
      }
    }
    for (const [k, x] of Object.entries(o)) if (k !== 'metadata') check(x, `${at}.${k}`);
  };
  check(doc, '$');
  return errors;
}

/** A lossless movie whose frame N is solid grey N*8: frame identity can be read back from pixels. */
function makeCountingMovie(dir: string, frames = 30): string {
  const file = path.join(dir, 'count.mkv');
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'color=c=black:s=32x16:r=24000/1001',
    '-vf',
    "format=rgb24,geq=r='N*8':g='N*8':b='N*8'",
    '-frames:v',
    String(frames),
    '-c:v',
    'ffv1',
    '-pix_fmt',
    'bgr0',
    file,
  ]);
  return file;
}

describe('rendering', () => {
  it('draws strokes where the normalised coordinates say', async () => {
    const base = await sharp({
      create: { width: 200, height: 100, channels: 3, background: { r: 0, g: 0, b: 255 } },
    })
      .png()
      .toBuffer();
    const drawing = parseDrawing({
      shapes: [
        { type: 'line', color: '#ff0000', width: 0.06, from: { x: 0.1, y: 0.5 }, to: { x: 0.9, y: 0.5 } },
        {
          type: 'freehand',
          color: '#00ff00',
          width: 0.06,
          points: [
            { x: 0.25, y: 0.1 },
            { x: 0.25, y: 0.3, pressure: 1 },
          ],
        },
        { type: 'rect', color: '#ffffff', width: 0.04, x: 0.7, y: 0.1, w: 0.2, h: 0.2 },
      ],
    });
    const out = await renderAnnotatedFrame(base, drawing);
    const { data, info } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([200, 100]);
    const px = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3),
    ];
    expect(px(100, 50)).toEqual([255, 0, 0]); // on the line at y = 0.5
    expect(px(30, 50)).toEqual([255, 0, 0]);
    expect(px(100, 40)).toEqual([0, 0, 255]); // 10 px above: background (stroke is 6 px)
    expect(px(10, 50)).toEqual([0, 0, 255]); // before the line starts (x = 0.1 → 20 px, round cap 3 px)
    expect(px(50, 20)).toEqual([0, 255, 0]); // freehand stroke at x = 0.25
    expect(px(140, 20)).toEqual([255, 255, 255]); // rect's left edge at x = 0.7
    expect(px(160, 20)).toEqual([0, 0, 255]); // inside the unfilled rect
  });

  it('extracts the exact movie frame from the rational rate', async () => {
    const dir = fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'montu-frame-'));
    try {
      const movie = makeCountingMovie(dir);
      for (const frame of [0, 1, 7, 23, 29]) {
        const png = await extractVideoFrame(TOOLS, movie, frame, '24000/1001');
        const { data } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        expect(Math.abs(data[0]! - frame * 8), `frame ${frame}`).toBeLessThanOrEqual(1);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const kind of DATABASES) {
  describe(`playlists (${kind})`, () => {
    let fx: ReviewFixture;
    let movie: string;
    let still: string;
    let seqLike: string;
    beforeAll(async () => {
      fx = await reviewFixture(kind);
      movie = await fx.upload({
        file: makeMovie(fx.lib.dir, 48),
        metadata: { fps: '24000/1001', frameCount: 2000 },
      });
      still = await fx.upload({
        taskId: 'ep01_sq010_sh030_comp',
        file: await (async () => {
          const f = path.join(fx.lib.dir, 'big.png');
          await sharp({
            create: { width: 200, height: 100, channels: 3, background: { r: 0, g: 0, b: 255 } },
          })
            .png()
            .toFile(f);
          return f;
        })(),
      });
      seqLike = await fx.upload({
        taskId: 'ep01_sq010_sh040_comp',
        file: makeMovie(fx.lib.dir, 24, 'c.mp4'),
        metadata: { fps: '25/1', frameCount: 120 },
      });
    });
    afterAll(async () => fx.lib.cleanup());

    it('creates, orders and edits a playlist; playlist notes are the media item notes', async () => {
      const { playlists, notes } = fx.lib.montu;
      const p = await playlists.createPlaylist({
        projectId: 'SWA',
        name: 'Dailies',
        date: '2026-11-24',
        owner: 'sue',
        mediaIds: [movie, still],
      });
      expect(p.items.map((i) => i.mediaId)).toEqual([movie, still]);
      const added = await playlists.addItems(p.id, [seqLike], { actor: 'sue', position: 1 });
      expect(added.items.map((i) => [i.position, i.mediaId])).toEqual([
        [0, movie],
        [1, seqLike],
        [2, still],
      ]);
      const re = await playlists.reorderItems(p.id, [still, movie, seqLike], { actor: 'sue' });
      expect(re.items.map((i) => i.mediaId)).toEqual([still, movie, seqLike]);
      await expect(playlists.reorderItems(p.id, [still, movie], { actor: 'sue' })).rejects.toMatchObject({
        code: 'validation_error',
      });
      const rm = await playlists.removeItem(p.id, still, { actor: 'sue' });
      expect(rm.items.map((i) => [i.position, i.mediaId])).toEqual([
        [0, movie],
        [1, seqLike],
      ]);
      await playlists.addItems(p.id, [still], { actor: 'sue' });
      await expect(
        playlists.createPlaylist({ projectId: 'SWA', name: 'x', date: '24/11/2026', owner: 'sue' }),
      ).rejects.toMatchObject({ code: 'validation_error' });
      const n = await playlists.addNote(p.id, movie, { content: 'in session', author: 'sue', frame: 1001 });
      expect(n.playlistId).toBe(p.id);
      expect((await notes.listNotes(movie)).map((x) => x.id)).toContain(n.id);
      const listed = (await playlists.listPlaylists('SWA')).find((x) => x.id === p.id);
      expect([listed?.name, listed?.itemCount]).toEqual(['Dailies', 3]);
    });

    it('lets its owner, supervisors and admins curate a playlist; other artists only add to it', async () => {
      const { playlists, history } = fx.lib.montu;
      const p = await playlists.createPlaylist({
        projectId: 'SWA',
        name: 'Lighting',
        owner: 'sue',
        mediaIds: [movie],
      });
      const artist = { actor: 'bob', role: 'artist' } as const;
      const refused = {
        code: 'forbidden',
        message: expect.stringContaining('Only sue, who made playlist "Lighting"'),
      };
      await expect(playlists.updatePlaylist(p.id, { name: 'Mine', ...artist })).rejects.toMatchObject(
        refused,
      );
      await expect(playlists.reorderItems(p.id, [movie], artist)).rejects.toMatchObject(refused);
      await expect(playlists.removeItem(p.id, movie, artist)).rejects.toMatchObject(refused);
      await expect(playlists.deletePlaylist(p.id, artist)).rejects.toMatchObject(refused);
      // Nothing changed, and nothing was recorded, for the refused calls.
      const after = await playlists.getPlaylist(p.id);
      expect([after.name, after.items.map((i) => i.mediaId)]).toEqual(['Lighting', [movie]]);
      const actions = (await history.forSubject('playlist', p.id)).map((h) => h.actor);
      expect(actions).not.toContain('bob');
      // Any member adds; the owner (even as an artist) and a supervisor curate.
      expect((await playlists.addItems(p.id, [still], artist)).items.map((i) => i.mediaId)).toEqual([
        movie,
        still,
      ]);
      await playlists.updatePlaylist(p.id, { name: 'Lighting v2', actor: 'sue', role: 'artist' });
      await playlists.reorderItems(p.id, [still, movie], { actor: 'ann', role: 'supervisor' });
      await playlists.removeItem(p.id, still, { actor: 'ann', role: 'supervisor' });
      await playlists.deletePlaylist(p.id, { actor: 'adam', role: 'admin' });
      await expect(playlists.getPlaylist(p.id)).rejects.toMatchObject({ code: 'not_found' });
    });

    it('exports CSV whose timecode and frame survive the round trip', async () => {
      const { playlists, notes } = fx.lib.montu;
      const p = await playlists.createPlaylist({
        projectId: 'SWA',
        name: 'CSV',
        owner: 'sue',
        mediaIds: [movie],
      });
      await playlists.addNote(p.id, movie, {
        content: '=HYPERLINK("x"), "quoted"\nsecond line',
        author: 'sue',
        frame: 1001,
      });
      const csv = await playlists.exportCsv(p.id, { onlyPlaylistNotes: true });
      const rows = parseCsv(csv);
      expect(rows[0]).toEqual([...CSV_COLUMNS]);
      const row = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, rows[1]![i]!]));
      expect(row['frame']).toBe('1001');
      expect(row['timecode']).toBe('00:00:41:17');
      expect(row['fps']).toBe('24000/1001');
      expect(timecodeToFrame(row['timecode']!, row['fps']!)).toBe(1001);
      expect(row['text']).toBe(`'=HYPERLINK("x"), "quoted"\nsecond line`);
      const note = await notes.getNote(row['note_id']!);
      expect(note.frame).toBe(1001);
      expect(rows.length).toBe(2);
    });

    it('exports an HTML and a PDF report with annotated frames', async () => {
      const { playlists } = fx.lib.montu;
      const p = await playlists.createPlaylist({
        projectId: 'SWA',
        name: 'Report <b>',
        owner: 'sue',
        mediaIds: [still, movie],
      });
      await playlists.addNote(p.id, still, {
        content: 'edge <script>',
        author: 'sue',
        frame: 0,
        drawing: {
          shapes: [
            { type: 'line', color: '#ff0000', width: 0.06, from: { x: 0.1, y: 0.5 }, to: { x: 0.9, y: 0.5 } },
          ],
        },
      });
      await playlists.addNote(p.id, movie, {
        content: 'timing',
        author: 'sue',
        frame: 10,
        drawing: {
          shapes: [
            {
              type: 'arrow',
              color: '#00ff00',
              width: 0.02,
              from: { x: 0.1, y: 0.1 },
              to: { x: 0.5, y: 0.5 },
            },
          ],
        },
      });
      const html = await playlists.exportHtml(p.id, { onlyPlaylistNotes: true });
      expect(html).toContain('Report &lt;b&gt;');
      expect(html).toContain('edge &lt;script&gt;');
      expect(html).not.toContain('<script>');
      const imgs = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) =>
        Buffer.from(m[1]!, 'base64'),
      );
      expect(imgs).toHaveLength(2);
      // The still's frame: red stroke across the middle, blue elsewhere.
      const { data, info } = await sharp(imgs[0]!).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const px = (x: number, y: number) => [
        ...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3),
      ];
      expect(px(Math.round(info.width / 2), Math.round(info.height / 2))).toEqual([255, 0, 0]);
      expect(px(Math.round(info.width / 2), 5)).toEqual([0, 0, 255]);
      const pdf = await playlists.exportPdf(p.id, { onlyPlaylistNotes: true });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdf.length).toBeGreaterThan(2000);
      expect(pdf.toString('latin1')).toMatch(/\/Subtype \/Image/);
    });

    it('exports the playlist as OTIO, valid against the reference schema, clips in order with durations', async () => {
      const { playlists } = fx.lib.montu;
      const p = await playlists.createPlaylist({
        projectId: 'SWA',
        name: 'Edit',
        owner: 'sue',
        mediaIds: [seqLike, movie, still],
      });
      await playlists.addNote(p.id, movie, { content: 'm', author: 'sue', frame: 12, frameEnd: 14 });
      const otio = await playlists.exportOtio(p.id, { baseUrl: 'https://montu.example' });
      expect(validateOtio(otio)).toEqual([]);
      const json = JSON.parse(JSON.stringify(otio)) as {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking untyped JSON
        tracks: { children: Array<{ children: Array<Record<string, any>> }> };
      };
      const clips = json.tracks.children[0]!.children;
      expect(clips.map((c) => c['metadata'].montu.mediaId)).toEqual([seqLike, movie, still]);
      expect(clips.map((c) => c['source_range'].duration.value)).toEqual([120, 2000, 1]);
      expect(clips[0]!['source_range'].duration.rate).toBe(25);
      expect(clips[1]!['source_range'].duration.rate).toBeCloseTo(24000 / 1001, 12);
      expect(clips[1]!['metadata'].montu.fps).toBe('24000/1001');
      expect(clips[1]!['media_references'].DEFAULT_MEDIA.target_url).toBe(
        `https://montu.example/api/v1/media/${movie}/files/original`,
      );
      const marker = (clips[1]!['markers'] as Array<Record<string, any>>).find((m) => m['comment'] === 'm')!; // eslint-disable-line @typescript-eslint/no-explicit-any -- untyped JSON
      expect(marker['marked_range'].start_time.value).toBe(12);
      expect(marker['marked_range'].duration.value).toBe(3);
    });
  });
}

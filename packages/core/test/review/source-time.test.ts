import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  frameSeekSeconds,
  frameOfSource,
  mediaTiming,
  normaliseTimecode,
  parseMovieStartFrame,
  sourceFrameAt,
  sourceStart,
  sourceTimecodeAt,
  timecodeFrameAt,
  type MontuEvent,
} from '../../src/index.js';
import { DATABASES, tempDir } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';
import {
  COUNTER_RATES,
  COUNTER_SIZE,
  makeCounterClip,
  makeDropFrameMxf,
  makeProResMov,
  readCounterBarcode,
} from '../../../../e2e/fixtures/media.js';

const movie = (fps: string, timecode: string | null, startFrame?: number) =>
  mediaTiming({
    mediaType: 'video',
    metadata: { fps, frameCount: 100000, ...(timecode ? { timecode } : {}) },
    ...(startFrame !== undefined ? { startFrame } : {}),
  });

describe('source time (domain)', () => {
  it('frame 41 of a 23.976 clip starting at 01:00:00:00 reads 01:00:01:17', () => {
    const t = movie('24000/1001', '01:00:00:00');
    expect(sourceTimecodeAt(41, t)).toBe('01:00:01:17');
    expect(timecodeFrameAt(41, t)).toBe(86441);
    // Default rule: a movie with a timecode numbers its frames from it.
    expect(sourceFrameAt(41, t)).toBe(86441);
    expect(frameOfSource(86441, t)).toBe(41);
  });

  it('a project start frame numbers movie frames from it (1001), timecode unchanged', () => {
    const start = sourceStart(
      'video',
      { fps: '24000/1001', timecode: '01:00:00:00' },
      { movieStartFrame: 1001 },
    );
    expect(start).toEqual({ startTimecode: '01:00:00:00', startFrame: 1001 });
    const t = movie('24000/1001', '01:00:00:00', start.startFrame!);
    expect(sourceFrameAt(40, t)).toBe(1041);
    expect(sourceTimecodeAt(40, t)).toBe('01:00:01:16');
    expect(frameOfSource(1041, t)).toBe(40);
  });

  it('a movie without timecode starts at 00:00:00:00 and frame 0', () => {
    const t = movie('25/1', null);
    expect(sourceTimecodeAt(26, t)).toBe('00:00:01:01');
    expect(sourceFrameAt(26, t)).toBe(26);
  });

  it('drop-frame 29.97: the start is kept and counting skips ;00 and ;01 each minute', () => {
    const t = movie('30000/1001', '00:01:15;26');
    expect(t.dropFrame).toBe(true);
    expect(sourceTimecodeAt(0, t)).toBe('00:01:15;26');
    expect(sourceTimecodeAt(4, t)).toBe('00:01:16;00');
    const m = movie('30000/1001', '00:00:59;29');
    expect(sourceTimecodeAt(1, m)).toBe('00:01:00;02');
    const ten = movie('30000/1001', '00:09:59;29');
    expect(sourceTimecodeAt(1, ten)).toBe('00:10:00;00');
    // Non-drop at the same rate when the tag says so.
    expect(sourceTimecodeAt(1, movie('30000/1001', '00:00:59:29'))).toBe('00:01:00:00');
  });

  it('drop-frame 59.94: four labels are skipped', () => {
    const t = movie('60000/1001', '00:00:59;59');
    expect(sourceTimecodeAt(1, t)).toBe('00:01:00;04');
    expect(sourceTimecodeAt(0, movie('60000/1001', '01:00:00;00'))).toBe('01:00:00;00');
    expect(timecodeFrameAt(0, movie('60000/1001', '01:00:00;00'))).toBe(215784);
  });

  it('sequences keep their numbers; their timecode is the start timecode plus the offset', () => {
    const seq = mediaTiming({
      mediaType: 'sequence',
      metadata: { fps: '24/1', frameStart: 1001, frameEnd: 1100, timecode: '02:00:00:00' },
    });
    expect(sourceFrameAt(1041, seq)).toBe(1041);
    expect(sourceTimecodeAt(1041, seq)).toBe('02:00:01:16');
    // Without a timecode the frame number is read as timecode, as before.
    const plain = mediaTiming({
      mediaType: 'sequence',
      metadata: { fps: '24000/1001', frameStart: 1001, frameEnd: 1100 },
    });
    expect(sourceTimecodeAt(1001, plain)).toBe('00:00:41:17');
  });

  it('bad timecode tags and settings are refused, not guessed', () => {
    expect(normaliseTimecode('01:00:00;00', '24/1')).toBeNull(); // drop-frame at 24
    expect(normaliseTimecode('00:01:00;00', '30000/1001')).toBeNull(); // a skipped label
    expect(normaliseTimecode('banana', '25/1')).toBeNull();
    expect(normaliseTimecode('00:01:15.26', '30000/1001')).toBe('00:01:15;26');
    expect(normaliseTimecode('01:00:00:00', null)).toBeNull();
    expect(() => parseMovieStartFrame(-1)).toThrow(/movieStartFrame/);
    expect(() => parseMovieStartFrame('1001')).toThrow(/movieStartFrame/);
    expect(parseMovieStartFrame('timecode')).toBe('timecode');
    expect(sourceStart('image', { fps: '24/1', timecode: '01:00:00:00' })).toEqual({
      startTimecode: null,
      startFrame: null,
    });
  });
});

describe('counter clips (e2e/fixtures/media.ts)', () => {
  const dir = tempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(COUNTER_RATES)('$name: rate, timecode and every probed frame shows its number', async (rate) => {
    const file = makeCounterClip(dir, rate, { frames: 40 });
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], {
        encoding: 'utf8',
      }),
    ) as { streams: Array<{ r_frame_rate: string; nb_frames: string; tags?: Record<string, string> }> };
    const v = probe.streams[0]!;
    expect(v.r_frame_rate).toBe(rate.fps);
    expect(Number(v.nb_frames)).toBe(40);
    expect(v.tags?.['timecode']).toBe(rate.timecode);
    for (const frame of [0, 1, 23, 39]) {
      const png = execFileSync('ffmpeg', [
        '-v',
        'error',
        '-ss',
        frameSeekSeconds(frame, rate.fps),
        '-i',
        file,
        '-frames:v',
        '1',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'gray',
        '-',
      ]);
      expect(png.length).toBe(COUNTER_SIZE.width * COUNTER_SIZE.height);
      expect(readCounterBarcode((x, y) => png[Math.floor(y) * COUNTER_SIZE.width + Math.floor(x)]!)).toBe(
        frame,
      );
    }
  });
});

describe.each(DATABASES)('source time on media and notes on %s', (kind) => {
  let lib: TestLibrary;
  let work: string;
  const events: MontuEvent[] = [];

  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: { concurrency: 2, retry: { backoffMs: 50 } } });
    work = tempDir();
    lib.montu.events.subscribe((e) => events.push(e));
  });
  afterAll(async () => {
    await lib.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('a ProRes MOV with a tmcd track: start 01:00:00:00, note on frame 41 reads 01:00:01:17 everywhere', async () => {
    const file = makeProResMov(work);
    const id = await lib.montu.media.uploadMedia({
      filePath: file,
      projectId: 'SRC',
      taskId: 'ep01_sq010_sh020_comp',
      author: 'ana',
      wait: true,
    });
    const m = await lib.montu.media.getMediaById(id);
    expect(m.metadata['fps']).toBe('24000/1001');
    expect(m.startTimecode).toBe('01:00:00:00');
    expect(m.startFrame).toBe(86400);
    const note = await lib.montu.notes.addNote(id, {
      content: 'edge',
      author: 'sup',
      frame: 41,
      frameEnd: 43,
    });
    expect(note).toMatchObject({
      frame: 41,
      sourceFrame: 86441,
      sourceFrameEnd: 86443,
      timecode: '01:00:01:17',
      timecodeEnd: '01:00:01:19',
    });
    const created = events.find(
      (e) => e.type === 'annotation.created' && e.data?.['annotationId'] === note.id,
    );
    expect(created?.data).toMatchObject({ sourceFrame: 86441, timecode: '01:00:01:17' });
  });

  it('a project start frame of 1001 numbers a movie from 1001; a bad setting is a 400', async () => {
    await lib.montu.projects.createProject({ id: 'FRM', settings: { movieStartFrame: 1001 } });
    await expect(
      lib.montu.projects.updateProject('FRM', { settings: { movieStartFrame: -5 } }),
    ).rejects.toThrow(/movieStartFrame/);
    const id = await lib.montu.media.uploadMedia({
      filePath: makeProResMov(work, { name: 'frm.mov' }),
      projectId: 'FRM',
      taskId: 'ep01_sq010_sh020_comp',
      author: 'ana',
      wait: true,
    });
    const m = await lib.montu.media.getMediaById(id);
    expect(m.startFrame).toBe(1001);
    const note = await lib.montu.notes.addNote(id, { content: 'x', author: 'sup', frame: 40 });
    expect(note.sourceFrame).toBe(1041);
    expect(note.timecode).toBe('01:00:01:16');
  });

  it('an MXF with drop-frame timecode 00:01:15;26 keeps it', async () => {
    const id = await lib.montu.media.uploadMedia({
      filePath: makeDropFrameMxf(work),
      projectId: 'SRC',
      taskId: 'ep01_sq010_sh030_comp',
      author: 'ana',
      wait: true,
    });
    const m = await lib.montu.media.getMediaById(id);
    expect(m.metadata['fps']).toBe('30000/1001');
    expect(m.startTimecode).toBe('00:01:15;26');
    const note = await lib.montu.notes.addNote(id, { content: 'df', author: 'sup', frame: 4 });
    expect(note.timecode).toBe('00:01:16;00');
    expect(note.sourceFrame).toBe(2274 + 4); // 00:01:15;26 is 75 s × 30 + 26 − 2 dropped = frame 2274
  });

  it('metadata edits re-derive the source start', async () => {
    const id = await lib.montu.media.uploadMedia({
      filePath: makeProResMov(work, { name: 'edit.mov', timecode: '00:00:10:00' }),
      projectId: 'SRC',
      taskId: 'ep01_sq010_sh040_comp',
      author: 'ana',
      wait: true,
    });
    expect((await lib.montu.media.getMediaById(id)).startTimecode).toBe('00:00:10:00');
    const edited = await lib.montu.media.updateMediaMetadata(id, { metadata: { timecode: '02:00:00:00' } });
    expect(edited.startTimecode).toBe('02:00:00:00');
    expect(edited.startFrame).toBe(2 * 3600 * 24);
  });
});

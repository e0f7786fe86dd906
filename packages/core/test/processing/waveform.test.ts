/**
 * The waveform rendition (issue 21 item 6): a movie with sound gets `waveform` (JSON peaks of its
 * audio, schema WaveformPeaks) beside its proxy; one without sound gets none. Real ffmpeg, real
 * storage, both databases.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWaveformPeaks, peakBetween } from '@montu/domain';
import { WIRE_COMPONENTS } from '@montu/domain/wire';
import { DATABASES, tempDir } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';
import { peakFromDb, WAVEFORM_PEAKS_PER_SECOND } from '../../src/processing/tools/waveform-peaks.js';

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-nostdin', ...args]);
}

describe('peaks from astats readings', () => {
  it('turns dBFS into linear amplitude; silence is 0', () => {
    expect(peakFromDb('0.000000')).toBe(1);
    expect(peakFromDb('-6.020600')).toBeCloseTo(0.5, 3);
    expect(peakFromDb('-inf')).toBe(0);
    expect(peakFromDb('nan')).toBe(0);
  });
});

describe.each(DATABASES)('waveform rendition on %s', (kind) => {
  let lib: TestLibrary;
  let work: string;
  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: { concurrency: 2, retry: { backoffMs: 50 } } });
    work = tempDir();
  });
  afterAll(async () => {
    await lib.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('a movie with sound: peaks follow the audio (a half-scale tone for 1 s, then silence; the lavfi sine is 1/8 scale, ×4)', async () => {
    const file = path.join(work, 'tone.mov');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x36:rate=24',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000:duration=1,volume=4,apad=whole_dur=2',
      '-t',
      '2',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'pcm_s16le',
      file,
    ]);
    const id = await lib.montu.media.uploadMedia({
      filePath: file,
      projectId: 'WAV',
      taskId: 'ep01_sq010_sh010_comp',
      author: 'ana',
      wait: true,
    });
    const m = await lib.montu.media.getMediaById(id);
    const wave = m.files.find((f) => f.role === 'waveform');
    expect(wave?.state).toBe('ready');
    expect(wave?.contentType).toBe('application/json');
    expect(wave?.info).toMatchObject({ peaksPerSecond: WAVEFORM_PEAKS_PER_SECOND });
    const json: unknown = JSON.parse(fs.readFileSync(path.join(lib.storageRoot, wave!.key), 'utf8'));
    const schema = WIRE_COMPONENTS.find((c) => c.$id === 'WaveformPeaks')!;
    expect(Value.Check(schema, json)).toBe(true);
    const doc = parseWaveformPeaks(json);
    expect(doc.duration).toBeGreaterThan(1.9);
    expect(doc.duration).toBeLessThan(2.2);
    // The proxy's AAC smears a little around the edges: look inside each half.
    expect(peakBetween(doc, 0.1, 0.9)).toBeGreaterThan(0.4);
    expect(peakBetween(doc, 0.1, 0.9)).toBeLessThan(0.65);
    const quiet = doc.peaks.slice(Math.round(1.2 * doc.peaksPerSecond), Math.round(1.9 * doc.peaksPerSecond));
    expect(quiet.length).toBeGreaterThan(20);
    expect(Math.max(...quiet)).toBeLessThan(0.02);
  });

  it('a movie without sound has no waveform', async () => {
    const file = path.join(work, 'silent.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x36:rate=24',
      '-frames:v',
      '24',
      '-pix_fmt',
      'yuv420p',
      file,
    ]);
    const id = await lib.montu.media.uploadMedia({
      filePath: file,
      projectId: 'WAV',
      taskId: 'ep01_sq010_sh020_comp',
      author: 'ana',
      wait: true,
    });
    const m = await lib.montu.media.getMediaById(id);
    expect(m.files.find((f) => f.role === 'proxy')?.state).toBe('ready');
    expect(m.files.some((f) => f.role === 'waveform')).toBe(false);
  });
});

/** `montu probe --json` against ffprobe, on corpus files and media generated here. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WIDEST_CORPUS, ensureBuilt, ffmpeg, montu, tempDir } from './helpers/cli.js';

interface FfStream {
  codec_type: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
  disposition?: { attached_pic?: number };
}
interface FfProbe {
  streams: FfStream[];
  format: { duration?: string };
}
interface ProbeLine {
  file: string;
  error?: { code: string; message: string };
  mediaType?: string;
  width?: number | null;
  height?: number | null;
  fps?: string | null;
  duration?: number | null;
  videoCodec?: string | null;
  audio?: { codec: string | null; sampleRate: number | null; channels: number | null } | null;
  sha256?: string | null;
}

function ffprobe(file: string): FfProbe {
  return JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file], {
      encoding: 'utf8',
    }),
  ) as FfProbe;
}

function reduce(r: string): string {
  const [a, b] = r.split('/').map(Number) as [number, number];
  const gcd = (x: number, y: number): number => (y ? gcd(y, x % y) : x);
  const g = gcd(a, b || 1);
  return `${a / g}/${(b || 1) / g}`;
}

/** What montu must agree with ffprobe on, for one file. */
function compare(line: ProbeLine, ff: FfProbe): void {
  const video = ff.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audio = ff.streams.find((s) => s.codec_type === 'audio');
  if (video && line.mediaType === 'video') {
    expect(line.width, line.file).toBe(video.width);
    expect(line.height, line.file).toBe(video.height);
    expect(line.videoCodec, line.file).toBe(video.codec_name);
    if (video.avg_frame_rate && video.avg_frame_rate !== '0/0')
      expect(reduce(line.fps!), line.file).toBe(reduce(video.avg_frame_rate));
  }
  if (audio) {
    expect(line.audio?.sampleRate, line.file).toBe(Number(audio.sample_rate));
    expect(line.audio?.channels, line.file).toBe(audio.channels);
  }
  if (ff.format.duration && line.mediaType !== 'image') {
    expect(Math.abs(line.duration! - Number(ff.format.duration)), line.file).toBeLessThanOrEqual(0.0015);
  }
}

const corpusFiles = ['video', 'audio'].flatMap((kind) => {
  const dir = path.join(WIDEST_CORPUS, 'media', kind);
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .sort()
        .slice(0, 4)
        .map((f) => path.join(dir, f))
    : [];
});

let work: string;
const generated: string[] = [];

beforeAll(() => {
  ensureBuilt();
  work = tempDir('montu-probe-');
  const rates = ['24000/1001', '25', '30000/1001', '60'];
  rates.forEach((rate, i) => {
    const file = path.join(work, `gen_${i}.${i % 2 ? 'mov' : 'mp4'}`);
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `testsrc=size=${160 + i * 16}x${90 + i * 8}:rate=${rate}`,
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=440:sample_rate=${i % 2 ? 48000 : 44100}`,
      '-t',
      '1.5',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-ac',
      String(1 + (i % 2)),
      '-shortest',
      file,
    ]);
    generated.push(file);
  });
  const wav = path.join(work, 'tone.wav');
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=1000:sample_rate=48000',
    '-t',
    '0.75',
    '-c:a',
    'pcm_s24le',
    wav,
  ]);
  generated.push(wav);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=40x30', '-frames:v', '1', path.join(work, 'still.png')]);
  generated.push(path.join(work, 'still.png'));
});

describe('montu probe', () => {
  it('agrees with ffprobe on generated media (frame rates, sizes, codecs, audio, durations)', async () => {
    const r = await montu(['probe', '--json', ...generated]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ProbeLine);
    expect(lines.map((l) => l.file)).toEqual(generated);
    for (const l of lines) compare(l, ffprobe(l.file));
    expect(lines[0]!.fps).toBe('24000/1001');
    expect(lines.at(-1)).toMatchObject({ mediaType: 'image', width: 40, height: 30 });
  });

  it('agrees with ffprobe on corpus files', async () => {
    expect(corpusFiles.length).toBeGreaterThan(0);
    const r = await montu(['probe', '--json', ...corpusFiles]);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ProbeLine);
    expect(lines).toHaveLength(corpusFiles.length);
    for (const l of lines) {
      expect(l.error, l.file).toBeUndefined();
      compare(l, ffprobe(l.file));
    }
  });

  it('prints a readable summary, sha256 on request', async () => {
    const r = await montu(['probe', '--sha256', generated[0]!]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/video mp4/);
    expect(r.stdout).toMatch(/24000\/1001 fps/);
    expect(r.stdout).toMatch(/sha256 [0-9a-f]{64}/);
  });

  it('reports unreadable files: JSON error lines, exit 7 when some fail, 1 when all do', async () => {
    const junk = path.join(work, 'junk.mov');
    fs.writeFileSync(junk, 'not a movie at all');
    const mixed = await montu(['probe', '--json', generated[0]!, junk]);
    expect(mixed.code).toBe(7);
    const lines = mixed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ProbeLine);
    expect(lines[1]).toMatchObject({ file: junk, error: { code: 'processing_error' } });
    const only = await montu(['probe', junk]);
    expect(only.code).toBe(1);
    expect(only.stderr).toMatch(/^montu: error: .*junk\.mov: /);
    expect(only.stderr.trim().split('\n')).toHaveLength(1);
  });
});

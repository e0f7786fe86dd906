import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessingError } from '@montu/domain';
import { Avprobe } from '../../src/processing/tools/avprobe.js';
import { AVPROBE_BUILD_PATH, findAvprobe } from '../../src/processing/tools/avprobe-binary.js';
import { ffmpegInput, ffmpegInputArgs } from '../../src/processing/tools/ffmpeg-input.js';
import type { FfprobeResult } from '../../src/processing/tools/ffprobe.js';
import { MediaTools } from '../../src/processing/tools/media-tools.js';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { sniffFile } from '../../src/processing/tools/sniff.js';
import { hasPrlimit } from '../../src/processing/tools/tools.js';
import { readEnvironment } from '../../src/config/environment.js';
import { CORPUS_DIR, corpusPath, HAVE_CORPUS, loadManifest } from './corpus.js';
import { ffmpeg, STREAM_FIELDS, tmpDir, TOOLS } from './helpers.js';

/**
 * The stay-open prober (native/avprobe.c, decision 245) against its oracle, ffprobe run per file
 * with the same input arguments: every field of ffprobe's JSON that Montu reads (FfprobeStream,
 * FfprobeFormat) is equal on every corpus file (broken ones fail both ways) and on generated
 * files at the five production frame rates with and without timecode, in every container Montu
 * hands to it; a killed, stuck or closed process fails its request clearly and is replaced.
 */

const exec = promisify(execFile);

/** The fields of ffprobe's answer that Montu reads (ffprobe.ts), compared value for value. */
const STREAM_KEYS = [
  ...STREAM_FIELDS,
  'index',
  'coded_width',
  'coded_height',
  'start_pts',
  'duration',
  'bit_rate',
  'disposition',
  'tags',
  'side_data_list',
] as const;
const FORMAT_KEYS = ['format_name', 'start_time', 'duration', 'bit_rate', 'nb_streams', 'tags'] as const;

type Loose = Record<string, unknown>;

/** The compared part of an answer; of side data, its type and a display matrix's rotation. */
function comparable(r: { streams?: unknown[]; format?: unknown }): Loose {
  const pick = (o: Loose, keys: readonly string[]) =>
    Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
  const streams = ((r.streams ?? []) as Loose[]).map((s) => {
    const out = pick(s, STREAM_KEYS);
    if (Array.isArray(s['side_data_list']))
      out['side_data_list'] = (s['side_data_list'] as Loose[]).map((d) =>
        pick(d, ['side_data_type', 'rotation']),
      );
    return out;
  });
  return { streams, format: pick((r.format ?? {}) as Loose, FORMAT_KEYS) };
}

/** ffprobe as Montu ran it per file: the same input arguments (forced demuxer, whitelist). */
async function ffprobeAnswer(file: string, format: string): Promise<{ json?: Loose; error?: string }> {
  try {
    const { stdout } = await exec(
      'ffprobe',
      [
        '-v',
        'error',
        '-hide_banner',
        ...ffmpegInputArgs(file, format),
        '-show_format',
        '-show_streams',
        '-of',
        'json',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    return { json: JSON.parse(stdout) as Loose };
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? '');
    return { error: stderr.trim().split('\n').pop() ?? '' };
  }
}

const avprobe = findAvprobe(undefined);
let prober: Avprobe;
beforeAll(() => {
  prober = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 2, memoryBytes: 0 });
});
afterAll(() => prober.close());

async function bothAgree(file: string): Promise<void> {
  const format = (await sniffFile(file, file).catch(() => null))?.format ?? '';
  const want = await ffprobeAnswer(file, format);
  let got: FfprobeResult | undefined;
  let error: ProcessingError | undefined;
  try {
    got = await prober.probe({ ...ffmpegInput(file, format), timeoutMs: 30_000 });
  } catch (e) {
    error = e as ProcessingError;
  }
  if (want.error !== undefined) {
    expect(error, `ffprobe failed (${want.error}); the prober answered`).toBeInstanceOf(ProcessingError);
    // The same libavformat message ffprobe ends its stderr with.
    expect(error!.message).toContain(want.error.replace(/^.*?: /, ''));
  } else {
    expect(error?.message).toBeUndefined();
    expect(comparable(got!)).toEqual(comparable(want.json!));
  }
}

describe('montu-avprobe', () => {
  it('is built by the bootstrap (npm test and npm start build it)', () => {
    expect(avprobe, `run scripts/build-avprobe.sh (${AVPROBE_BUILD_PATH})`).toBe(AVPROBE_BUILD_PATH);
    expect(new MediaTools(readEnvironment({ PATH: process.env['PATH'] })).avprobeBinary()).toBe(
      AVPROBE_BUILD_PATH,
    );
    // Another ffprobe build may link other libraries: the prober is then off unless named.
    expect(
      new MediaTools(
        readEnvironment({ PATH: process.env['PATH'], MONTU_FFPROBE: '/opt/ffmpeg/ffprobe' }),
      ).avprobeBinary(),
    ).toBeNull();
    expect(
      new MediaTools(readEnvironment({ PATH: process.env['PATH'], MONTU_AVPROBE: 'off' })).avprobeBinary(),
    ).toBeNull();
  });
});

describe.skipIf(!HAVE_CORPUS)('montu-avprobe against ffprobe: every corpus file', () => {
  const entries = loadManifest();
  it.each(entries.map((e) => [e.path, e] as const))('%s', { timeout: 60_000 }, async (_p, e) => {
    await bothAgree(corpusPath(e));
  });
});

describe('montu-avprobe against ffprobe: generated files at the five rates, with and without timecode', () => {
  let dir = '';
  const RATES = ['24000/1001', '24', '25', '30000/1001', '60000/1001'];
  const cases: Array<{ name: string; args: string[] }> = [];
  for (const r of RATES) {
    const n = r.replace('/', '_');
    const drop = r === '30000/1001' || r === '60000/1001';
    const tc = drop ? '01:02:03;04' : '01:02:03:04';
    const src = ['-f', 'lavfi', '-i', `testsrc2=size=160x90:rate=${r}:duration=0.5`];
    const tone = ['-f', 'lavfi', '-i', 'sine=duration=0.5:sample_rate=48000'];
    cases.push({
      name: `h264-aac-${n}.mp4`,
      args: [...src, ...tone, '-c:v', 'libx264', '-c:a', 'aac', '-shortest'],
    });
    cases.push({ name: `prores-tc-${n}.mov`, args: [...src, '-c:v', 'prores_ks', '-timecode', tc] });
    cases.push({
      name: `mpeg2-tc-${n}.mxf`,
      args: [...src, ...tone, '-c:v', 'mpeg2video', '-c:a', 'pcm_s16le', '-timecode', tc, '-shortest'],
    });
    cases.push({
      name: `mjpeg-${n}.avi`,
      args: [...src, ...tone, '-c:v', 'mjpeg', '-c:a', 'pcm_s16le', '-shortest'],
    });
    cases.push({ name: `h264-tc-${n}.mkv`, args: [...src, '-c:v', 'libx264', '-timecode', tc] });
    cases.push({ name: `flv-${n}.flv`, args: [...src, '-c:v', 'flv1'] });
  }
  cases.push({
    name: 'wmv2.wmv',
    args: ['-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=0.5', '-c:v', 'wmv2'],
  });
  cases.push({ name: 'adts.aac', args: ['-f', 'lavfi', '-i', 'sine=duration=0.5', '-c:a', 'aac'] });

  beforeAll(async () => {
    dir = await tmpDir('montu-avprobe-');
    for (const c of cases) await ffmpeg([...c.args, path.join(dir, c.name)]);
  }, 120_000);
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it.each(cases.map((c) => [c.name]))('%s', async (name) => {
    await bothAgree(path.join(dir, name));
  });
});

/** The prober processes this test process started (prlimit execs the prober: same pid), but
 * those of the shared prober of the agreement tests above. */
let othersPids: number[] = [];
function proberPids(): number[] {
  return allProberPids().filter((p) => !othersPids.includes(p));
}
function allProberPids(): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-f', 'montu-avprobe'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('montu-avprobe failures', () => {
  let dir = '';
  let fifo = '';
  let good = '';
  beforeAll(async () => {
    othersPids = allProberPids();
    dir = await tmpDir('montu-avprobe-fail-');
    // Opening a FIFO nobody writes to blocks in open(2), where no deadline check runs: the
    // client-side kill is what ends it.
    fifo = path.join(dir, 'stuck.mov');
    execFileSync('mkfifo', [fifo]);
    good = path.join(dir, 'good.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x36:rate=25:duration=0.2', '-c:v', 'libx264', good]);
  }, 60_000);
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  const request = (file: string, timeoutMs = 20_000) => ({ ...ffmpegInput(file, 'mov'), timeoutMs });

  it('a request whose process is killed runs once more in a new one; killed again, it fails with the reason', async () => {
    const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 1, memoryBytes: 0 });
    const nextPid = async (not: number[]) => {
      for (let i = 0; i < 200; i++) {
        const fresh = proberPids().filter((x) => !not.includes(x));
        if (fresh.length === 1) return fresh[0]!;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('no new prober process');
    };
    try {
      const stuck = p.probe(request(fifo));
      let settled = false;
      stuck.then(
        () => (settled = true),
        () => (settled = true),
      );
      const first = await nextPid([]);
      process.kill(first, 'SIGKILL');
      // Not failed yet: sent again to a new process (still stuck on the FIFO), which is killed too.
      const second = await nextPid([first]);
      expect(settled).toBe(false);
      process.kill(second, 'SIGKILL');
      await expect(stuck).rejects.toThrow(/montu-avprobe was killed by SIGKILL/);
      const after = await p.probe(request(good));
      expect(after.streams[0]?.codec_name).toBe('h264');
      expect(proberPids()).not.toContain(first);
      expect(proberPids()).not.toContain(second);
    } finally {
      await p.close();
    }
  });

  it('a request written to a process that has just died is answered by a new one', async () => {
    const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 1, memoryBytes: 0 });
    try {
      await p.probe(request(good));
      const [pid] = proberPids();
      // Killed while idle; the next request is written before its exit is seen.
      process.kill(pid!, 'SIGKILL');
      const answer = await p.probe(request(good));
      expect(answer.streams[0]?.codec_name).toBe('h264');
      expect(proberPids()).not.toContain(pid);
    } finally {
      await p.close();
    }
  });

  it('a request past its time limit is killed and reported as timed out; others queued behind it still answer', async () => {
    const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 1, memoryBytes: 0 });
    try {
      const stuck = p.probe(request(fifo, 200));
      const queued = p.probe(request(good));
      const err = await stuck.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProcessingError);
      expect((err as Error).message).toMatch(/montu-avprobe timed out after 200 ms/);
      expect((await queued).format.format_name).toContain('mp4');
    } finally {
      await p.close();
    }
  });

  it('close fails what is queued, ends the processes, and refuses later requests', async () => {
    const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 1, memoryBytes: 0 });
    await p.probe(request(good));
    expect(proberPids().length).toBeGreaterThan(0);
    const queued = Promise.allSettled([
      p.probe(request(good)),
      p.probe(request(good)),
      p.probe(request(good)),
    ]);
    await p.close();
    const settled = await queued;
    // The request already sent is answered; the ones still queued are refused.
    expect(settled.filter((s) => s.status === 'rejected').length).toBeGreaterThanOrEqual(2);
    expect(proberPids()).toEqual([]);
    await expect(p.probe(request(good))).rejects.toThrow(/montu-avprobe was closed/);
  });

  it.skipIf(!hasPrlimit())(
    'runs under the memory cap: a cap too small fails the request, it does not hang',
    async () => {
      const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 1, memoryBytes: 8 * 1024 * 1024 });
      try {
        await expect(p.probe(request(good))).rejects.toBeInstanceOf(ProcessingError);
      } finally {
        await p.close();
      }
    },
  );

  it('a file name with spaces, quotes, newlines and non-ASCII letters is passed byte for byte', async () => {
    const odd = path.join(dir, 'shot "A"\nv01 – café.mp4');
    await fs.copyFile(good, odd);
    const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 1, memoryBytes: 0 });
    try {
      const r = await p.probe({ ...ffmpegInput(odd, 'mp4'), timeoutMs: 20_000 });
      expect(r.streams[0]?.width).toBe(64);
    } finally {
      await p.close();
    }
  });
});

describe.skipIf(!HAVE_CORPUS)(
  'MediaProber: the stored record is the same with the prober or ffprobe per file',
  () => {
    const files = loadManifest()
      .filter((e) => e.kind === 'video' || e.kind === 'audio')
      .map(corpusPath);
    const withAvprobe = new MediaProber({ tools: TOOLS, containerReader: false });
    const withFfprobe = new MediaProber({ tools: TOOLS, containerReader: false, avprobe: false });
    afterAll(() => Promise.all([withAvprobe.close(), withFfprobe.close()]));

    it('on every corpus video and audio file', { timeout: 180_000 }, async () => {
      const [a, b] = await Promise.all([withAvprobe.probeFiles(files), withFfprobe.probeFiles(files)]);
      expect(files.length).toBeGreaterThan(40);
      const record = (r: unknown) => (r instanceof Error ? 'error' : JSON.stringify(r));
      const differing = files.filter((_f, i) => record(a[i]) !== record(b[i]));
      expect(differing).toEqual([]);
      expect(a.filter((r) => !(r instanceof Error) && r.sources.includes('ffprobe')).length).toBeGreaterThan(
        40,
      );
    });
  },
);

describe('montu-avprobe on hostile input, huge answers and refused requests', () => {
  let dir = '';
  /** Small files of the containers only libavformat reads for Montu (generated, so the test runs
   * without the corpus), plus the corpus's files of those containers when it is present. */
  const GENERATED: Array<{ name: string; args: string[] }> = [
    { name: 'g.mxf', args: ['-c:v', 'mpeg2video', '-c:a', 'pcm_s16le', '-timecode', '01:00:00:00'] },
    { name: 'g.avi', args: ['-c:v', 'mjpeg', '-c:a', 'pcm_s16le'] },
    { name: 'g.flv', args: ['-c:v', 'flv1', '-c:a', 'aac'] },
    { name: 'g.wmv', args: ['-c:v', 'wmv2', '-c:a', 'wmav2'] },
    { name: 'g.mkv', args: ['-c:v', 'libx264', '-c:a', 'aac'] },
    { name: 'g.mov', args: ['-c:v', 'prores_ks', '-c:a', 'pcm_s16le', '-timecode', '01:00:00:00'] },
  ];
  const CORPUS_FILES = [
    'media/video/Meridian-Apple_ProResProxy-HDR10.mxf',
    'media/video/packed_bframes.avi',
    'media/video/streamloop.flv',
    'media/video/bug821-2.asf',
    'media/video/hdr10tags-both.mkv',
    'media/video/Sequence_1-Apple_ProRes_422.mov',
  ];
  beforeAll(async () => {
    othersPids = allProberPids();
    dir = await tmpDir('montu-avprobe-hostile-');
    for (const g of GENERATED)
      await ffmpeg([
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=96x54:rate=25:duration=0.4',
        '-f',
        'lavfi',
        '-i',
        'sine=duration=0.4:sample_rate=48000',
        ...g.args,
        '-shortest',
        path.join(dir, g.name),
      ]);
  }, 120_000);
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  const formatOf = async (file: string) => (await sniffFile(file, file).catch(() => null))?.format ?? '';

  it(
    'cut and overwrite-corrupted files of six containers: every request settles, processes stay bounded, the next file is answered',
    {
      timeout: 120_000,
    },
    async () => {
      const sources = GENERATED.map((g) => path.join(dir, g.name));
      if (HAVE_CORPUS) sources.push(...CORPUS_FILES.map((p) => path.join(CORPUS_DIR, p)));
      // Cut at a spread of lengths, and with a run of bytes overwritten in the header area
      // (container-reader.test.ts "cut and corrupted files never throw").
      const hostile: Array<{ file: string; format: string }> = [];
      for (const [n, src] of sources.entries()) {
        const bytes = await fs.readFile(src);
        const ext = path.extname(src);
        const format = await formatOf(src);
        for (let k = 1; k <= 6; k++) {
          const cut = path.join(dir, `${n}-cut-${k}${ext}`);
          await fs.writeFile(cut, bytes.subarray(0, Math.floor((bytes.length * k) / 7)));
          const bad = Buffer.from(bytes);
          const at = Math.floor((Math.min(bytes.length, 4096) * k) / 7);
          bad.fill(0xff, at, at + 16);
          const corrupt = path.join(dir, `${n}-bad-${k}${ext}`);
          await fs.writeFile(corrupt, bad);
          // Forced to the intact file's demuxer, as a file whose damage is past the sniffed head is.
          hostile.push({ file: cut, format }, { file: corrupt, format });
        }
      }
      const maxProcs = 2;
      const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs, memoryBytes: 0 });
      let most = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          most = Math.max(most, proberPids().length);
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      try {
        // All at once: the queue, a second process and any replacement are exercised together.
        const settled = await Promise.allSettled(
          hostile.map((h) => p.probe({ ...ffmpegInput(h.file, h.format), timeoutMs: 20_000 })),
        );
        expect(settled).toHaveLength(hostile.length);
        for (const s of settled)
          if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(ProcessingError);
        // Some of them are answered (a cut file keeps its header), some fail.
        expect(settled.some((s) => s.status === 'fulfilled')).toBe(true);
        expect(settled.some((s) => s.status === 'rejected')).toBe(true);
        const after = await p.probe({ ...ffmpegInput(sources[4]!, 'mkv'), timeoutMs: 20_000 });
        expect(after.streams.map((s) => s.codec_name)).toEqual(['h264', 'aac']);
        expect(after.streams[0]?.width).toBe(96);
        sampling = false;
        await sampler;
        // A killed process is replaced at once and may take a moment to be reaped: twice the pool.
        expect(most).toBeGreaterThan(0);
        expect(most).toBeLessThanOrEqual(2 * maxProcs);
      } finally {
        sampling = false;
        await p.close();
      }
      expect(proberPids()).toEqual([]);
    },
  );

  it(
    'an answer of megabytes (a Matroska file with 3 MB of tags) is read whole, as ffprobe gives it',
    {
      timeout: 60_000,
    },
    async () => {
      const meta = path.join(dir, 'meta.txt');
      const lines = [';FFMETADATA1'];
      for (let i = 0; i < 40; i++) lines.push(`big${i}=${`x${i}`.repeat(30_000)}`);
      await fs.writeFile(meta, lines.join('\n') + '\n');
      const big = path.join(dir, 'big-tags.mkv');
      await ffmpeg([
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=64x36:rate=25:duration=0.2',
        '-i',
        meta,
        '-map',
        '0',
        '-map_metadata',
        '1',
        '-c:v',
        'libx264',
        big,
      ]);
      const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 1, memoryBytes: 0 });
      try {
        const got = await p.probe({ ...ffmpegInput(big, 'mkv'), timeoutMs: 20_000 });
        const want = await ffprobeAnswer(big, 'mkv');
        expect(JSON.stringify(got.format.tags).length).toBeGreaterThan(3_000_000);
        expect(comparable(got)).toEqual(comparable(want.json!));
        // The process that read it answers the next file.
        const after = await p.probe({ ...ffmpegInput(path.join(dir, 'g.mkv'), 'mkv'), timeoutMs: 20_000 });
        expect(after.streams[0]?.width).toBe(96);
      } finally {
        await p.close();
      }
    },
  );

  it(
    'close while a request is stuck: it fails as timed out, and close leaves no process behind',
    {
      timeout: 30_000,
    },
    async () => {
      const fifo = path.join(dir, 'stuck-close.mov');
      execFileSync('mkfifo', [fifo]);
      const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 1, memoryBytes: 0 });
      const stuck = p.probe({ ...ffmpegInput(fifo, 'mov'), timeoutMs: 300 }).catch((e: unknown) => e);
      while (proberPids().length === 0) await new Promise((r) => setTimeout(r, 20));
      await p.close();
      expect(((await stuck) as Error).message).toMatch(/montu-avprobe timed out after 300 ms/);
      expect(proberPids()).toEqual([]);
    },
  );

  it(
    'close right after a request timed out waits for the killed process too',
    { timeout: 30_000 },
    async () => {
      const fifo = path.join(dir, 'stuck-timeout.mov');
      execFileSync('mkfifo', [fifo]);
      const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 1, memoryBytes: 0 });
      await expect(p.probe({ ...ffmpegInput(fifo, 'mov'), timeoutMs: 200 })).rejects.toThrow(/timed out/);
      await p.close();
      expect(proberPids()).toEqual([]);
    },
  );

  it('a process that dies while idle is replaced by the next request', { timeout: 30_000 }, async () => {
    const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 1, memoryBytes: 0 });
    const input = { ...ffmpegInput(path.join(dir, 'g.avi'), 'avi'), timeoutMs: 20_000 };
    try {
      await p.probe(input);
      const [pid] = proberPids();
      process.kill(pid!, 'SIGKILL');
      while (proberPids().includes(pid!)) await new Promise((r) => setTimeout(r, 20));
      expect((await p.probe(input)).streams[0]?.codec_name).toBe('mjpeg');
      expect(proberPids()).not.toContain(pid);
    } finally {
      await p.close();
    }
  });

  it('a request the prober could not read as meant is refused before it is sent', async () => {
    const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 1, memoryBytes: 0 });
    const file = path.join(dir, 'g.mkv');
    const input = ffmpegInput(file, 'mkv');
    try {
      for (const bad of [
        { ...input, timeoutMs: 0 },
        { ...input, timeoutMs: 1.5 },
        { ...input, timeoutMs: 2 ** 31 },
        { ...input, timeoutMs: 20_000, options: { ...input.options, 'a=b': '1' } },
        { ...input, timeoutMs: 20_000, options: { ...input.options, probesize: '1\nenable_drefs=1' } },
        { ...input, timeoutMs: 20_000, url: `${input.url}\0.mov` },
        { ...input, timeoutMs: 20_000, url: `file:/${'a'.repeat(1 << 20)}` },
      ])
        await expect(p.probe(bad)).rejects.toBeInstanceOf(ProcessingError);
      expect(proberPids()).toEqual([]);
      expect((await p.probe({ ...input, timeoutMs: 20_000 })).streams[0]?.width).toBe(96);
    } finally {
      await p.close();
    }
  });
});

describe.skipIf(!HAVE_CORPUS)('montu-avprobe memory over many requests', () => {
  /** VmRSS of a process, in bytes. */
  async function rss(pid: number): Promise<number> {
    const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
  }

  it(
    'the same ~30 varied files 20 times through one process: its resident memory stays put',
    {
      timeout: 300_000,
    },
    async () => {
      othersPids = allProberPids();
      // Every container and codec family the prober is handed, answered and failing ones: the
      // first files of each extension among the video, audio and broken corpus files.
      const perExt = new Map<string, string[]>();
      for (const e of loadManifest()) {
        if (e.kind === 'image') continue;
        const ext = `${e.kind}${path.extname(e.path).toLowerCase()}`;
        const list = perExt.get(ext) ?? [];
        if (list.length < 2) perExt.set(ext, [...list, corpusPath(e)]);
      }
      const files = [...perExt.values()].flat().slice(0, 32);
      expect(files.length).toBeGreaterThanOrEqual(25);
      const inputs = await Promise.all(
        files.map(async (f) => ({
          ...ffmpegInput(f, (await sniffFile(f, f).catch(() => null))?.format ?? ''),
          timeoutMs: 30_000,
        })),
      );
      const p = new Avprobe(AVPROBE_BUILD_PATH, { maxProcs: 1, memoryBytes: 0 });
      try {
        const round = async () => {
          for (const input of inputs)
            await p.probe(input).catch((e: unknown) => expect(e).toBeInstanceOf(ProcessingError));
        };
        await round();
        const [pid] = proberPids();
        expect(pid).toBeDefined();
        const first = await rss(pid!);
        for (let i = 1; i < 20; i++) await round();
        // Still the one process: no request crashed it (a replacement would hide a leak).
        expect(proberPids()).toEqual([pid]);
        const last = await rss(pid!);
        // The margin is decision 246's: measured growth is far below it (allocator slack only).
        expect(last - first).toBeLessThan(16 * 1024 * 1024);
      } finally {
        await p.close();
      }
    },
  );
});

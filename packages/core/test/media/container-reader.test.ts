import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseRational } from '@montu/domain';
import {
  probeIsobmff as probeIsobmffOrNull,
  probeOrThrow as probeIsobmff,
} from '../../src/processing/tools/isobmff.js';
import { probeWav, probeWavOrThrow } from '../../src/processing/tools/wav.js';
import { probeFlac, probeFlacOrThrow } from '../../src/processing/tools/flac.js';
import { probeAiff, probeAiffOrThrow } from '../../src/processing/tools/aiff.js';
import { probeMp3, probeMp3OrThrow } from '../../src/processing/tools/mp3.js';
import { probeOgg, probeOggOrThrow } from '../../src/processing/tools/ogg.js';
import { probeMatroska, probeMatroskaOrThrow } from '../../src/processing/tools/matroska.js';
import type { FfprobeResult } from '../../src/processing/tools/ffprobe.js';
import type { MediaMetadata } from '../../src/processing/tools/metadata.js';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { corpusPath, HAVE_CORPUS, loadManifest } from './corpus.js';
import { ffmpeg, ffprobeJson, type ProbeJson, STREAM_FIELDS, tmpDir, TOOLS } from './helpers.js';

/**
 * The in-process MOV/MP4 reader (isobmff.ts) against its oracle, ffprobe: on every corpus
 * QuickTime/MP4 file and on generated files at the five production frame rates with and without
 * timecode tracks, each answer it gives agrees with ffprobe field by field, and the metadata
 * record Montu stores is the same whichever of the two read the file. Where it declines, ffprobe
 * reads the file (the reasons are listed so coverage losses show up here).
 */

const FORMAT_TAGS = ['title', 'artist', 'album', 'comment', 'encoder', 'creation_time', 'date'];

type Loose = Record<string, unknown>;

/** Each field where the reader's answer differs from ffprobe's, as `field: ffprobe ≠ reader`. */
function disagreements(want: ProbeJson | Loose, got: FfprobeResult): string[] {
  const out: string[] = [];
  const w = want as { format: Loose & { tags?: Loose }; streams: Array<Loose & { tags?: Loose }> };
  const say = (field: string, a: unknown, b: unknown) => {
    // ffprobe prints numbers as strings in some fields and omits unknown ones ("unknown" in compact output).
    const norm = (v: unknown) => (v === undefined || v === null || v === 'unknown' ? '' : String(v));
    if (norm(a) !== norm(b)) out.push(`${field}: ${norm(a) || '(none)'} ≠ ${norm(b) || '(none)'}`);
  };
  for (const k of ['duration', 'bit_rate'] as const) say(`format.${k}`, w.format[k], got.format[k]);
  // probe.ts lower-cases tag names (Vorbis comments keep the written case in ffprobe).
  const lower = (t: Loose | undefined) =>
    Object.fromEntries(Object.entries(t ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const [wt, gt] = [lower(w.format.tags), lower(got.format.tags)];
  for (const k of FORMAT_TAGS) say(`format.tags.${k}`, wt[k], gt[k]);
  say('streams', w.streams.length, got.streams.length);
  w.streams.forEach((s, i) => {
    const g = (got.streams[i] ?? {}) as unknown as Loose & { tags?: Loose };
    for (const k of STREAM_FIELDS) if (k in s || k in g) say(`#${i}.${k}`, s[k], g[k]);
    for (const k of ['language', 'timecode', 'rotate']) say(`#${i}.tags.${k}`, s.tags?.[k], g.tags?.[k]);
    const rot = (x: Loose) =>
      (x['side_data_list'] as Array<Loose> | undefined)?.find(
        (d) => d['side_data_type'] === 'Display Matrix',
      )?.['rotation'];
    say(`#${i}.rotation`, rot(s), rot(g));
  });
  return out;
}

const proberIn = new MediaProber({ tools: TOOLS, maxProcs: 1 });
const proberFf = new MediaProber({ tools: TOOLS, maxProcs: 1, containerReader: false });
afterAll(() => Promise.all([proberIn.close(), proberFf.close()]));

/** The stored record read both ways; only `sources` may differ. */
async function bothWays(file: string, name: string): Promise<[MediaMetadata, MediaMetadata]> {
  const [a, b] = await Promise.all([proberIn.probe(file, { name }), proberFf.probe(file, { name })]);
  expect(a.sources).toContain('container');
  expect(a.sources).not.toContain('ffprobe');
  return [
    { ...a, sources: [] },
    { ...b, sources: [] },
  ];
}

const READABLE = /\.(mov|mp4|m4v|m4a|wav|flac|aiff?|aifc|mp3|ogg|oga|opus|mkv|webm)$/i;
const corpus = loadManifest().filter((e) => READABLE.test(e.path));

/** The in-process reader for a file, by its extension (the prober goes by the sniffed format). */
function probeOrThrow(file: string): Promise<FfprobeResult> {
  if (/\.wav$/i.test(file)) return probeWavOrThrow(file);
  if (/\.flac$/i.test(file)) return probeFlacOrThrow(file);
  if (/\.(aiff?|aifc)$/i.test(file)) return probeAiffOrThrow(file);
  if (/\.mp3$/i.test(file)) return probeMp3OrThrow(file);
  if (/\.(ogg|oga|opus)$/i.test(file)) return probeOggOrThrow(file);
  if (/\.(mkv|webm)$/i.test(file)) return probeMatroskaOrThrow(file);
  return probeIsobmff(file);
}

/** Corpus files the reader answers for (the others are declined to ffprobe, with a reason). */
const ANSWERED = new Set([
  'Sequence_1-Apple_ProRes_422.mov',
  'Sequence_1-Apple_ProRes_422_HQ.mov',
  'prores4444_with_transparency.mov',
  'sample-in-issue-505.mov',
  'moviedispmat.mp4',
  'amve.mp4',
  'mov-1elist-1ctts.mp4',
  'sample.mp4',
  'full.m4a',
  'tones_quicktimeX_44100_stereo_aac_lc.m4a',
  '200828-005.wav',
  '32bit.wav',
  'Bells.wav',
  'drums_2ch_44kHz_s32_wastedbits.wav',
  'wave_metadata.wav',
  'yo.raw-short.wav',
  'r11025_u8_c1_trunc.wav',
  'ciao.wav',
  'mpeglayer3.wav',
  'full.alac.m4a',
  '22 - 12 bit per sample.flac',
  '41 - 6 channels (5.1).flac',
  '60 - mono audio.flac',
  '63 - predictor overflow check, 24-bit.flac',
  'full.flac',
  '05 - wrong total number of samples.flac',
  'full.aiff',
  'gapless.mp3',
  'full.mp3',
  '6.ogg',
  'full.ogg',
  'full.opus',
  'intro-partial.opus',
  'beach.webm',
  'grid.webm',
  'hdr10_plus_vp9_sample.webm',
]);

describe.skipIf(!HAVE_CORPUS)(
  'container reader: corpus MOV/MP4, WAV, FLAC, AIFF, MP3, Ogg, Matroska against ffprobe',
  () => {
    it.each(corpus.map((e) => [path.basename(e.path), e] as const))(
      '%s',
      { timeout: 60_000 },
      async (name, e) => {
        const file = corpusPath(e);
        let got: FfprobeResult | null = null;
        let declined = '';
        try {
          got = await probeOrThrow(file);
        } catch (err) {
          declined = (err as Error).message;
        }
        expect(got !== null, `${name}: ${declined || 'answered'}`).toBe(ANSWERED.has(name));
        if (!got) return;
        // The live ffprobe (the fallback) and the manifest's recorded ffprobe output.
        expect(disagreements(await ffprobeJson(file), got), 'against ffprobe').toEqual([]);
        const recorded = (e as unknown as { oracles?: { ffprobe?: Loose } }).oracles?.ffprobe;
        if (recorded?.['ok']) {
          // The manifest records a subset of fields: compare those it has.
          const subset = disagreements(recorded, got);
          const recordedStreams = recorded['streams'] as Loose[];
          const missing = (d: string) => {
            const m = /^#(\d+)\.(\w+)/.exec(d);
            return m !== null && !(m[2]! in (recordedStreams[Number(m[1])] ?? {}));
          };
          expect(
            subset.filter((d) => !missing(d) && !d.startsWith('format.tags') && !d.includes('.tags.')),
            'against the manifest',
          ).toEqual([]);
        }
        const [a, b] = await bothWays(file, name);
        expect(a).toEqual(b);
      },
    );
  },
);

describe('container reader: generated files at production frame rates, with and without timecode; WAV', () => {
  let dir = '';
  const RATES = ['24000/1001', '24', '25', '30000/1001', '60000/1001'];
  const cases: Array<{ name: string; rate: string; args: string[]; timecode?: string }> = [];
  for (const r of RATES) {
    const n = r.replace('/', '_');
    const drop = r === '30000/1001' || r === '60000/1001';
    const src = ['-f', 'lavfi', '-i', `testsrc2=size=160x90:rate=${r}:duration=1`];
    const tone = ['-f', 'lavfi', '-i', 'sine=duration=1:sample_rate=48000'];
    cases.push({
      name: `h264-aac-${n}.mp4`,
      rate: r,
      args: [...src, ...tone, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest'],
    });
    const tc = drop ? '01:02:03;04' : '01:02:03:04';
    cases.push({
      name: `prores-pcm-tc-${n}.mov`,
      rate: r,
      args: [...src, ...tone, '-ac', '2', '-c:v', 'prores_ks', '-profile:v', '3', '-c:a', 'pcm_s24le'],
      timecode: tc,
    });
    cases.push({
      name: `h264-tc-${n}.mov`,
      rate: r,
      args: [...src, '-c:v', 'libx264', '-pix_fmt', 'yuv422p10le', '-color_primaries', 'bt709'],
      timecode: drop ? '10:00:00;00' : '10:00:00:00',
    });
    cases.push({
      name: `prores-${n}.mov`,
      rate: r,
      args: [...src, '-c:v', 'prores_ks', '-profile:v', '4444'],
    });
    // Matroska/WebM: H.264 + Opus, VP9 + Vorbis.
    cases.push({
      name: `h264-opus-${n}.mkv`,
      rate: r,
      args: [...src, ...tone, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'libopus', '-shortest'],
    });
    cases.push({
      name: `vp9-vorbis-${n}.webm`,
      rate: r,
      args: [...src, ...tone, '-c:v', 'libvpx-vp9', '-cpu-used', '8', '-c:a', 'libvorbis', '-shortest'],
    });
  }
  const tone = (ch: number) => ['-f', 'lavfi', '-i', 'sine=duration=1:sample_rate=48000', '-ac', String(ch)];
  cases.push({ name: 'pcm-s24-stereo.wav', rate: '', args: [...tone(2), '-c:a', 'pcm_s24le'] });
  cases.push({ name: 'pcm-s16-mono.wav', rate: '', args: [...tone(1), '-c:a', 'pcm_s16le'] });
  cases.push({ name: 'pcm-f32-5.1.wav', rate: '', args: [...tone(6), '-c:a', 'pcm_f32le'] });
  // Full range (ffmpeg's yuvj formats) and 4:4:4 with colour tags, from the SPS.
  const still = ['-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=1', '-c:v', 'libx264'];
  cases.push({ name: 'h264-full-range.mp4', rate: '25', args: [...still, '-pix_fmt', 'yuvj420p'] });
  cases.push({
    name: 'h264-444-bt709.mov',
    rate: '25',
    args: [
      ...still,
      '-pix_fmt',
      'yuv444p',
      '-color_range',
      'pc',
      '-colorspace',
      'bt709',
      '-color_trc',
      'bt709',
    ],
  });
  // A rotated track (tkhd matrix; ffmpeg 5.1 writes it from the rotate tag).
  cases.push({ name: 'h264-rotate-90.mp4', rate: '25', args: [...still, '-metadata:s:v', 'rotate=90'] });
  cases.push({ name: 'h264-rotate-180.mov', rate: '25', args: [...still, '-metadata:s:v', 'rotate=180'] });
  cases.push({ name: 's16-stereo.flac', rate: '', args: [...tone(2), '-c:a', 'flac'] });
  cases.push({
    name: 's24-mono.flac',
    rate: '',
    args: [...tone(1), '-c:a', 'flac', '-sample_fmt', 's32', '-bits_per_raw_sample', '24'],
  });
  // AIFF and AIFF-C as ffmpeg writes them, with NAME/ANNO chunks and an ID3 chunk after the samples.
  const aiff = (ch: number, codec: string, name: string, ...extra: string[]) =>
    cases.push({ name, rate: '', args: [...tone(ch), '-c:a', codec, ...extra] });
  aiff(1, 'pcm_s8', 's8-mono.aiff');
  aiff(2, 'pcm_s16be', 's16-stereo-tags.aiff', '-metadata', 'title=T', '-metadata', 'comment=C');
  aiff(
    2,
    'pcm_s24be',
    's24-stereo-id3.aiff',
    '-write_id3v2',
    '1',
    '-metadata',
    'title=Tï',
    '-metadata',
    'artist=A',
  );
  aiff(1, 'pcm_s32be', 's32-mono.aiff');
  aiff(2, 'pcm_s16le', 's16le-stereo.aifc');
  aiff(2, 'pcm_f32be', 'f32-stereo.aifc');
  aiff(2, 'pcm_f64be', 'f64-stereo.aifc');
  // MP3 as LAME (through ffmpeg) writes it: an Info/Xing frame with the frame count, an ID3v2 tag.
  // Audio encoded by ffmpeg's encoders from a 1.3 s tone.
  const encoded = (rate: number, ch: number, codec: string, name: string, ...extra: string[]) =>
    cases.push({
      name,
      rate: '',
      args: [
        '-f',
        'lavfi',
        '-i',
        `sine=duration=1.3:sample_rate=${rate}`,
        '-ac',
        String(ch),
        '-c:a',
        codec,
        ...extra,
      ],
    });
  const lame = (rate: number, ch: number, name: string, ...extra: string[]) =>
    encoded(rate, ch, 'libmp3lame', name, ...extra);
  lame(44100, 2, 'cbr-44k-stereo.mp3');
  // Constant bit rate without a Xing header: ffmpeg's duration is its bit-rate estimate.
  lame(44100, 2, 'cbr-no-xing-stereo.mp3', '-write_xing', '0');
  lame(22050, 1, 'cbr-no-xing-mono-22k.mp3', '-write_xing', '0', '-b:a', '32k', '-metadata', 'title=T');
  // Compressed WAV with a fact chunk (ffmpeg's wav muxer writes one), and ALAC in MP4/MOV.
  encoded(8000, 1, 'libgsm_ms', 'gsm-ms.wav');
  lame(44100, 2, 'mp3-stereo.wav');
  lame(22050, 1, 'mp3-mono-22k.wav', '-b:a', '32k');
  encoded(44100, 2, 'alac', 'alac-s16-stereo.m4a');
  encoded(48000, 1, 'alac', 'alac-s24-mono.mov', '-sample_fmt', 's32p');
  lame(48000, 1, 'cbr-48k-mono.mp3', '-b:a', '64k', '-metadata', 'title=T', '-metadata', 'album=A');
  lame(22050, 2, 'vbr-22k-stereo.mp3', '-q:a', '4');
  lame(8000, 1, 'cbr-8k-mono.mp3', '-b:a', '16k');
  lame(32000, 2, 'vbr-32k-stereo.mp3', '-q:a', '2', '-id3v2_version', '3', '-metadata', 'artist=Ä');
  // Ogg Vorbis and Opus as libvorbis/libopus (through ffmpeg) write them.
  const ogg = encoded;
  ogg(48000, 2, 'libvorbis', 'vorbis-stereo.ogg');
  ogg(48000, 6, 'libvorbis', 'vorbis-5.1.ogg');
  ogg(22050, 1, 'libvorbis', 'vorbis-mono-tags.oga', '-metadata', 'title=T');
  ogg(48000, 2, 'libopus', 'opus-stereo.opus');
  ogg(48000, 1, 'libopus', 'opus-mono-24k.opus', '-b:a', '24k');
  ogg(44100, 2, 'libopus', 'opus-from-44k.ogg');
  // Matroska/WebM colour, bit depth, chroma, sample aspect and AV1 as ffmpeg's encoders write them.
  const mkv = (name: string, ...args: string[]) =>
    cases.push({ name, rate: '25', args: [...still, ...args] });
  mkv(
    'h264-10bit-422-bt709.mkv',
    '-pix_fmt',
    'yuv422p10le',
    '-color_primaries',
    'bt709',
    '-color_trc',
    'bt709',
    '-colorspace',
    'bt709',
  );
  mkv('h264-sar-4-3-title.mkv', '-vf', 'setsar=4/3', '-metadata', 'title=Hello');
  mkv('vp9-444.webm', '-c:v', 'libvpx-vp9', '-cpu-used', '8', '-pix_fmt', 'yuv444p');
  mkv(
    'vp9-10bit-hdr.webm',
    '-c:v',
    'libvpx-vp9',
    '-cpu-used',
    '8',
    '-pix_fmt',
    'yuv420p10le',
    '-color_primaries',
    'bt2020',
    '-color_trc',
    'smpte2084',
    '-colorspace',
    'bt2020nc',
  );
  mkv('vp8.webm', '-c:v', 'libvpx');
  mkv('av1-420.webm', '-c:v', 'libaom-av1', '-cpu-used', '8');
  mkv(
    'av1-444-full.mkv',
    '-c:v',
    'libaom-av1',
    '-cpu-used',
    '8',
    '-pix_fmt',
    'yuv444p',
    '-color_range',
    'pc',
  );
  beforeAll(async () => {
    dir = await tmpDir('montu-container-');
    for (const c of cases)
      await ffmpeg([...c.args, ...(c.timecode ? ['-timecode', c.timecode] : []), path.join(dir, c.name)]);
  }, 180_000);

  it.each(cases.map((c) => [c.name, c] as const))('%s', { timeout: 60_000 }, async (name, c) => {
    const file = path.join(dir, name);
    const got = await probeOrThrow(file);
    expect(disagreements(await ffprobeJson(file), got)).toEqual([]);
    const [a, b] = await bothWays(file, name);
    expect(a).toEqual(b);
    if (!c.rate) return; // audio
    const video = got.streams.find((s) => s.codec_type === 'video')!;
    expect(video.tags?.['timecode']).toBe(c.timecode);
    expect(a.timecode).toBe(c.timecode ?? null);
    if (/\.(mkv|webm)$/.test(name)) {
      // Matroska stores a frame duration in nanoseconds, reduced by ffmpeg to terms ≤ 30000
      // (59.94 comes back as 19001/317 from ffprobe too): near the rate, not equal to it.
      const [n, d] = a.fps!.split('/').map(Number) as [number, number];
      const [rn, rd = 1] = c.rate.split('/').map(Number) as [number, number?];
      expect(Math.abs(n / d - rn / rd) / (rn / rd)).toBeLessThan(1e-4);
    } else expect(a.fps).toBe(normaliseRational(c.rate));
  });
});

describe.skipIf(!HAVE_CORPUS)('container reader: cut and corrupted files never throw', () => {
  const readers: Record<string, (f: string) => Promise<FfprobeResult | null>> = {
    wav: probeWav,
    flac: probeFlac,
    aiff: probeAiff,
    mp3: probeMp3,
    ogg: probeOgg,
    opus: probeOgg,
    mkv: probeMatroska,
    webm: probeMatroska,
  };
  const files = corpus.filter((e) => ANSWERED.has(path.basename(e.path)));
  it.each(files.map((e) => [path.basename(e.path), e] as const))(
    '%s',
    { timeout: 60_000 },
    async (name, e) => {
      const src = await fs.readFile(corpusPath(e));
      const dir = await tmpDir('montu-container-cut-');
      const read = readers[path.extname(name).slice(1).toLowerCase()] ?? probeIsobmffOrNull;
      // Cut at a spread of lengths, and with a run of bytes overwritten in the header area.
      for (let k = 1; k <= 12; k++) {
        const cut = path.join(dir, `cut-${k}${path.extname(name)}`);
        await fs.writeFile(cut, src.subarray(0, Math.floor((src.length * k) / 13)));
        const got = await read(cut);
        if (got) expect(got.streams.length).toBeGreaterThan(0);
        const bad = Buffer.from(src);
        bad.fill(
          0xff,
          Math.floor((Math.min(src.length, 4096) * k) / 13),
          Math.floor((Math.min(src.length, 4096) * k) / 13) + 16,
        );
        await fs.writeFile(cut, bad);
        const got2 = await read(cut);
        if (got2) expect(got2.streams.length).toBeGreaterThan(0);
      }
    },
  );
});

describe('container reader: MP3 with an ID3v1 tag or without a Xing header', () => {
  it(
    'reads an ID3v1 tag as ffmpeg does, and declines one it would store otherwise',
    { timeout: 60_000 },
    async () => {
      const dir = await tmpDir('montu-container-id3v1-');
      const raw = path.join(dir, 'raw.mp3');
      await ffmpeg([
        '-f',
        'lavfi',
        '-i',
        'sine=duration=1.3',
        '-c:a',
        'libmp3lame',
        '-id3v2_version',
        '0',
        raw,
      ]);
      const audio = await fs.readFile(raw);
      /** ID3v1.1: title, artist, album, year, comment (28 bytes), track, genre. */
      const id3v1 = (title: string, artist: string) => {
        const field = (text: string, n: number) =>
          Buffer.concat([Buffer.from(text, 'latin1'), Buffer.alloc(n)]).subarray(0, n);
        return Buffer.concat([
          Buffer.from('TAG'),
          field(title, 30),
          field(artist, 30),
          field('Album', 30),
          field('1999', 4),
          field('a comment', 28),
          Buffer.from([0, 5, 17]),
        ]);
      };
      const file = path.join(dir, 'v1.mp3');
      await fs.writeFile(file, Buffer.concat([audio, id3v1('Take  2  ', 'Artist ')]));
      const got = await probeMp3OrThrow(file);
      expect(got.format.tags).toMatchObject({ title: 'Take  2', artist: 'Artist', date: '1999' });
      expect(disagreements(await ffprobeJson(file), got)).toEqual([]);
      const [a, b] = await bothWays(file, 'v1.mp3');
      expect(a).toEqual(b);
      // ffmpeg 5.1 keeps Latin-1 bytes above 0x7f unconverted (not UTF-8): left to ffprobe.
      const latin = path.join(dir, 'latin.mp3');
      await fs.writeFile(latin, Buffer.concat([audio, id3v1('Café', 'A')]));
      expect(await probeMp3(latin)).toBeNull();
    },
  );

  it('declines a variable bit rate without a Xing header (ffmpeg averages the frames it read)', async () => {
    const dir = await tmpDir('montu-container-vbr-');
    const file = path.join(dir, 'vbr.mp3');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'sine=duration=1.3',
      '-c:a',
      'libmp3lame',
      '-q:a',
      '4',
      '-write_xing',
      '0',
      file,
    ]);
    await expect(probeMp3OrThrow(file)).rejects.toThrow('not one constant bit rate');
  });
});

describe('container reader: a cut or corrupted generated MP3 never throws', () => {
  it('answers or declines at every cut and overwrite', { timeout: 60_000 }, async () => {
    const dir = await tmpDir('montu-container-mp3-cut-');
    const file = path.join(dir, 'lame.mp3');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'sine=duration=1',
      '-c:a',
      'libmp3lame',
      '-metadata',
      'title=T',
      file,
    ]);
    const src = await fs.readFile(file);
    expect(await probeMp3(file)).not.toBeNull();
    const cut = path.join(dir, 'cut.mp3');
    for (let k = 1; k <= 12; k++) {
      await fs.writeFile(cut, src.subarray(0, Math.floor((src.length * k) / 13)));
      const got = await probeMp3(cut);
      if (got) expect(got.streams.length).toBe(1);
      const bad = Buffer.from(src);
      const at = Math.floor((Math.min(src.length, 512) * k) / 13);
      bad.fill(0xff, at, at + 16);
      await fs.writeFile(cut, bad);
      const got2 = await probeMp3(cut);
      if (got2) expect(got2.streams.length).toBe(1);
    }
  });
});

import fsp from 'node:fs/promises';
import type { FfprobeResult, FfprobeStream } from './ffprobe.js';
import { orDecline, readHead, Unsupported } from './container-read.js';
import { id3v2Length, readId3v2 } from './id3v2.js';

/**
 * In-process reader of MPEG-1/2/2.5 Layer III files, answering in ffprobe's JSON shape exactly as
 * ffprobe would, or declining (Unsupported) so the caller runs ffprobe. ffmpeg's duration is the
 * Xing/Info frame count × samples per frame (in its 1/14,112,000 time base); without that header
 * it is a bit-rate estimate, answered only when every frame has the same bit rate (files up to
 * 16 MiB). Declined: VBRI headers, Layer I/II, a Xing byte count that disagrees with the file size
 * (ffmpeg then ignores the frame count), APE tags, an ID3v1 tag after an ID3v2 tag without the
 * frames Montu keeps, and whatever id3v2.ts declines. Decisions 190 and 228.
 */

const MAX_HEADER_BYTES = 1024 * 1024;
/** ffmpeg's MP3 time base: divisible by every MPEG audio sample rate. */
const TIME_BASE = 14_112_000;
const RATES = [
  [11025, 12000, 8000], // MPEG 2.5
  [0, 0, 0],
  [22050, 24000, 16000], // MPEG 2
  [44100, 48000, 32000], // MPEG 1
];
/** Layer III bit rates in kb/s: MPEG-1, then MPEG-2/2.5. */
const KBPS = [
  [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];

interface Frame {
  mpeg1: boolean;
  rate: number;
  mono: boolean;
  size: number;
  spf: number;
  kbps: number;
}

/** A Layer III frame header at `p`, or null. */
export function frameAt(b: Buffer, p: number): Frame | null {
  if (p + 4 > b.length || b[p] !== 0xff || (b[p + 1]! & 0xe0) !== 0xe0) return null;
  const version = (b[p + 1]! >> 3) & 3;
  const layer = (b[p + 1]! >> 1) & 3;
  const bitrate = b[p + 2]! >> 4;
  const rateIndex = (b[p + 2]! >> 2) & 3;
  if (version === 1 || layer !== 1 || bitrate === 0 || bitrate === 15 || rateIndex === 3) return null;
  const mpeg1 = version === 3;
  const rate = RATES[version]![rateIndex]!;
  const padding = (b[p + 2]! >> 1) & 1;
  const kbps = KBPS[mpeg1 ? 0 : 1]![bitrate]!;
  const size = Math.floor(((mpeg1 ? 144 : 72) * kbps * 1000) / rate) + padding;
  return { mpeg1, rate, mono: b[p + 3]! >> 6 === 3, size, spf: mpeg1 ? 1152 : 576, kbps };
}

export async function probeMp3(file: string): Promise<FfprobeResult | null> {
  return orDecline(probeMp3OrThrow(file));
}

export async function probeMp3OrThrow(file: string): Promise<FfprobeResult> {
  const { head, size } = await readHead(file, MAX_HEADER_BYTES);
  const tags: Record<string, string> = {};
  const base = id3v2Length(head);
  if (base > 0) {
    readId3v2(head.subarray(0, base), tags);
    if (id3v2Length(head, base) > 0) throw new Unsupported('a second ID3v2 tag');
  }
  const f = frameAt(head, base);
  if (!f) throw new Unsupported('no Layer III frame after the ID3v2 tag');
  // The next frame must follow where this one says it ends (ffmpeg checks the same).
  if (!frameAt(head, base + f.size)) throw new Unsupported('no second frame');
  const v1 = await readTail(file, size);
  if (v1) {
    // ffmpeg reads an ID3v1 tag only when the ID3v2 tag gave no metadata at all; an ID3v2 tag
    // without the frames Montu keeps may still have given some (unknown here): declined.
    if (base === 0) id3v1(v1, tags);
    else if (Object.keys(tags).length === 0)
      throw new Unsupported('ID3v1 tag and an ID3v2 tag without kept frames');
  }
  const x = base + 4 + (f.mpeg1 ? (f.mono ? 17 : 32) : f.mono ? 9 : 17);
  const tag = head.toString('latin1', x, x + 4);
  const durationTs =
    tag === 'Xing' || tag === 'Info'
      ? xingDuration(head, x, base, size, f)
      : await constantBitRateDuration(file, base, size - (v1 ? 128 : 0), f);
  const s: FfprobeStream = {
    index: 0,
    codec_type: 'audio',
    codec_name: 'mp3',
    sample_fmt: 'fltp',
    sample_rate: String(f.rate),
    channels: f.mono ? 1 : 2,
    channel_layout: f.mono ? 'mono' : 'stereo',
    bits_per_sample: 0,
    time_base: `1/${TIME_BASE}`,
    duration_ts: durationTs,
    duration: (durationTs / TIME_BASE).toFixed(6),
    r_frame_rate: '0/0',
    avg_frame_rate: '0/0',
    disposition: { attached_pic: 0 },
  };
  const durUs = Math.round((durationTs * 1e6) / TIME_BASE);
  return {
    streams: [s],
    format: {
      format_name: 'mp3',
      duration: (durUs / 1e6).toFixed(6),
      bit_rate: String(Math.trunc((size * 8 * 1e6) / durUs)),
      nb_streams: 1,
      tags,
    },
  };
}

/** The duration (in the 1/14,112,000 time base) from a Xing/Info frame count, as mp3dec.c. */
function xingDuration(head: Buffer, x: number, base: number, size: number, f: Frame): number {
  const flags = head.readUInt32BE(x + 4);
  if (!(flags & 1)) throw new Unsupported('Xing header without a frame count');
  const frames = head.readUInt32BE(x + 8);
  if (!frames) throw new Unsupported('Xing frame count 0');
  if (flags & 2) {
    const bytes = head.readUInt32BE(x + 12);
    // ffmpeg drops the frame count when the byte count is off by more than 1/16 (checked here
    // against both the whole file and the file after the ID3v2 tag, declining either way).
    for (const fsize of [size, size - base]) {
      const min = Math.min(fsize, bytes);
      if (Math.max(fsize, bytes) - min > min / 32)
        throw new Unsupported('Xing byte count differs from the file');
    }
  }
  return (frames * f.spf * TIME_BASE) / f.rate; // exact: the time base is a multiple of every rate
}

/** Largest MP3 without a Xing header whose frames are all checked (they are read whole). */
const MAX_CBR_BYTES = 16 * 1024 * 1024;

/**
 * Without a Xing header ffmpeg estimates the duration from the bit rate
 * (estimate_timings_from_bit_rate): (file size − the first frame's offset) × 8 / bit rate, in its
 * time base, rounded. That bit rate is a running average over the frames
 * avformat_find_stream_info read, exact only when every frame has the same one: every frame to
 * the end of the audio is checked (a VBRI header, another bit rate or layout, or anything
 * between frames is declined).
 */
async function constantBitRateDuration(
  file: string,
  base: number,
  audioEnd: number,
  f: Frame,
): Promise<number> {
  const { head: all, size } = await readHead(file, MAX_CBR_BYTES + 1);
  if (size > MAX_CBR_BYTES) throw new Unsupported('MP3 without a Xing header over 16 MiB');
  if (all.toString('latin1', base + 36, base + 40) === 'VBRI') throw new Unsupported('VBRI header');
  for (let p = base; p < audioEnd;) {
    const g = frameAt(all, p);
    if (!g || g.kbps !== f.kbps || g.rate !== f.rate || g.mono !== f.mono || g.mpeg1 !== f.mpeg1)
      throw new Unsupported('MP3 without a Xing header and not one constant bit rate');
    p += g.size;
  }
  const bitRate = f.kbps * 1000;
  return Math.floor(((size - base) * 8 * TIME_BASE + bitRate / 2) / bitRate);
}

/**
 * The ID3v1 tag at the end (128 bytes), or null; an APEv2 tag (ffmpeg reads it as tags too) is
 * left to ffprobe.
 */
async function readTail(file: string, size: number): Promise<Buffer | null> {
  const n = Math.min(size, 160);
  const fh = await fsp.open(file, 'r');
  try {
    const t = Buffer.alloc(n);
    await fh.read(t, 0, n, size - n);
    if (t.toString('latin1', n - 32, n - 24) === 'APETAGEX') throw new Unsupported('APE tag');
    if (n >= 128 && size > 128 && t.toString('latin1', n - 128, n - 125) === 'TAG')
      return t.subarray(n - 128);
    return null;
  } finally {
    await fh.close();
  }
}

/**
 * ID3v1 fields as ffmpeg's id3v1.c (5.1) reads them: up to a NUL, trailing spaces dropped. It
 * keeps bytes above 0x7f as they are (not UTF-8): such a tag is declined.
 */
function id3v1(b: Buffer, tags: Record<string, string>): void {
  const fields: Array<[string, number, number]> = [
    ['title', 3, 30],
    ['artist', 33, 30],
    ['album', 63, 30],
    ['date', 93, 4],
    ['comment', 97, 30],
  ];
  for (const [key, at, len] of fields) {
    const raw = b.toString('latin1', at, at + len);
    if (/[\x80-\xff]/.test(raw)) throw new Unsupported('ID3v1 text beyond ASCII');
    const nul = raw.indexOf('\0');
    const text = (nul < 0 ? raw : raw.slice(0, nul)).replace(/ +$/, '');
    if (text) tags[key] = text;
  }
}

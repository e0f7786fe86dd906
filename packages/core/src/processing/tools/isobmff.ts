import fsp from 'node:fs/promises';
import type { FfprobeResult, FfprobeStream } from './ffprobe.js';
import { avD2q, orDecline, readAt, Unsupported } from './container-read.js';

export { Unsupported };

/**
 * In-process reader of QuickTime / ISO base media files (MOV, MP4, M4V, M4A): the movie box
 * (`moov`) gives what `ffprobe -show_streams -show_format` would, in ffprobe's own shape, so
 * one code path (probe.ts `applyFfprobeAv`) turns either into metadata. It answers only where
 * it knows ffprobe's answer exactly; for anything else (fragmented files, edit lists that shift
 * timing, codecs whose pixel format lives in the bitstream) it returns null and the caller runs
 * ffprobe. Decision 090.
 */

/** Largest movie box read into memory (a two-hour film's sample tables are a few MB). */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;

interface Box {
  type: string;
  /** Offset of the payload in `buf`. */
  start: number;
  end: number;
}

function boxes(buf: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  let p = start;
  while (p + 8 <= end) {
    let size = buf.readUInt32BE(p);
    const type = buf.toString('latin1', p + 4, p + 8);
    let header = 8;
    if (size === 1) {
      if (p + 16 > end) break;
      size = Number(buf.readBigUInt64BE(p + 8));
      header = 16;
    } else if (size === 0) size = end - p;
    if (size < header || p + size > end) break;
    out.push({ type, start: p + header, end: p + size });
    p += size;
  }
  return out;
}

function child(buf: Buffer, b: Box | undefined, type: string, skip = 0): Box | undefined {
  if (!b) return undefined;
  return boxes(buf, b.start + skip, b.end).find((x) => x.type === type);
}

function path(buf: Buffer, b: Box | undefined, ...types: string[]): Box | undefined {
  let cur = b;
  for (const t of types) cur = child(buf, cur, t);
  return cur;
}

/** Reads the top-level boxes' headers and the whole `moov`. Null when the file has none. */
async function readMoov(file: string): Promise<{ moov: Buffer; top: string[]; size: number } | null> {
  const fh = await fsp.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(16);
    const top: string[] = [];
    let p = 0;
    while (p + 8 <= size) {
      const { bytesRead } = await fh.read(head, 0, 16, p);
      if (bytesRead < 8) break;
      let boxSize = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      let header = 8;
      if (boxSize === 1) {
        if (bytesRead < 16) return null;
        boxSize = Number(head.readBigUInt64BE(8));
        header = 16;
      } else if (boxSize === 0) boxSize = size - p;
      if (boxSize < header || !/^[\x20-\x7e]{4}$/.test(type)) return null;
      top.push(type);
      if (type === 'moov') {
        if (boxSize > MAX_MOOV_BYTES || p + boxSize > size) return null;
        const moov = Buffer.alloc(boxSize - header);
        await fh.read(moov, 0, moov.length, p + header);
        return { moov, top, size };
      }
      p += boxSize;
    }
    return null;
  } finally {
    await fh.close();
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** `num/den` reduced, as ffmpeg's av_reduce prints it (0/0 when undefined). */
export function ratio(num: number, den: number): string {
  if (!den || !num) return '0/0';
  const g = gcd(num, den);
  return `${num / g}/${den / g}`;
}

/** Macintosh language codes (QuickTime), the first ones ffmpeg maps. */
const MAC_LANGUAGES = ['eng', 'fra', 'ger', 'ita', 'dut', 'swe', 'spa', 'dan', 'por', 'nor', 'heb', 'jpn'];

/** ffmpeg's mov/mp4 language: packed ISO-639-2/T, or a Macintosh language code. */
function language(code: number): string | undefined {
  if (code < 0x400) {
    const mac = MAC_LANGUAGES[code];
    if (!mac) throw new Unsupported(`Macintosh language ${code}`);
    return mac;
  }
  if (code === 0x7fff) return undefined;
  const s = String.fromCharCode(((code >> 10) & 31) + 0x60, ((code >> 5) & 31) + 0x60, (code & 31) + 0x60);
  if (!/^[a-z]{3}$/.test(s)) throw new Unsupported('language code');
  return s;
}

// ---- colour tags: ISO/IEC 23091-2 codes to ffmpeg's names --------------------------------------
export const PRIMARIES: Record<number, string> = {
  1: 'bt709',
  4: 'bt470m',
  5: 'bt470bg',
  6: 'smpte170m',
  7: 'smpte240m',
  8: 'film',
  9: 'bt2020',
  10: 'smpte428',
  11: 'smpte431',
  12: 'smpte432',
  22: 'jedec-p22',
};
export const TRANSFER: Record<number, string> = {
  1: 'bt709',
  4: 'gamma22',
  5: 'gamma28',
  6: 'smpte170m',
  7: 'smpte240m',
  8: 'linear',
  9: 'log100',
  10: 'log316',
  11: 'iec61966-2-4',
  12: 'bt1361e',
  13: 'iec61966-2-1',
  14: 'bt2020-10',
  15: 'bt2020-12',
  16: 'smpte2084',
  17: 'smpte428',
  18: 'arib-std-b67',
};
export const MATRIX: Record<number, string> = {
  0: 'gbr',
  1: 'bt709',
  4: 'fcc',
  5: 'bt470bg',
  6: 'smpte170m',
  7: 'smpte240m',
  8: 'ycgco',
  9: 'bt2020nc',
  10: 'bt2020c',
  11: 'smpte2085',
  12: 'chroma-derived-nc',
  13: 'chroma-derived-c',
  14: 'ictcp',
};

export interface Colour {
  primaries?: number;
  transfer?: number;
  matrix?: number;
  fullRange?: boolean;
}

export function applyColour(s: FfprobeStream, c: Colour): void {
  if (c.primaries !== undefined && PRIMARIES[c.primaries]) s.color_primaries = PRIMARIES[c.primaries];
  if (c.transfer !== undefined && TRANSFER[c.transfer]) s.color_transfer = TRANSFER[c.transfer];
  if (c.matrix !== undefined && MATRIX[c.matrix]) s.color_space = MATRIX[c.matrix];
  if (c.fullRange !== undefined) s.color_range = c.fullRange ? 'pc' : 'tv';
}

/** `colr` of type nclx/nclc (in a visual sample entry). */
function colrBox(buf: Buffer, b: Box): Colour | null {
  const kind = buf.toString('latin1', b.start, b.start + 4);
  if ((kind !== 'nclx' && kind !== 'nclc') || b.end - b.start < 10) return null;
  const c: Colour = {
    primaries: buf.readUInt16BE(b.start + 4),
    transfer: buf.readUInt16BE(b.start + 6),
    matrix: buf.readUInt16BE(b.start + 8),
  };
  if (kind === 'nclx' && b.end - b.start >= 11) c.fullRange = (buf[b.start + 10]! & 0x80) !== 0;
  return c;
}

// ---- ProRes: profile from the fourcc, pixel format and colour from the first frame's header ----
const PRORES: Record<string, { profile: string; twelveBit: boolean }> = {
  apco: { profile: 'Proxy', twelveBit: false },
  apcs: { profile: 'LT', twelveBit: false },
  apcn: { profile: 'Standard', twelveBit: false },
  apch: { profile: 'HQ', twelveBit: false },
  ap4h: { profile: '4444', twelveBit: true },
  ap4x: { profile: '4444XQ', twelveBit: true },
};

/** The ProRes frame header (Apple ProRes bitstream syntax): chroma format, alpha, colour. */
function proresFrame(frame: Buffer): { chroma444: boolean; alpha: boolean; colour: Colour } | null {
  if (frame.length < 28 || frame.toString('latin1', 4, 8) !== 'icpf') return null;
  const h = 8;
  const flags = frame[h + 12]!;
  const chroma444 = flags >> 6 === 3;
  const alpha = (frame[h + 17]! & 0x0f) !== 0;
  return {
    chroma444,
    alpha,
    colour: { primaries: frame[h + 14]!, transfer: frame[h + 15]!, matrix: frame[h + 16]! },
  };
}

// ---- H.264: profile, chroma format, bit depth and VUI colour from the first SPS ----------------
export class Bits {
  private pos = 0;
  constructor(private readonly b: Buffer) {}
  bit(): number {
    const byte = this.b[this.pos >> 3];
    if (byte === undefined) throw new RangeError('end of SPS');
    const v = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v;
  }
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) if (++zeros > 31) throw new RangeError('bad exp-Golomb code');
    return 2 ** zeros - 1 + this.bits(zeros);
  }
  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -k / 2;
  }
}

function unescapeNal(nal: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < nal.length; i++) {
    if (i >= 2 && nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0 && out.length >= 2) continue;
    out.push(nal[i]!);
  }
  return Buffer.from(out);
}

interface H264Sps {
  profileIdc: number;
  constraints: number;
  chromaFormat: number;
  bitDepth: number;
  colour: Colour;
  /** VUI sample aspect ratio, when given. */
  sar?: [number, number];
}

const SAR_TABLE: Array<[number, number]> = [
  [0, 1],
  [1, 1],
  [12, 11],
  [10, 11],
  [16, 11],
  [40, 33],
  [24, 11],
  [20, 11],
  [32, 11],
  [80, 33],
  [18, 11],
  [15, 11],
  [64, 33],
  [160, 99],
  [4, 3],
  [3, 2],
  [2, 1],
];

function skipScalingList(r: Bits, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

function parseH264Sps(nal: Buffer): H264Sps {
  const r = new Bits(unescapeNal(nal.subarray(1)));
  const profileIdc = r.bits(8);
  const constraints = r.bits(8);
  r.bits(8); // level
  r.ue(); // sps id
  let chromaFormat = 1;
  let bitDepth = 8;
  if ([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].includes(profileIdc)) {
    chromaFormat = r.ue();
    if (chromaFormat === 3) r.bit();
    bitDepth = r.ue() + 8;
    r.ue(); // chroma bit depth
    r.bit(); // qpprime bypass
    if (r.bit())
      for (let i = 0; i < (chromaFormat === 3 ? 12 : 8); i++)
        if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
  }
  r.ue(); // log2_max_frame_num
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.bit();
    r.se();
    r.se();
    const n = r.ue();
    for (let i = 0; i < n; i++) r.se();
  }
  r.ue(); // max refs
  r.bit(); // gaps
  r.ue(); // width in mbs
  r.ue(); // height in map units
  if (!r.bit()) r.bit(); // frame_mbs_only, else mb_adaptive
  r.bit(); // direct 8x8
  if (r.bit()) {
    r.ue();
    r.ue();
    r.ue();
    r.ue();
  }
  const sps: H264Sps = { profileIdc, constraints, chromaFormat, bitDepth, colour: {} };
  if (r.bit()) {
    // VUI
    if (r.bit()) {
      const idc = r.bits(8);
      if (idc === 255) sps.sar = [r.bits(16), r.bits(16)];
      else if (SAR_TABLE[idc]) sps.sar = SAR_TABLE[idc];
    }
    if (r.bit()) r.bit(); // overscan
    if (r.bit()) {
      r.bits(3); // video format
      sps.colour.fullRange = r.bit() === 1;
      if (r.bit()) {
        sps.colour.primaries = r.bits(8);
        sps.colour.transfer = r.bits(8);
        sps.colour.matrix = r.bits(8);
      }
    }
  }
  return sps;
}

function h264Profile(idc: number, c: number): string | undefined {
  const set1 = (c & 0x40) !== 0;
  const set3 = (c & 0x10) !== 0;
  switch (idc) {
    case 66:
      return set1 ? 'Constrained Baseline' : 'Baseline';
    case 77:
      return 'Main';
    case 88:
      return 'Extended';
    case 100:
      return 'High';
    case 110:
      return set3 ? 'High 10 Intra' : 'High 10';
    case 122:
      return set3 ? 'High 4:2:2 Intra' : 'High 4:2:2';
    case 244:
      return set3 ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
    case 44:
      return 'CAVLC 4:4:4';
    default:
      return undefined;
  }
}

function yuvPixFmt(chroma: number, bits: number, fullRange8: boolean): string | undefined {
  const base = chroma === 0 ? 'gray' : chroma === 1 ? 'yuv420p' : chroma === 2 ? 'yuv422p' : 'yuv444p';
  if (bits === 8) return chroma !== 0 && fullRange8 ? base.replace('yuv', 'yuvj') : base;
  if (chroma === 0) return `gray${bits}le`;
  return `${base}${bits}le`;
}

/** An AVCDecoderConfigurationRecord (avcC): the first SPS, parsed. */
function avcC(rec: Buffer): H264Sps | null {
  if (rec.length < 7 || rec[0] !== 1) return null;
  const nSps = rec[5]! & 31;
  if (nSps < 1) return null;
  const len = rec.readUInt16BE(6);
  const nal = rec.subarray(8, 8 + len);
  try {
    return parseH264Sps(nal);
  } catch {
    return null;
  }
}

/**
 * H.264's codec, profile, pixel format, bit depth, colour and sample aspect from an avcC record
 * (an MP4 `avcC` box or a Matroska CodecPrivate): the decoder's view, which ffprobe prints.
 */
export function applyAvc(s: FfprobeStream, record: Buffer): void {
  const sps = avcC(record);
  if (!sps) throw new Unsupported('no avcC');
  s.codec_name = 'h264';
  const profile = h264Profile(sps.profileIdc, sps.constraints);
  if (!profile) throw new Unsupported(`H.264 profile ${sps.profileIdc}`);
  s.profile = profile;
  // The decoder's view (the SPS) wins over the container's colr box, as in ffprobe.
  applyColour(s, sps.colour);
  const pix = yuvPixFmt(sps.chromaFormat, sps.bitDepth, sps.colour.fullRange === true);
  if (!pix) throw new Unsupported('H.264 chroma format');
  s.pix_fmt = pix;
  s.bits_per_raw_sample = String(sps.bitDepth);
  if (sps.sar && sps.sar[0] && sps.sar[1])
    s.sample_aspect_ratio = ratio(sps.sar[0], sps.sar[1]).replace('/', ':');
}

// ---- audio ---------------------------------------------------------------------------------------
const LAYOUTS: Record<number, string> = {
  1: 'mono',
  2: 'stereo',
  3: '3.0',
  4: '4.0',
  5: '5.0',
  6: '5.1',
  8: '7.1',
};

/** kAudioChannelLayoutTag_Mono and _Stereo. */
const CHAN_TAGS: Record<number, string> = { [(100 << 16) | 1]: 'mono', [(101 << 16) | 2]: 'stereo' };

/** PCM sample entries and their ffmpeg codec, sample format and bits. */
function pcmCodec(
  fourcc: string,
  bits: number,
  littleEndian: boolean,
  float: boolean,
): [string, string, number] | null {
  if (fourcc === 'sowt') return ['pcm_s16le', 's16', 16];
  if (fourcc === 'twos') return bits === 8 ? ['pcm_s8', 'u8', 8] : ['pcm_s16be', 's16', 16];
  if (fourcc === 'in24') return [littleEndian ? 'pcm_s24le' : 'pcm_s24be', 's32', 24];
  if (fourcc === 'in32') return [littleEndian ? 'pcm_s32le' : 'pcm_s32be', 's32', 32];
  if (fourcc === 'fl32') return [littleEndian ? 'pcm_f32le' : 'pcm_f32be', 'flt', 32];
  if (fourcc === 'fl64') return [littleEndian ? 'pcm_f64le' : 'pcm_f64be', 'dbl', 64];
  if (fourcc === 'ipcm' || fourcc === 'lpcm') {
    if (float) return bits === 64 ? ['pcm_f64le', 'dbl', 64] : ['pcm_f32le', 'flt', 32];
    const e = littleEndian ? 'le' : 'be';
    if (bits === 16) return [`pcm_s16${e}`, 's16', 16];
    if (bits === 24) return [`pcm_s24${e}`, 's32', 24];
    if (bits === 32) return [`pcm_s32${e}`, 's32', 32];
  }
  return null;
}

// ---- sample tables -----------------------------------------------------------------------------
interface Timing {
  sampleCount: number;
  totalDuration: number;
  /** stts entries: [count, delta]. */
  stts: Array<[number, number]>;
}

function sttsBox(buf: Buffer, b: Box | undefined): Timing | null {
  if (!b) return null;
  const n = buf.readUInt32BE(b.start + 4);
  if (b.start + 8 + n * 8 > b.end) return null;
  const stts: Array<[number, number]> = [];
  let sampleCount = 0;
  let totalDuration = 0;
  for (let i = 0; i < n; i++) {
    const count = buf.readUInt32BE(b.start + 8 + i * 8);
    const delta = buf.readUInt32BE(b.start + 12 + i * 8);
    stts.push([count, delta]);
    sampleCount += count;
    totalDuration += count * delta;
  }
  return { sampleCount, totalDuration, stts };
}

/** File offset of the first sample (first chunk's offset; the first sample starts the chunk). */
function firstSampleOffset(buf: Buffer, stbl: Box): number | null {
  const stco = child(buf, stbl, 'stco');
  if (stco && buf.readUInt32BE(stco.start + 4) > 0) return buf.readUInt32BE(stco.start + 8);
  const co64 = child(buf, stbl, 'co64');
  if (co64 && buf.readUInt32BE(co64.start + 4) > 0) return Number(buf.readBigUInt64BE(co64.start + 8));
  return null;
}

function firstSampleSize(buf: Buffer, stbl: Box): number | null {
  const stsz = child(buf, stbl, 'stsz');
  if (!stsz) return null;
  const fixed = buf.readUInt32BE(stsz.start + 4);
  if (fixed) return fixed;
  return buf.readUInt32BE(stsz.start + 8) > 0 ? buf.readUInt32BE(stsz.start + 12) : null;
}

/** SMPTE timecode of a frame number, as ffmpeg prints it (`;` before frames when drop-frame). */
export function frameToTimecode(frame: number, fps: number, dropFrame: boolean): string {
  let f = frame;
  if (dropFrame) {
    // 29.97/59.94 drop-frame: skip 2 (4) frame numbers each minute except every tenth.
    const drop = Math.round(fps / 15);
    const perTen = fps * 600 - drop * 9;
    const perMin = fps * 60 - drop;
    const d = Math.floor(f / perTen);
    const m = f % perTen;
    f += drop * 9 * d + (m > drop ? drop * Math.floor((m - drop) / perMin) : 0);
  }
  const ff = f % fps;
  const ss = Math.floor(f / fps) % 60;
  const mm = Math.floor(f / (fps * 60)) % 60;
  const hh = Math.floor(f / (fps * 3600)) % 24;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(hh)}:${p(mm)}:${p(ss)}${dropFrame ? ';' : ':'}${p(ff)}`;
}

/** Why the reader declined, for the agreement test and the fallback warning. */

/**
 * ffprobe's answer for a MOV/MP4 file, computed in-process, or null when the file holds
 * something this reader does not answer for exactly (then run ffprobe).
 */
export async function probeIsobmff(file: string): Promise<FfprobeResult | null> {
  return orDecline(probeOrThrow(file));
}

/** As probeIsobmff, but says why it declines (Unsupported). */
export async function probeOrThrow(file: string): Promise<FfprobeResult> {
  const got = await readMoov(file);
  if (!got) throw new Unsupported('no movie box');
  const { moov: buf, top, size } = got;
  const root: Box = { type: 'moov', start: 0, end: buf.length };
  if (child(buf, root, 'mvex') || top.includes('moof')) throw new Unsupported('fragmented');
  const mvhd = child(buf, root, 'mvhd');
  if (!mvhd) throw new Unsupported('no movie header');
  const mv1 = buf[mvhd.start] === 1;
  const movieScale = buf.readUInt32BE(mvhd.start + (mv1 ? 20 : 12));
  const movieDuration = mv1
    ? Number(buf.readBigUInt64BE(mvhd.start + 24))
    : buf.readUInt32BE(mvhd.start + 16);
  if (!movieScale || !movieDuration) throw new Unsupported('no movie duration');
  const movieMatrix = matrixAt(buf, mvhd.start + (mv1 ? 48 : 36));
  const streams: FfprobeStream[] = [];
  /** A track's single edit, in the movie's time scale (null: no edit list). */
  const editDuration = (b: Buffer, trak: Box): number | null => {
    const elst = path(b, trak, 'edts', 'elst');
    if (!elst) return null;
    const v1 = b[elst.start] === 1;
    const n = b.readUInt32BE(elst.start + 4);
    if (n === 0) return null;
    if (n !== 1) throw new Unsupported('edit list of several edits');
    const p = elst.start + 8;
    const duration = v1 ? Number(b.readBigUInt64BE(p)) : b.readUInt32BE(p);
    const mediaTime = v1 ? Number(b.readBigInt64BE(p + 8)) : b.readInt32BE(p + 4);
    const rate = b.readInt16BE(p + (v1 ? 16 : 8));
    if (mediaTime < 0 || rate !== 1 || duration === 0) throw new Unsupported('edit list');
    return duration;
  };
  let tmcd: { stbl: Box; timescale: number; frameDuration: number; fps: number; drop: boolean } | null = null;
  const traks = boxes(buf, 0, buf.length).filter((b) => b.type === 'trak');
  for (const trak of traks) {
    const mdia = child(buf, trak, 'mdia');
    const mdhd = child(buf, mdia, 'mdhd');
    const hdlr = child(buf, mdia, 'hdlr');
    const stbl = path(buf, mdia, 'minf', 'stbl');
    const stsd = child(buf, stbl, 'stsd');
    if (!mdhd || !hdlr || !stbl || !stsd) throw new Unsupported('incomplete track');
    const v1 = buf[mdhd.start] === 1;
    const timescale = buf.readUInt32BE(mdhd.start + (v1 ? 20 : 12));
    const langCode = buf.readUInt16BE(mdhd.start + (v1 ? 32 : 20));
    const handler = buf.toString('latin1', hdlr.start + 8, hdlr.start + 12);
    const edit = editDuration(buf, trak);
    const timing = sttsBox(buf, child(buf, stbl, 'stts'));
    if (!timing || !timescale) throw new Unsupported('no timing');
    const entries = boxes(buf, stsd.start + 8, stsd.end);
    const entry = entries[0];
    if (!entry || entries.length !== 1) throw new Unsupported('sample descriptions');
    const fourcc = entry.type;
    const s: FfprobeStream = { index: streams.length, time_base: `1/${timescale}` };
    const lang = language(langCode);
    if (lang) s.tags = { language: lang };
    if (timing.sampleCount > 0) {
      // ffmpeg: one edit that plays the media from a point at normal rate cuts the stream's
      // duration to the edit's (rescaled from the movie's time scale, rounded to nearest).
      const ts =
        edit === null
          ? timing.totalDuration
          : Math.floor((edit * timescale + Math.floor(movieScale / 2)) / movieScale);
      s.duration_ts = ts;
      s.duration = (ts / timescale).toFixed(6);
      s.nb_frames = String(timing.sampleCount);
    }
    s.disposition = { attached_pic: 0 };
    if (handler === 'vide') {
      s.codec_type = 'video';
      visual(buf, entry, s, fourcc);
      if (PRORES[fourcc]) {
        const off = firstSampleOffset(buf, stbl);
        if (off === null) throw new Unsupported('no ProRes frame');
        const f = proresFrame(await readAt(file, off, 32));
        if (!f) throw new Unsupported('not a ProRes frame');
        // ffmpeg's decoder: chroma and alpha from the frame header, 12 bits for the 4444 codes.
        const bits = PRORES[fourcc]!.twelveBit ? 12 : 10;
        s.pix_fmt = `yuv${f.alpha ? 'a' : ''}${f.chroma444 ? '444' : '422'}p${bits}le`;
        s.bits_per_raw_sample = String(bits);
        s.color_range = 'tv';
        applyColour(s, f.colour);
      }
      // ffmpeg's mov demuxer: the mean rate over all samples; the base rate only for a constant one.
      s.avg_frame_rate = ratio(timescale * timing.sampleCount, timing.totalDuration);
      const st = timing.stts;
      if (st.length === 1 || (st.length === 2 && st[1]![0] === 1))
        s.r_frame_rate = ratio(timescale, st[0]![1]);
      else throw new Unsupported('variable frame rate');
      const pasp = boxes(buf, entry.start + 78, entry.end).some((b) => b.type === 'pasp');
      displayMatrix(buf, trak, movieMatrix, s, pasp);
    } else if (handler === 'soun') {
      s.codec_type = 'audio';
      sound(buf, entry, s, fourcc);
      if (s.sample_rate && Number(s.sample_rate) !== timescale && !s.codec_name?.startsWith('pcm'))
        throw new Unsupported('sample rate differs from the time scale');
      s.r_frame_rate = '0/0';
      s.avg_frame_rate = '0/0';
    } else if (handler === 'tmcd') {
      s.codec_type = 'data';
      const e = entry.start;
      // TimeCodeSampleEntry: reserved(6) dref(2) reserved(4) flags(4) timescale(4) frameDuration(4) frames(1)
      const flags = buf.readUInt32BE(e + 12);
      const tcScale = buf.readUInt32BE(e + 16);
      const frameDuration = buf.readUInt32BE(e + 20);
      const fps = buf[e + 24]!;
      tmcd = { stbl, timescale: tcScale, frameDuration, fps, drop: (flags & 1) !== 0 };
      // As ffmpeg prints it: the entry's own time scale over frame duration, unreduced.
      s.avg_frame_rate = `${tcScale}/${frameDuration}`;
      s.r_frame_rate = '0/0';
    } else {
      throw new Unsupported(`track handler ${handler}`);
    }
    streams.push(s);
  }
  if (streams.length === 0) throw new Unsupported('no tracks');
  if (tmcd) {
    const off = firstSampleOffset(buf, tmcd.stbl);
    const len = firstSampleSize(buf, tmcd.stbl);
    if (off === null || len !== 4) throw new Unsupported('timecode sample');
    const start = (await readAt(file, off, 4)).readUInt32BE(0);
    const fps = tmcd.fps || Math.round(tmcd.timescale / tmcd.frameDuration);
    const tc = frameToTimecode(start, fps, tmcd.drop);
    // ffmpeg tags the timecode track and the video it describes.
    for (const s of streams)
      if (s.codec_type === 'video' || s.codec_type === 'data') s.tags = { ...s.tags, timecode: tc };
  }
  const tags = userData(buf, root);
  const created = mv1 ? Number(buf.readBigUInt64BE(mvhd.start + 4)) : buf.readUInt32BE(mvhd.start + 4);
  if (created > 0) {
    const ms = (created - 2082844800) * 1000;
    if (ms > 0) tags['creation_time'] = new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  }
  // The container's duration is the movie header's, rescaled to microseconds (av_rescale rounds).
  const durUs = Math.floor((movieDuration * 1e6 + Math.floor(movieScale / 2)) / movieScale);
  return {
    streams,
    format: {
      format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
      duration: durUs > 0 ? (durUs / 1e6).toFixed(6) : undefined,
      bit_rate: durUs > 0 ? String(Math.floor((size * 8 * 1e6) / durUs)) : undefined,
      nb_streams: streams.length,
      tags,
    },
  };
}

function visual(buf: Buffer, e: Box, s: FfprobeStream, fourcc: string): void {
  const w = buf.readUInt16BE(e.start + 24);
  const h = buf.readUInt16BE(e.start + 26);
  s.width = w;
  s.height = h;
  s.coded_width = w;
  s.coded_height = h;
  const ext = boxes(buf, e.start + 78, e.end);
  const pasp = ext.find((b) => b.type === 'pasp');
  if (pasp) {
    const hs = buf.readUInt32BE(pasp.start);
    const vs = buf.readUInt32BE(pasp.start + 4);
    if (hs && vs) s.sample_aspect_ratio = ratio(hs, vs).replace('/', ':');
  }
  const colr = ext.find((b) => b.type === 'colr' && colrBox(buf, b));
  if (colr) applyColour(s, colrBox(buf, colr)!);
  if (fourcc === 'avc1' || fourcc === 'avc3') {
    const c = ext.find((b) => b.type === 'avcC');
    if (!c) throw new Unsupported('no avcC');
    applyAvc(s, buf.subarray(c.start, c.end));
    return;
  }
  if (PRORES[fourcc]) {
    s.codec_name = 'prores';
    s.profile = PRORES[fourcc].profile;
    return;
  }
  throw new Unsupported(`video codec ${fourcc}`);
}

function sound(buf: Buffer, e: Box, s: FfprobeStream, fourcc: string): void {
  const p = e.start;
  const version = buf.readUInt16BE(p + 8);
  let channels = buf.readUInt16BE(p + 16);
  let bits = buf.readUInt16BE(p + 18);
  let rate = buf.readUInt32BE(p + 24) >>> 16;
  let extStart = p + 28;
  let le = false;
  let float = false;
  if (version === 1) extStart += 16;
  else if (version === 2) {
    rate = Math.round(buf.readDoubleBE(p + 32));
    channels = buf.readUInt32BE(p + 40);
    bits = buf.readUInt32BE(p + 48);
    const flags = buf.readUInt32BE(p + 52);
    float = (flags & 1) !== 0;
    le = (flags & 2) === 0;
    extStart += 36;
  }
  const ext = boxes(buf, extStart, e.end);
  const wave = ext.find((b) => b.type === 'wave');
  const inner = wave ? boxes(buf, wave.start, wave.end) : ext;
  const enda = inner.find((b) => b.type === 'enda');
  if (enda) le = buf.readUInt16BE(enda.start) !== 0;
  s.sample_rate = String(rate);
  s.channels = channels;
  const layout = LAYOUTS[channels];
  if (layout) s.channel_layout = layout;
  const chan = ext.find((b) => b.type === 'chan');
  if (chan) {
    // Core Audio layout tags ffmpeg maps; anything else is left to ffprobe.
    const tag = buf.readUInt32BE(chan.start + 4);
    const named = CHAN_TAGS[tag];
    if (!named || LAYOUTS[channels] !== named) throw new Unsupported('channel layout box');
  }
  const pcm = pcmCodec(fourcc, bits, le, float);
  if (pcm) {
    // ffmpeg's mov demuxer gives PCM no layout without a `chan` box, except mono.
    if (channels !== 1 && !chan) delete s.channel_layout;
    [s.codec_name, s.sample_fmt, s.bits_per_sample] = pcm;
    // ffmpeg's PCM decoder states the stored bits when it widens them into 32-bit samples.
    if (pcm[1] === 's32') s.bits_per_raw_sample = String(pcm[2]);
    return;
  }
  if (fourcc === 'mp4a') {
    const esds = inner.find((b) => b.type === 'esds');
    const asc = esds && audioSpecificConfig(buf, esds);
    if (!asc) throw new Unsupported('no AAC config');
    // HE-AAC (SBR/PS) doubles the rate and may change channels: only the decoder knows; ask ffprobe.
    if (asc.objectType !== 2) throw new Unsupported(`AAC object type ${asc.objectType}`);
    if (asc.channelConfig === 0 || asc.channelConfig > 6) throw new Unsupported('AAC channel config');
    s.codec_name = 'aac';
    s.profile = 'LC';
    s.sample_fmt = 'fltp';
    s.bits_per_sample = 0;
    s.channels = asc.channelConfig;
    s.channel_layout = LAYOUTS[asc.channelConfig];
    s.sample_rate = String(asc.sampleRate ?? rate);
    return;
  }
  if (fourcc === 'alac') {
    // The ALAC cookie (ALACSpecificConfig after the full-box header), as ffmpeg's mov demuxer
    // and alac decoder read it: channels and rate from the cookie, the sample size as the format.
    const cookie = inner.find((b) => b.type === 'alac');
    if (!cookie || cookie.end - cookie.start !== 28) throw new Unsupported('no 24-byte ALAC cookie');
    const c = cookie.start + 4;
    const sampleSize = buf[c + 5]!;
    const numChannels = buf[c + 9]!;
    if (numChannels !== 1 && numChannels !== 2) throw new Unsupported(`ALAC with ${numChannels} channels`);
    if (![16, 20, 24, 32].includes(sampleSize)) throw new Unsupported(`ALAC sample size ${sampleSize}`);
    s.codec_name = 'alac';
    s.sample_fmt = sampleSize === 16 ? 's16p' : 's32p';
    s.bits_per_sample = 0;
    s.bits_per_raw_sample = String(sampleSize);
    s.channels = numChannels;
    s.channel_layout = LAYOUTS[numChannels];
    s.sample_rate = String(buf.readUInt32BE(c + 20));
    return;
  }
  throw new Unsupported(`audio codec ${fourcc}`);
}

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

function audioSpecificConfig(
  buf: Buffer,
  esds: Box,
): { objectType: number; sampleRate?: number; channelConfig: number } | null {
  // Walk the descriptors: ES (3) > DecoderConfig (4) > DecoderSpecificInfo (5).
  let p = esds.start + 4;
  const end = esds.end;
  const descr = (): { tag: number; len: number } | null => {
    if (p >= end) return null;
    const tag = buf[p++]!;
    let len = 0;
    for (let i = 0; i < 4 && p < end; i++) {
      const b = buf[p++]!;
      len = (len << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return { tag, len };
  };
  let d = descr();
  if (!d || d.tag !== 3) return null;
  const flags = buf[p + 2]!;
  p += 3;
  if (flags & 0x80) p += 2;
  if (flags & 0x40) p += 1 + buf[p]!;
  if (flags & 0x20) p += 2;
  d = descr();
  if (!d || d.tag !== 4) return null;
  if (buf[p] !== 0x40) return null; // MPEG-4 audio
  p += 13;
  d = descr();
  if (!d || d.tag !== 5 || d.len < 2) return null;
  const r = new Bits(buf.subarray(p, p + d.len));
  let objectType = r.bits(5);
  if (objectType === 31) objectType = 32 + r.bits(6);
  const idx = r.bits(4);
  const sampleRate = idx === 15 ? r.bits(24) : AAC_RATES[idx];
  const channelConfig = r.bits(4);
  return { objectType, sampleRate, channelConfig };
}

/**
 * The track's display matrix times the movie's, as mov.c (5.1) combines them, given as ffprobe's
 * side data (rotation counter-clockwise, degrees) and, where the matrix scales one axis more
 * than the other, as the sample aspect ratio ffmpeg derives from it.
 */
function displayMatrix(buf: Buffer, trak: Box, movie: bigint[], s: FfprobeStream, hasPasp: boolean): void {
  const tkhd = child(buf, trak, 'tkhd');
  if (!tkhd) return;
  const v1 = buf[tkhd.start] === 1;
  const at = tkhd.start + (v1 ? 52 : 40);
  const track = matrixAt(buf, at);
  // res[i][j] = Σe track[i][e] × movie[e][j] >> (16, 16, 30)[e], in 64-bit integers as mov.c.
  const m = [0, 1, 2].flatMap((i) =>
    [0, 1, 2].map((j) =>
      Number(
        [0, 1, 2].reduce(
          (sum, e) => sum + ((track[i * 3 + e]! * movie[e * 3 + j]!) >> (e === 2 ? 30n : 16n)),
          0n,
        ),
      ),
    ),
  );
  const tw = buf.readUInt32BE(at + 36) / 65536;
  const th = buf.readUInt32BE(at + 40) / 65536;
  const sw = s.width ?? 0;
  const sh = s.height ?? 0;
  if (tw && th && !((tw === sw && th === sh) || (tw === sh && th === sw)))
    throw new Unsupported('track size differs from the picture size');
  if (m.every((v, i) => v === IDENTITY[i])) return;
  // mov.c: the two axes' scales (raw 16.16 values); unequal by over 1 %, their ratio is the SAR.
  const x = Math.hypot(m[0]!, m[3]!);
  const y = Math.hypot(m[1]!, m[4]!);
  if (x > 1 && y > 1 && x < 2 ** 24 && y < 2 ** 24 && Math.abs(x / y - 1) > 0.01) {
    // A pasp box (read after tkhd; mov.c keeps the first, with a warning) or a codec SAR other
    // than 1:1 next to it was not checked against ffprobe: left to it.
    if (hasPasp || (s.sample_aspect_ratio && s.sample_aspect_ratio !== '1:1'))
      throw new Unsupported('scaling display matrix and a sample aspect ratio');
    const [n, d] = avD2q(x / y);
    s.sample_aspect_ratio = `${n}:${d}`;
  }
  if (x === 0 || y === 0) throw new Unsupported('degenerate display matrix');
  // av_display_rotation_get: -atan2(b, a) with the matrix scaled, in degrees; ffprobe prints it.
  const deg = (-Math.atan2(m[1]! / y, m[0]! / x) * 180) / Math.PI;
  const rot = Math.round(deg === 0 ? 0 : deg);
  s.side_data_list = [{ side_data_type: 'Display Matrix', rotation: rot }];
}

/** ffmpeg's names for the user-data tags Montu keeps (QuickTime `udta` and iTunes `ilst`). */
const USER_DATA: Record<string, string> = {
  '\xa9nam': 'title',
  '\xa9ART': 'artist',
  '\xa9alb': 'album',
  '\xa9cmt': 'comment',
  '\xa9too': 'encoder',
  '\xa9swr': 'encoder',
  '\xa9enc': 'encoder',
  '\xa9day': 'date',
};

function userData(buf: Buffer, root: Box): Record<string, string> {
  const tags: Record<string, string> = {};
  const udta = child(buf, root, 'udta');
  if (!udta) return tags;
  for (const b of boxes(buf, udta.start, udta.end)) {
    const key = USER_DATA[b.type];
    // QuickTime text: 16-bit length, 16-bit language, then the text.
    if (key && b.end - b.start >= 4) {
      const len = buf.readUInt16BE(b.start);
      if (b.start + 4 + len <= b.end) tags[key] = buf.toString('utf8', b.start + 4, b.start + 4 + len);
    }
  }
  const meta = child(buf, udta, 'meta');
  // ISO `meta` is a full box (4 bytes of version and flags); QuickTime's is not.
  const list = child(buf, meta, 'ilst', 4) ?? child(buf, meta, 'ilst');
  for (const b of list ? boxes(buf, list.start, list.end) : []) {
    const key = USER_DATA[b.type];
    const data = key && child(buf, b, 'data');
    if (key && data && buf.readUInt32BE(data.start) === 1)
      tags[key] = buf.toString('utf8', data.start + 8, data.end);
  }
  return tags;
}

const IDENTITY = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000];

/** A 3×3 matrix of 16.16 (and 2.30 in the last column) fixed-point values. */
function matrixAt(buf: Buffer, at: number): bigint[] {
  return Array.from({ length: 9 }, (_, i) => BigInt(buf.readInt32BE(at + i * 4)));
}

import type { FfprobeResult, FfprobeStream } from './ffprobe.js';
import { orDecline, readHead, Unsupported } from './container-read.js';

/**
 * In-process reader of native FLAC headers (STREAMINFO, Vorbis comments), answering in ffprobe's
 * JSON shape exactly as ffprobe would, or declining (Unsupported) so the caller runs ffprobe:
 * an ID3 tag before `fLaC`, embedded pictures (ffprobe lists them as streams), no total sample
 * count (ffprobe estimates), a first frame that contradicts STREAMINFO, metadata block lengths
 * that do not lead to a frame, channel counts whose layout was not checked against ffprobe.
 * Decision 090.
 */

const MAX_HEADER_BYTES = 1024 * 1024;
/** ffmpeg's FLAC layouts for the channel counts checked against ffprobe. */
const LAYOUTS: Record<number, string> = { 1: 'mono', 2: 'stereo', 6: '5.1(side)' };
/** Vorbis comment keys → the tag names Montu keeps (ffmpeg keeps the written case; Montu lower-cases). */
const COMMENTS: Record<string, string> = {
  TITLE: 'title',
  ARTIST: 'artist',
  ALBUM: 'album',
  DATE: 'date',
  ENCODER: 'encoder',
  COMMENT: 'comment',
  // ffmpeg's Vorbis comment conversion names DESCRIPTION "comment".
  DESCRIPTION: 'comment',
};

export async function probeFlac(file: string): Promise<FfprobeResult | null> {
  return orDecline(probeFlacOrThrow(file));
}

export async function probeFlacOrThrow(file: string): Promise<FfprobeResult> {
  const { head, size } = await readHead(file, MAX_HEADER_BYTES);
  if (head.toString('latin1', 0, 4) !== 'fLaC') throw new Unsupported('not a native FLAC stream');
  let p = 4;
  let info: { rate: number; channels: number; bits: number; samples: number } | null = null;
  const tags: Record<string, string> = {};
  for (let last = false; !last;) {
    if (p + 4 > head.length) throw new Unsupported('metadata past the header');
    last = (head[p]! & 0x80) !== 0;
    const type = head[p]! & 0x7f;
    const len = head.readUIntBE(p + 1, 3);
    const body = p + 4;
    if (body + len > head.length) throw new Unsupported('metadata block past the header');
    if (type === 0 && len >= 34) {
      const rate = head.readUIntBE(body + 10, 3) >> 4;
      const channels = ((head[body + 12]! >> 1) & 7) + 1;
      const bits = (((head[body + 12]! & 1) << 4) | (head[body + 13]! >> 4)) + 1;
      const samples = (head[body + 13]! & 0x0f) * 2 ** 32 + head.readUInt32BE(body + 14);
      info = { rate, channels, bits, samples };
    } else if (type === 4) {
      vorbisComments(head.subarray(body, body + len), tags);
    } else if (type === 6) throw new Unsupported('embedded picture');
    p = body + len;
  }
  if (!info) throw new Unsupported('no STREAMINFO');
  if (!info.samples || !info.rate) throw new Unsupported('no total sample count');
  // The first frame must follow, and agree on channels and sample size (ffmpeg's decoder reads it).
  if (p + 4 > head.length || head[p] !== 0xff || (head[p + 1]! & 0xfe) !== 0xf8)
    throw new Unsupported('no frame after the metadata');
  const assignment = head[p + 3]! >> 4;
  const frameChannels = assignment < 8 ? assignment + 1 : assignment <= 10 ? 2 : 0;
  const sizeCode = (head[p + 3]! >> 1) & 7;
  const frameBits = [0, 8, 12, 0, 16, 20, 24, 32][sizeCode]!;
  if (frameChannels !== info.channels || (sizeCode !== 0 && frameBits !== info.bits))
    throw new Unsupported('first frame differs from STREAMINFO');
  const layout = LAYOUTS[info.channels];
  if (!layout) throw new Unsupported(`${info.channels} channels`);
  const s: FfprobeStream = {
    index: 0,
    codec_type: 'audio',
    codec_name: 'flac',
    sample_fmt: info.bits <= 16 ? 's16' : 's32',
    sample_rate: String(info.rate),
    channels: info.channels,
    channel_layout: layout,
    bits_per_sample: 0,
    bits_per_raw_sample: String(info.bits),
    time_base: `1/${info.rate}`,
    duration_ts: info.samples,
    duration: (info.samples / info.rate).toFixed(6),
    r_frame_rate: '0/0',
    avg_frame_rate: '0/0',
    disposition: { attached_pic: 0 },
  };
  const durUs = Math.floor((info.samples * 1e6 + Math.floor(info.rate / 2)) / info.rate);
  return {
    streams: [s],
    format: {
      format_name: 'flac',
      duration: (durUs / 1e6).toFixed(6),
      bit_rate: String(Math.floor((size * 8 * 1e6) / durUs)),
      nb_streams: 1,
      tags,
    },
  };
}

function vorbisComments(b: Buffer, tags: Record<string, string>): void {
  let p = 4 + b.readUInt32LE(0); // vendor string
  const n = b.readUInt32LE(p);
  p += 4;
  for (let i = 0; i < n && p + 4 <= b.length; i++) {
    const len = b.readUInt32LE(p);
    const text = b.toString('utf8', p + 4, p + 4 + len);
    p += 4 + len;
    const eq = text.indexOf('=');
    const key = COMMENTS[text.slice(0, eq).toUpperCase()];
    // ffmpeg keeps the first of repeated keys' values joined by ";"; Montu keeps only these few.
    if (eq > 0 && key)
      tags[key] = tags[key] === undefined ? text.slice(eq + 1) : `${tags[key]};${text.slice(eq + 1)}`;
  }
}

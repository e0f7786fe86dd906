import type { FfprobeResult, FfprobeStream } from './ffprobe.js';
import { orDecline, readHead, Unsupported } from './container-read.js';
import { frameAt } from './mp3.js';

/**
 * In-process reader of RIFF WAVE (WAV/BWF) headers with PCM or IEEE-float samples, or GSM 6.10
 * (Microsoft) and MP3 with a `fact` sample count, answering in ffprobe's JSON shape exactly as
 * ffprobe would, or declining (Unsupported) so the caller runs ffprobe: RF64, other compressed
 * formats, streamed files without a data size, channel masks ffmpeg names otherwise.
 * Decisions 090, 228.
 */

/** Headers are small; chunks before `data` past this are not expected (and are left to ffprobe). */
const MAX_HEADER_BYTES = 1024 * 1024;

/** WAVE_FORMAT_EXTENSIBLE channel masks ffmpeg names, and their names. */
const MASKS: Record<number, string> = {
  0x4: 'mono',
  0x3: 'stereo',
  0x7: '3.0',
  0x33: 'quad',
  0x107: '4.0',
  0x37: '5.0(side)',
  0x607: '5.0(side)',
  0x3f: '5.1',
  0x60f: '5.1(side)',
  0x63f: '7.1',
};

/** LIST/INFO chunks ffmpeg maps to the tag names Montu keeps. */
const INFO: Record<string, string> = {
  INAM: 'title',
  IART: 'artist',
  ICMT: 'comment',
  IPRD: 'album',
  ISFT: 'encoder',
  ICRD: 'date',
};

function cstring(b: Buffer, start: number, end: number): string {
  const s = b.toString('latin1', start, end);
  const nul = s.indexOf('\0');
  return (nul < 0 ? s : s.slice(0, nul)).trim();
}

export async function probeWav(file: string): Promise<FfprobeResult | null> {
  return orDecline(probeWavOrThrow(file));
}

export async function probeWavOrThrow(file: string): Promise<FfprobeResult> {
  const { head, size } = await readHead(file, MAX_HEADER_BYTES);
  if (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE')
    throw new Unsupported('not RIFF WAVE');
  let p = 12;
  let fmt: Buffer | null = null;
  let dataStart = -1;
  let dataSize = 0;
  let factSamples = 0;
  const tags: Record<string, string> = {};
  while (p + 8 <= head.length) {
    const id = head.toString('latin1', p, p + 4);
    const len = head.readUInt32LE(p + 4);
    const body = p + 8;
    if (id === 'data') {
      dataStart = body;
      dataSize = len;
      break;
    }
    if (body + len > head.length) throw new Unsupported(`chunk ${id} past the header`);
    if (id === 'fmt ') fmt = head.subarray(body, body + len);
    else if (id === 'fact' && len >= 4) factSamples = head.readUInt32LE(body);
    else if (id === 'LIST' && head.toString('latin1', body, body + 4) === 'INFO') {
      for (let q = body + 4; q + 8 <= body + len;) {
        const key = head.toString('latin1', q, q + 4);
        const n = head.readUInt32LE(q + 4);
        const name = INFO[key];
        if (name) tags[name] = cstring(head, q + 8, Math.min(q + 8 + n, body + len));
        q += 8 + n + (n & 1);
      }
    } else if (id === 'bext' && len >= 346) {
      const date = cstring(head, body + 320, body + 330);
      const time = cstring(head, body + 330, body + 338);
      if (date) tags['date'] = date;
      if (time) tags['creation_time'] = time;
    }
    p = body + len + (len & 1);
  }
  if (!fmt || fmt.length < 16 || dataStart < 0) throw new Unsupported('no fmt or data chunk');
  if (dataSize === 0 || dataSize === 0xffffffff) throw new Unsupported('data size not given');
  let tag = fmt.readUInt16LE(0);
  const channels = fmt.readUInt16LE(2);
  const rate = fmt.readUInt32LE(4);
  const blockAlign = fmt.readUInt16LE(12);
  const bits = fmt.readUInt16LE(14);
  let layout: string | undefined;
  if (tag === 0xfffe) {
    if (fmt.length < 40) throw new Unsupported('short WAVE_FORMAT_EXTENSIBLE');
    if (fmt.readUInt16LE(18) !== bits) throw new Unsupported('valid bits differ from the container');
    layout = MASKS[fmt.readUInt32LE(20)];
    if (!layout) throw new Unsupported('channel mask');
    tag = fmt.readUInt16LE(24);
  }
  if (tag === 0x31 || tag === 0x55)
    return compressed(head, {
      tag,
      channels,
      rate,
      blockAlign,
      bits,
      dataStart,
      dataSize,
      factSamples,
      size,
      tags,
    });
  const s: FfprobeStream = { index: 0, codec_type: 'audio' };
  if (tag === 1 && bits === 8) [s.codec_name, s.sample_fmt] = ['pcm_u8', 'u8'];
  else if (tag === 1 && bits === 16) [s.codec_name, s.sample_fmt] = ['pcm_s16le', 's16'];
  else if (tag === 1 && (bits === 24 || bits === 32)) {
    [s.codec_name, s.sample_fmt] = [`pcm_s${bits}le`, 's32'];
    s.bits_per_raw_sample = String(bits);
  } else if (tag === 3 && bits === 32) [s.codec_name, s.sample_fmt] = ['pcm_f32le', 'flt'];
  else if (tag === 3 && bits === 64) [s.codec_name, s.sample_fmt] = ['pcm_f64le', 'dbl'];
  else throw new Unsupported(`WAVE format ${tag}, ${bits} bits`);
  if (!rate || !channels || blockAlign !== (channels * bits) / 8) throw new Unsupported('inconsistent fmt');
  s.bits_per_sample = bits;
  s.sample_rate = String(rate);
  s.channels = channels;
  if (layout) s.channel_layout = layout;
  // A truncated file plays what it holds (as ffmpeg's demuxer does).
  const samples = Math.floor(Math.min(dataSize, size - dataStart) / blockAlign);
  if (samples <= 0) throw new Unsupported('no samples');
  return withDuration(s, samples, rate, size, tags);
}

/** The stream's and the container's timing from a sample count, as ffmpeg's wav demuxer. */
function withDuration(
  s: FfprobeStream,
  samples: number,
  rate: number,
  size: number,
  tags: Record<string, string>,
): FfprobeResult {
  s.time_base = `1/${rate}`;
  s.duration_ts = samples;
  s.duration = (samples / rate).toFixed(6);
  s.r_frame_rate = '0/0';
  s.avg_frame_rate = '0/0';
  s.disposition = { attached_pic: 0 };
  const durUs = Math.floor((samples * 1e6 + Math.floor(rate / 2)) / rate);
  return {
    streams: [s],
    format: {
      format_name: 'wav',
      duration: (durUs / 1e6).toFixed(6),
      bit_rate: String(Math.floor((size * 8 * 1e6) / durUs)),
      nb_streams: 1,
      tags,
    },
  };
}

interface Fmt {
  tag: number;
  channels: number;
  rate: number;
  blockAlign: number;
  bits: number;
  dataStart: number;
  dataSize: number;
  factSamples: number;
  size: number;
  tags: Record<string, string>;
}

/**
 * GSM 6.10 (Microsoft, 0x31) and MP3 (0x55) in WAV. These formats have no bits per sample, so
 * ffmpeg's wav demuxer takes the duration from the `fact` chunk's sample count, unless that
 * count implies more than the stored bits per sample + 1 per sample (it then ignores it and
 * estimates: declined). Channels, layout and rate are the decoder's (gsm: mono; mp3: the first
 * frame's), so they must agree with the fmt chunk.
 */
function compressed(head: Buffer, f: Fmt): FfprobeResult {
  if (!f.factSamples) throw new Unsupported('compressed WAVE without a fact sample count');
  if (Math.floor(Math.floor((f.dataSize * 8) / f.factSamples) / f.channels) > f.bits + 1)
    throw new Unsupported('fact sample count ffmpeg ignores');
  const s: FfprobeStream = { index: 0, codec_type: 'audio', bits_per_sample: 0 };
  if (f.tag === 0x31) {
    // gsm_ms with the standard 65-byte block (320 samples); the decoder is mono only.
    if (f.channels !== 1 || f.blockAlign !== 65) throw new Unsupported('GSM block or channels');
    [s.codec_name, s.sample_fmt, s.channel_layout] = ['gsm_ms', 's16', 'mono'];
  } else {
    const frame = frameAt(head, f.dataStart);
    if (!frame || frame.rate !== f.rate || (frame.mono ? 1 : 2) !== f.channels)
      throw new Unsupported('MP3 frame differs from the fmt chunk');
    [s.codec_name, s.sample_fmt, s.channel_layout] = ['mp3', 'fltp', frame.mono ? 'mono' : 'stereo'];
  }
  s.sample_rate = String(f.rate);
  s.channels = f.channels;
  return withDuration(s, f.factSamples, f.rate, f.size, f.tags);
}

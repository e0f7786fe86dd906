import fsp from 'node:fs/promises';
import type { FfprobeResult, FfprobeStream } from './ffprobe.js';
import { orDecline, Unsupported } from './container-read.js';
import { readId3v2 } from './id3v2.js';

/**
 * In-process reader of AIFF and AIFF-C headers with PCM samples, answering in ffprobe's JSON
 * shape exactly as ffprobe would, or declining (Unsupported) so the caller runs ffprobe:
 * compressed AIFF-C (IMA4, µ-law, QDM2 …), sample sizes other than 8/16/24/32 bits, a CHAN
 * chunk (ffmpeg reads its layout from the QuickTime channel description), no frame count.
 * Chunks after SSND are read too, as ffmpeg's demuxer reads them (an "ID3 " chunk often
 * follows the samples). Decision 190.
 */

/** Chunks read for their content are small; larger ones are left to ffprobe. */
const MAX_CHUNK_BYTES = 1024 * 1024;
/** The chunks ffmpeg's aiff demuxer reads as tags (AUTH becomes "author", not kept by Montu). */
const TEXT_CHUNKS: Record<string, string> = { NAME: 'title', ANNO: 'comment' };

export async function probeAiff(file: string): Promise<FfprobeResult | null> {
  return orDecline(probeAiffOrThrow(file));
}

export async function probeAiffOrThrow(file: string): Promise<FfprobeResult> {
  const fh = await fsp.open(file, 'r');
  try {
    const { size } = await fh.stat();
    const read = async (pos: number, len: number): Promise<Buffer> => {
      const b = Buffer.alloc(len);
      const { bytesRead } = await fh.read(b, 0, len, pos);
      if (bytesRead < len) throw new RangeError('file ends inside a chunk');
      return b;
    };
    const form = await read(0, 12);
    const kind = form.toString('latin1', 8, 12);
    if (form.toString('latin1', 0, 4) !== 'FORM' || (kind !== 'AIFF' && kind !== 'AIFC'))
      throw new Unsupported('not AIFF');
    let comm: Buffer | null = null;
    let sound = false;
    const tags: Record<string, string> = {};
    for (let p = 12; p + 8 <= size;) {
      const h = await read(p, 8);
      const id = h.toString('latin1', 0, 4);
      const len = h.readUInt32BE(4);
      const body = p + 8;
      if (id === 'SSND') sound = true;
      else if (id === 'CHAN') throw new Unsupported('CHAN chunk');
      else if (id === 'COMM' || id === 'ID3 ' || TEXT_CHUNKS[id]) {
        if (len > MAX_CHUNK_BYTES) throw new Unsupported(`${id} chunk of ${len} bytes`);
        const b = await read(body, len);
        if (id === 'COMM') comm = b;
        else if (id === 'ID3 ') readId3v2(b, tags);
        else {
          const nul = b.indexOf(0);
          const value = b.toString('latin1', 0, nul < 0 ? len : nul);
          const key = TEXT_CHUNKS[id]!;
          if (tags[key] !== undefined && tags[key] !== value) throw new Unsupported(`two ${key} tags`);
          tags[key] = value;
        }
      }
      p = body + len + (len & 1);
    }
    if (!comm || !sound) throw new Unsupported('no COMM or SSND chunk');
    return answer(comm, kind === 'AIFC', size, tags);
  } finally {
    await fh.close();
  }
}

function answer(comm: Buffer, aifc: boolean, size: number, tags: Record<string, string>): FfprobeResult {
  if (comm.length < (aifc ? 22 : 18)) throw new Unsupported('short COMM chunk');
  const channels = comm.readUInt16BE(0);
  const frames = comm.readUInt32BE(2);
  const bits = comm.readUInt16BE(6);
  const rate = extended(comm.subarray(8, 18));
  const compression = aifc ? comm.toString('latin1', 18, 22) : 'NONE';
  const s: FfprobeStream = { index: 0, codec_type: 'audio' };
  if (compression === 'NONE' || compression === 'twos') {
    if (bits === 8) [s.codec_name, s.sample_fmt] = ['pcm_s8', 'u8'];
    else if (bits === 16) [s.codec_name, s.sample_fmt] = ['pcm_s16be', 's16'];
    else if (bits === 24 || bits === 32) {
      [s.codec_name, s.sample_fmt] = [`pcm_s${bits}be`, 's32'];
      s.bits_per_raw_sample = String(bits);
    } else throw new Unsupported(`${bits}-bit samples`);
    s.bits_per_sample = bits;
  } else if (compression === 'sowt' && bits === 16) {
    [s.codec_name, s.sample_fmt, s.bits_per_sample] = ['pcm_s16le', 's16', 16];
  } else if (compression === 'fl32' || compression === 'FL32') {
    [s.codec_name, s.sample_fmt, s.bits_per_sample] = ['pcm_f32be', 'flt', 32];
  } else if (compression === 'fl64' || compression === 'FL64') {
    [s.codec_name, s.sample_fmt, s.bits_per_sample] = ['pcm_f64be', 'dbl', 64];
  } else throw new Unsupported(`AIFF-C compression ${JSON.stringify(compression)}`);
  if (!channels || !rate || !frames) throw new Unsupported('no channels, rate or frames');
  s.sample_rate = String(rate);
  s.channels = channels;
  s.time_base = `1/${rate}`;
  // ffmpeg takes the duration from COMM's frame count, even when the file is cut short.
  s.duration_ts = frames;
  s.nb_frames = String(frames);
  s.duration = (frames / rate).toFixed(6);
  s.r_frame_rate = '0/0';
  s.avg_frame_rate = '0/0';
  s.disposition = { attached_pic: 0 };
  const durUs = Math.floor((frames * 1e6 + Math.floor(rate / 2)) / rate);
  return {
    streams: [s],
    format: {
      format_name: 'aiff',
      duration: (durUs / 1e6).toFixed(6),
      bit_rate: String(Math.trunc((size * 8 * 1e6) / durUs)),
      nb_streams: 1,
      tags,
    },
  };
}

/** An 80-bit IEEE extended sample rate, rounded to an integer as ffmpeg's get_aiff_header does. */
function extended(b: Buffer): number {
  const exp = (b.readUInt16BE(0) & 0x7fff) - 16383 - 63;
  if (b[0]! & 0x80) throw new Unsupported('negative sample rate');
  const mant = b.readBigUInt64BE(2);
  if (exp < -63 || exp > 63) throw new Unsupported('sample rate out of range');
  const r = exp >= 0 ? mant << BigInt(exp) : (mant + (1n << BigInt(-exp - 1))) >> BigInt(-exp);
  if (r > 0x7fffffffn) throw new Unsupported('sample rate out of range');
  return Number(r);
}

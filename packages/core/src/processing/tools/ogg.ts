import type { FfprobeResult, FfprobeStream } from './ffprobe.js';
import { orDecline, readAt, readHead, Unsupported } from './container-read.js';

/**
 * In-process reader of Ogg Vorbis and Ogg Opus (one logical stream), answering in ffprobe's JSON
 * shape exactly as ffprobe would, or declining (Unsupported) so the caller runs ffprobe: several
 * or chained logical streams (Theora + Vorbis, chained radio captures), FLAC/Speex/Theora in Ogg,
 * Opus channel mapping families other than 0, Vorbis channel counts whose layout was not checked
 * against ffprobe, a stream that does not start at sample 0, no end-of-stream page at the end.
 * ffmpeg's duration is the last page's granule position less the start (0 here); its tags are the
 * stream's (Vorbis comments), not the container's, so the format carries none. Decision 225.
 */

const HEAD_BYTES = 256 * 1024;
const TAIL_BYTES = 64 * 1024;
/** ffmpeg's Vorbis decoder layouts (ff_vorbis_channel_layouts) for the counts checked against ffprobe. */
const VORBIS_LAYOUTS: Record<number, string> = { 1: 'mono', 2: 'stereo', 6: '5.1' };
const OPUS_LAYOUTS: Record<number, string> = { 1: 'mono', 2: 'stereo' };

interface Page {
  flags: number;
  granule: bigint;
  serial: number;
  /** Segment lengths (lacing values) and where the page's data starts. */
  lacing: number[];
  data: number;
  end: number;
}

/** The page at `p`, or null when the buffer ends inside it. */
function pageAt(b: Buffer, p: number): Page | null {
  if (p + 27 > b.length || b.toString('latin1', p, p + 4) !== 'OggS') return null;
  if (b[p + 4] !== 0) throw new Unsupported('Ogg page version');
  const n = b[p + 26]!;
  if (p + 27 + n > b.length) return null;
  const lacing = [...b.subarray(p + 27, p + 27 + n)];
  const data = p + 27 + n;
  const end = data + lacing.reduce((s, x) => s + x, 0);
  if (end > b.length) return null;
  return {
    flags: b[p + 5]!,
    granule: b.readBigInt64LE(p + 6),
    serial: b.readUInt32LE(p + 14),
    lacing,
    data,
    end,
  };
}

/** Packets completed on a page (segments ending in a lacing value < 255), with the data of each. */
function packets(b: Buffer, page: Page, carry: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let at = page.data;
  for (const len of page.lacing) {
    carry.push(b.subarray(at, at + len));
    at += len;
    if (len < 255) out.push(Buffer.concat(carry.splice(0)));
  }
  return out;
}

/** Samples (at 48 kHz) in one Opus packet, from its TOC byte (RFC 6716 §3.1). */
function opusSamples(pkt: Buffer): number {
  if (pkt.length < 1) throw new Unsupported('empty Opus packet');
  const toc = pkt[0]!;
  const config = toc >> 3;
  const frame =
    config < 12
      ? [480, 960, 1920, 2880][config & 3]!
      : config < 16
        ? [480, 960][config & 1]!
        : [120, 240, 480, 960][config & 3]!;
  const code = toc & 3;
  if (code === 0) return frame;
  if (code === 1 || code === 2) return 2 * frame;
  if (pkt.length < 2) throw new Unsupported('short Opus packet');
  return (pkt[1]! & 0x3f) * frame;
}

/** ffprobe's stream for Vorbis/Opus: planar float from the decoder, no frame rate. */
function audioStream(codec: string, rate: number, channels: number, layout: string): FfprobeStream {
  return {
    index: 0,
    codec_type: 'audio',
    codec_name: codec,
    sample_fmt: 'fltp',
    sample_rate: String(rate),
    channels,
    channel_layout: layout,
    bits_per_sample: 0,
    time_base: `1/${rate}`,
    r_frame_rate: '0/0',
    avg_frame_rate: '0/0',
    disposition: { attached_pic: 0 },
  };
}

export async function probeOgg(file: string): Promise<FfprobeResult | null> {
  return orDecline(probeOggOrThrow(file));
}

export async function probeOggOrThrow(file: string): Promise<FfprobeResult> {
  const { head, size } = await readHead(file, HEAD_BYTES);
  const first = pageAt(head, 0);
  if (!first || !(first.flags & 2)) throw new Unsupported('no Ogg beginning-of-stream page');
  const serial = first.serial;
  // The header packets and the first page that completes an audio packet.
  const carry: Buffer[] = [];
  const pkts: Buffer[] = [];
  let firstAudio: { page: Page; completed: Buffer[] } | null = null;
  for (let p = 0; !firstAudio;) {
    const page = pageAt(head, p);
    if (!page) throw new Unsupported('headers past the read');
    if (page.serial !== serial || (p > 0 && page.flags & 2)) throw new Unsupported('several logical streams');
    const before = pkts.length;
    pkts.push(...packets(head, page, carry));
    // Vorbis has three header packets, Opus two; the packets after them are audio.
    const headers = pkts[0]?.toString('latin1', 0, 8) === 'OpusHead' ? 2 : 3;
    const audio = pkts.slice(Math.max(before, headers));
    if (audio.length) {
      if (page.granule < 0n) throw new Unsupported('first audio page without a granule position');
      firstAudio = { page, completed: audio };
    }
    p = page.end;
  }
  const id = pkts[0]!;
  let stream: FfprobeStream;
  if (id.toString('latin1', 0, 7) === '\x01vorbis') {
    if (id.length < 30 || id.readUInt32LE(7) !== 0) throw new Unsupported('Vorbis version');
    const channels = id[11]!;
    const rate = id.readUInt32LE(12);
    const layout = VORBIS_LAYOUTS[channels];
    if (!layout || !rate) throw new Unsupported(`${channels} Vorbis channels`);
    // A stream cut from a longer one starts past 0 (ffmpeg subtracts the start): its first page's
    // granule is more than its packets can hold (at most half the long block each).
    const longBlock = 1 << (id[28]! >> 4);
    if (firstAudio.page.granule > BigInt((firstAudio.completed.length * longBlock) / 2))
      throw new Unsupported('Vorbis stream does not start at 0');
    stream = audioStream('vorbis', rate, channels, layout);
    const nominal = id.readInt32LE(20);
    if (nominal > 0) stream.bit_rate = String(nominal);
  } else if (id.toString('latin1', 0, 8) === 'OpusHead') {
    if (id.length < 19 || (id[8]! & 0xf0) !== 0) throw new Unsupported('Opus header version');
    const channels = id[9]!;
    if (id[18] !== 0) throw new Unsupported('Opus channel mapping family');
    const layout = OPUS_LAYOUTS[channels];
    if (!layout) throw new Unsupported(`${channels} Opus channels`);
    // ffmpeg dates the first page's packets back from its granule; they must start at 0.
    const { page, completed } = firstAudio;
    if (!(page.flags & 4) && page.granule !== BigInt(completed.reduce((s, k) => s + opusSamples(k), 0)))
      throw new Unsupported('Opus stream does not start at 0');
    stream = audioStream('opus', 48000, channels, layout);
  } else throw new Unsupported('not Vorbis or Opus in Ogg');

  const last = await lastPage(file, head, size);
  if (last.serial !== serial || !(last.flags & 4)) throw new Unsupported('no end-of-stream page at the end');
  if (last.granule <= 0n || last.granule > BigInt(Number.MAX_SAFE_INTEGER)) throw new Unsupported('granule');
  const samples = Number(last.granule);
  const rate = Number(stream.sample_rate);
  const durUs = Math.floor((samples * 1e6 + Math.floor(rate / 2)) / rate);
  stream.start_pts = 0;
  stream.duration_ts = samples;
  stream.duration = (samples / rate).toFixed(6);
  return {
    streams: [stream],
    format: {
      format_name: 'ogg',
      duration: (durUs / 1e6).toFixed(6),
      bit_rate: String(Math.floor((size * 8 * 1e6) / durUs)),
      nb_streams: 1,
      tags: {},
    },
  };
}

/** The file's last complete page (ffmpeg's ogg_get_length reads the end of the file the same way). */
async function lastPage(file: string, head: Buffer, size: number): Promise<Page> {
  const tail = size > head.length ? await readAt(file, Math.max(0, size - TAIL_BYTES), TAIL_BYTES) : head;
  // The last "OggS" whose page is complete and ends at the end of the file.
  for (let p = tail.lastIndexOf('OggS'); p >= 0; p = p > 0 ? tail.lastIndexOf('OggS', p - 1) : -1) {
    const page = pageAt(tail, p);
    if (page && page.end === tail.length) return page;
    if (page) break;
  }
  throw new Unsupported('the file does not end with a complete Ogg page');
}

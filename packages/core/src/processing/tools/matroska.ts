import type { FfprobeResult, FfprobeStream } from './ffprobe.js';
import { avReduce, orDecline, readAt, readHead, Unsupported } from './container-read.js';
import { applyAvc, MATRIX, PRIMARIES, TRANSFER } from './isobmff.js';
import { av1Config, vp8Frame, vp9Frame } from './codec-headers.js';

/**
 * In-process reader of Matroska/WebM headers (EBML: Info, Tracks, Tags and the first frame of
 * each video track), answering in ffprobe's JSON shape exactly as ffprobe would, or declining
 * (Unsupported) so the caller runs ffprobe. Answered: H.264 (avcC), VP8, VP9 and AV1 video
 * (profile, pixel format and colour from the bitstream, as ffmpeg's decoders report them), Opus
 * and Vorbis audio. Declined: any other track (HEVC, DTS, AAC, subtitles …), attachments,
 * content encodings (compression, encryption), spherical projections, a missing segment
 * duration or default frame duration, a frame rate ffmpeg would estimate instead (≤ 5 or ≥ 1000
 * fps), nested tags. Decision 225.
 */

const HEAD_BYTES = 1024 * 1024;

// Element IDs (with their length-marker bits, as written).
const ID = {
  EBML: 0x1a45dfa3,
  DocType: 0x4282,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  Duration: 0x4489,
  DateUTC: 0x4461,
  Title: 0x7ba9,
  MuxingApp: 0x4d80,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackType: 0x83,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  DefaultDuration: 0x23e383,
  Language: 0x22b59c,
  LanguageBCP47: 0x22b59d,
  TrackTimestampScale: 0x23314f,
  ContentEncodings: 0x6d80,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  DisplayWidth: 0x54b0,
  DisplayHeight: 0x54ba,
  DisplayUnit: 0x54b2,
  Colour: 0x55b0,
  MatrixCoefficients: 0x55b1,
  Range: 0x55b9,
  TransferCharacteristics: 0x55ba,
  Primaries: 0x55bb,
  Projection: 0x7670,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  Channels: 0x9f,
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  Attachments: 0x1941a469,
  Tags: 0x1254c367,
  Tag: 0x7373,
  Targets: 0x63c0,
  TagTrackUID: 0x63c5,
  TagChapterUID: 0x63c4,
  TagAttachmentUID: 0x63c6,
  SimpleTag: 0x67c8,
  TagName: 0x45a3,
  TagLanguage: 0x447a,
  TagString: 0x4487,
} as const;

interface El {
  id: number;
  /** Where the data starts and ends, in the buffer; `end` is -1 for an unknown size. */
  start: number;
  end: number;
}

/** An EBML variable-length integer at `p`: its value (marker removed or kept) and length. */
function vint(b: Buffer, p: number, keepMarker: boolean): { value: number; len: number; unknown: boolean } {
  const first = b[p];
  if (first === undefined) throw new RangeError('end of buffer');
  if (first === 0) throw new Unsupported('EBML number longer than 8 bytes');
  const len = Math.clz32(first) - 23;
  if (p + len > b.length) throw new RangeError('end of buffer');
  let value = keepMarker ? first : first & (0xff >> len);
  let allOnes = value === 0xff >> len;
  for (let i = 1; i < len; i++) {
    value = value * 256 + b[p + i]!;
    if (b[p + i] !== 0xff) allOnes = false;
  }
  if (value > Number.MAX_SAFE_INTEGER) throw new Unsupported('EBML number too large');
  return { value, len, unknown: !keepMarker && allOnes };
}

/** The elements from `start` to `end` (children of one master element), stopping at the buffer's end. */
function children(b: Buffer, start: number, end: number): El[] {
  const out: El[] = [];
  for (let p = start; p < end && p < b.length;) {
    const id = vint(b, p, true);
    const size = vint(b, p + id.len, false);
    const data = p + id.len + size.len;
    if (size.unknown) {
      out.push({ id: id.value, start: data, end: -1 });
      break;
    }
    out.push({ id: id.value, start: data, end: data + size.value });
    p = data + size.value;
  }
  return out;
}

function complete(b: Buffer, e: El): El {
  if (e.end < 0 || e.end > b.length) throw new Unsupported('element past the read');
  return e;
}
const uint = (b: Buffer, e: El): number => {
  complete(b, e);
  if (e.end - e.start > 6) throw new Unsupported('integer too large');
  return e.end === e.start ? 0 : b.readUIntBE(e.start, e.end - e.start);
};
const float = (b: Buffer, e: El): number => {
  complete(b, e);
  const n = e.end - e.start;
  if (n === 4) return b.readFloatBE(e.start);
  if (n === 8) return b.readDoubleBE(e.start);
  if (n === 0) return 0;
  throw new Unsupported('float size');
};
const text = (b: Buffer, e: El): string => {
  complete(b, e);
  const s = b.toString('utf8', e.start, e.end);
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
};
const find = (els: El[], id: number): El | undefined => els.find((e) => e.id === id);
const sub = (b: Buffer, e: El | undefined): El[] => (e ? children(b, e.start, complete(b, e).end) : []);

interface Track {
  number: number;
  stream: FfprobeStream;
  /** The first frame's data, needed for VP8/VP9 (their profile and format live in the frame). */
  needsFrame: 'vp8' | 'vp9' | null;
}

export async function probeMatroska(file: string): Promise<FfprobeResult | null> {
  return orDecline(probeMatroskaOrThrow(file));
}

export async function probeMatroskaOrThrow(file: string): Promise<FfprobeResult> {
  const { head, size } = await readHead(file, HEAD_BYTES);
  const top = children(head, 0, head.length);
  const ebml = top[0];
  if (!ebml || ebml.id !== ID.EBML) throw new Unsupported('not EBML');
  const docType = find(sub(head, ebml), ID.DocType);
  const doc = docType ? text(head, docType) : 'matroska';
  if (doc !== 'matroska' && doc !== 'webm') throw new Unsupported(`DocType ${doc}`);
  const seg = top[1];
  if (!seg || seg.id !== ID.Segment) throw new Unsupported('no Segment');
  const level1 = children(head, seg.start, seg.end < 0 ? head.length : Math.min(seg.end, head.length));

  // Level-1 elements not in the first read are found through the SeekHead.
  const at = new Map<number, { buf: Buffer; el: El }>();
  // Attachments are streams to ffprobe: declined wherever they are.
  if (level1.some((e) => e.id === ID.Attachments)) throw new Unsupported('attachments');
  for (const e of level1)
    if (!at.has(e.id) && e.end >= 0 && e.end <= head.length) at.set(e.id, { buf: head, el: e });
  const seekHead = at.get(ID.SeekHead);
  if (seekHead) {
    for (const s of sub(head, seekHead.el).filter((e) => e.id === ID.Seek)) {
      const kids = sub(head, s);
      const idEl = find(kids, ID.SeekID);
      const posEl = find(kids, ID.SeekPosition);
      if (!idEl || !posEl) continue;
      const id = uint(head, idEl);
      if (at.has(id) || ![ID.Info, ID.Tracks, ID.Tags, ID.Attachments].includes(id as never)) continue;
      if (id === ID.Attachments) throw new Unsupported('attachments');
      const pos = seg.start + uint(head, posEl);
      if (pos >= size) throw new Unsupported('SeekHead points past the file');
      const hdr = await readAt(file, pos, 16);
      const [el] = children(hdr, 0, hdr.length);
      if (!el || el.id !== id || el.end < 0) throw new Unsupported('SeekHead entry');
      if (el.end > 16 * 1024 * 1024) throw new Unsupported('element too large');
      const buf = await readAt(file, pos, el.end);
      at.set(id, { buf, el: { id, start: el.start, end: el.end } });
    }
  }
  if (at.has(ID.Attachments)) throw new Unsupported('attachments');
  const info = at.get(ID.Info);
  const tracks = at.get(ID.Tracks);
  if (!info || !tracks) throw new Unsupported('no Info or Tracks');

  // ---- Info: time scale, duration, title, muxing app, date --------------------------------------
  const ib = info.buf;
  const infoEls = sub(ib, info.el);
  const scaleEl = find(infoEls, ID.TimestampScale);
  const scale = scaleEl ? uint(ib, scaleEl) : 1_000_000;
  const durEl = find(infoEls, ID.Duration);
  if (!durEl || !scale) throw new Unsupported('no segment duration');
  // matroskadec: duration × scale × 1000 / AV_TIME_BASE, in doubles, truncated to µs.
  const durUs = Math.trunc((float(ib, durEl) * scale * 1000) / 1_000_000);
  if (!(durUs > 0)) throw new Unsupported('no segment duration');
  const tags: Record<string, string> = {};
  const titleEl = find(infoEls, ID.Title);
  if (titleEl) tags['title'] = text(ib, titleEl);
  const muxEl = find(infoEls, ID.MuxingApp);
  if (muxEl) tags['encoder'] = text(ib, muxEl);
  const dateEl = find(infoEls, ID.DateUTC);
  if (dateEl) {
    complete(ib, dateEl);
    if (dateEl.end - dateEl.start !== 8) throw new Unsupported('DateUTC size');
    const us = ib.readBigInt64BE(dateEl.start) / 1000n + 978_307_200_000_000n;
    if (us < 0n) throw new Unsupported('date before 1970');
    const d = new Date(Number(us / 1000n));
    tags['creation_time'] = `${d.toISOString().slice(0, 19)}.${String(us % 1_000_000n).padStart(6, '0')}Z`;
  }
  const [tbNum, tbDen] = avReduce(scale, 1_000_000_000, 2 ** 31 - 1);

  // ---- Tracks -------------------------------------------------------------------------------------
  const tb = tracks.buf;
  const list: Track[] = [];
  for (const te of sub(tb, tracks.el).filter((e) => e.id === ID.TrackEntry)) {
    const els = sub(tb, te);
    const get = (id: number) => find(els, id);
    if (get(ID.ContentEncodings)) throw new Unsupported('content encoding');
    if (get(ID.LanguageBCP47)) throw new Unsupported('BCP 47 language');
    // matroskadec multiplies the time base by a track's own scale (a float): not reproduced.
    if (get(ID.TrackTimestampScale)) throw new Unsupported('track timestamp scale');
    const numEl = get(ID.TrackNumber);
    const typeEl = get(ID.TrackType);
    const codecEl = get(ID.CodecID);
    if (!numEl || !typeEl || !codecEl) throw new Unsupported('track without number, type or codec');
    const codec = text(tb, codecEl);
    const priv = get(ID.CodecPrivate);
    const privBuf = priv ? tb.subarray(priv.start, complete(tb, priv).end) : Buffer.alloc(0);
    const s: FfprobeStream = {
      index: list.length,
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      time_base: `${tbNum}/${tbDen}`,
      disposition: { attached_pic: 0 },
    };
    const langEl = get(ID.Language);
    const lang = langEl ? text(tb, langEl) : 'eng';
    if (lang !== 'und') s.tags = { language: lang };
    const track: Track = { number: uint(tb, numEl), stream: s, needsFrame: null };
    const type = uint(tb, typeEl);
    if (type === 1) video(tb, els, s, codec, privBuf, track);
    else if (type === 2) audio(tb, els, s, codec, privBuf);
    else throw new Unsupported(`track type ${type}`);
    list.push(track);
  }
  if (!list.length) throw new Unsupported('no tracks');

  // ---- Tags: the global ones are the container's (ffmpeg's matroska_convert_tags) ---------------
  const tagsAt = at.get(ID.Tags);
  if (tagsAt) globalTags(tagsAt.buf, tagsAt.el, tags);

  // ---- the first frames: VP8/VP9 formats live in them; every stream must be dated by them -------
  const { first, count } = firstFrames(head, level1, new Set(list.map((t) => t.number)));
  for (const t of list) {
    const frame = first.get(t.number);
    // A track without a block in the read has no start time ffprobe would find (it then prints
    // the container's duration on the stream).
    if (!frame) throw new Unsupported('a track has no block in the read');
    // ffmpeg dates an H.264 stream without B-frame reordering only after 7 decoded frames.
    if (t.stream.codec_name === 'h264' && (count.get(t.number) ?? 0) < 8)
      throw new Unsupported('fewer than 8 H.264 frames in the read');
    if (t.needsFrame === 'vp9') vp9Frame(frame, t.stream);
    else if (t.needsFrame === 'vp8') vp8Frame(frame, t.stream);
  }

  return {
    streams: list.map((t) => t.stream),
    format: {
      format_name: 'matroska,webm',
      duration: (durUs / 1e6).toFixed(6),
      bit_rate: String(Math.floor((size * 8 * 1e6) / durUs)),
      nb_streams: list.length,
      tags,
    },
  };
}

function video(b: Buffer, els: El[], s: FfprobeStream, codec: string, priv: Buffer, track: Track): void {
  s.codec_type = 'video';
  const v = sub(b, find(els, ID.Video));
  const get = (id: number) => find(v, id);
  if (get(ID.Projection)) throw new Unsupported('projection');
  const wEl = get(ID.PixelWidth);
  const hEl = get(ID.PixelHeight);
  if (!wEl || !hEl) throw new Unsupported('no pixel size');
  const w = uint(b, wEl);
  const h = uint(b, hEl);
  s.width = w;
  s.height = h;
  s.coded_width = w;
  s.coded_height = h;
  // Frame rate from the default duration (matroskadec), kept as r_frame_rate only in (5, 1000) fps.
  const ddEl = find(els, ID.DefaultDuration);
  if (!ddEl) throw new Unsupported('no default duration');
  const [fn, fd] = avReduce(1_000_000_000, uint(b, ddEl), 30000);
  if (!(fn > 5 * fd && fn < 1000 * fd)) throw new Unsupported('frame rate ffmpeg would estimate');
  s.avg_frame_rate = s.r_frame_rate = `${fn}/${fd}`;
  // Sample aspect from the display size (matroskadec defaults it to the pixel size), which
  // ffprobe prefers to the codec's.
  const dwEl = get(ID.DisplayWidth);
  const dhEl = get(ID.DisplayHeight);
  const unit = get(ID.DisplayUnit);
  // Every unit below "unknown" (4) is used the same way (pixels, cm, inches, aspect ratio).
  if (unit && uint(b, unit) >= 4) throw new Unsupported('display unit');
  const dw = dwEl ? uint(b, dwEl) : w;
  const dh = dhEl ? uint(b, dhEl) : h;
  const colour = sub(b, get(ID.Colour));
  if (codec === 'V_MPEG4/ISO/AVC') {
    applyAvc(s, priv);
    // Which of the SPS and a Colour element wins per field was not checked: they must agree.
    const said: FfprobeStream = { index: 0 };
    containerColour(b, colour, said, true);
    for (const k of ['color_primaries', 'color_transfer', 'color_space', 'color_range'] as const)
      if (said[k] !== undefined && said[k] !== s[k]) throw new Unsupported('H.264 SPS and Colour differ');
  } else if (codec === 'V_VP9') {
    s.codec_name = 'vp9';
    track.needsFrame = 'vp9';
    // The decoder sets the matrix and range from the frame; primaries and transfer stay the container's.
    containerColour(b, colour, s);
  } else if (codec === 'V_VP8') {
    s.codec_name = 'vp8';
    track.needsFrame = 'vp8';
    if (colour.length) throw new Unsupported('VP8 with a Colour element');
  } else if (codec === 'V_AV1') {
    av1Config(priv, s, w, h);
  } else throw new Unsupported(`video codec ${codec}`);
  const [n, d] = avReduce(dw * h, dh * w, 255);
  if (!n || !d) throw new Unsupported('display size');
  s.sample_aspect_ratio = `${n}:${d}`;
}

/** Matroska Colour primaries and transfer (matroskadec keeps valid codes); with `all`, matrix and range too. */
function containerColour(b: Buffer, colour: El[], s: FfprobeStream, all = false): void {
  const fields = [
    [ID.Primaries, PRIMARIES, 'color_primaries'],
    [ID.TransferCharacteristics, TRANSFER, 'color_transfer'],
    ...(all ? ([[ID.MatrixCoefficients, MATRIX, 'color_space']] as const) : []),
  ] as const;
  for (const [id, names, field] of fields) {
    const el = find(colour, id);
    if (!el) continue;
    const code = uint(b, el);
    if (code === 2) continue; // unspecified
    if (!names[code]) throw new Unsupported(`colour code ${code}`);
    s[field] = names[code];
  }
  const range = find(colour, ID.Range);
  if (all && range) {
    const r = uint(b, range);
    if (r === 1 || r === 2) s.color_range = r === 1 ? 'tv' : 'pc';
  }
}

function audio(b: Buffer, els: El[], s: FfprobeStream, codec: string, priv: Buffer): void {
  s.codec_type = 'audio';
  s.sample_fmt = 'fltp';
  s.bits_per_sample = 0;
  const a = sub(b, find(els, ID.Audio));
  const chEl = find(a, ID.Channels);
  const rateEl = find(a, ID.SamplingFrequency);
  if (codec === 'A_OPUS') {
    if (priv.length < 19 || priv.toString('latin1', 0, 8) !== 'OpusHead')
      throw new Unsupported('no OpusHead');
    const channels = priv[9]!;
    if (priv[18] !== 0 || channels < 1 || channels > 2) throw new Unsupported('Opus channel mapping');
    s.codec_name = 'opus';
    s.sample_rate = '48000';
    s.channels = channels;
    s.channel_layout = channels === 1 ? 'mono' : 'stereo';
  } else if (codec === 'A_VORBIS') {
    // Xiph lacing: the count of packets less one, then the lengths of all but the last.
    if (priv[0] !== 2) throw new Unsupported('Vorbis private data');
    let p = 1;
    for (let k = 0; k < 2; k++) while (priv[p++] === 255);
    const id = priv.subarray(p);
    if (id.toString('latin1', 0, 7) !== '\x01vorbis' || id.length < 30)
      throw new Unsupported('no Vorbis header');
    const channels = id[11]!;
    const layout = ({ 1: 'mono', 2: 'stereo', 6: '5.1' } as Record<number, string>)[channels];
    if (!layout) throw new Unsupported(`${channels} Vorbis channels`);
    s.codec_name = 'vorbis';
    s.sample_rate = String(id.readUInt32LE(12));
    s.channels = channels;
    s.channel_layout = layout;
  } else throw new Unsupported(`audio codec ${codec}`);
  // The track's own numbers must say the same (ffmpeg's decoder reads the header).
  if (chEl && uint(b, chEl) !== s.channels) throw new Unsupported('channels differ');
  if (rateEl && codec === 'A_VORBIS' && float(b, rateEl) !== Number(s.sample_rate))
    throw new Unsupported('sample rate differs');
}

function globalTags(b: Buffer, tagsEl: El, out: Record<string, string>): void {
  for (const tag of sub(b, tagsEl).filter((e) => e.id === ID.Tag)) {
    const kids = sub(b, tag);
    const targets = sub(b, find(kids, ID.Targets));
    // Track, chapter and attachment tags are not the container's.
    if (targets.some((e) => [ID.TagTrackUID, ID.TagChapterUID, ID.TagAttachmentUID].includes(e.id as never)))
      continue;
    for (const st of kids.filter((e) => e.id === ID.SimpleTag)) {
      const parts = sub(b, st);
      if (parts.some((e) => e.id === ID.SimpleTag)) throw new Unsupported('nested tags');
      const nameEl = find(parts, ID.TagName);
      const valEl = find(parts, ID.TagString);
      if (!nameEl || !valEl) continue;
      const langEl = find(parts, ID.TagLanguage);
      const lang = langEl ? text(b, langEl) : 'und';
      const name = text(b, nameEl) + (lang && lang !== 'und' ? `-${lang}` : '');
      // av_dict_set: keys match without case; a later value replaces the earlier one.
      for (const k of Object.keys(out)) if (k.toLowerCase() === name.toLowerCase()) delete out[k];
      out[name] = text(b, valEl);
    }
  }
}

/** The first block's frame of each track and the number of its blocks, from the clusters in the first read. */
function firstFrames(
  head: Buffer,
  level1: El[],
  want: Set<number>,
): { first: Map<number, Buffer>; count: Map<number, number> } {
  const first = new Map<number, Buffer>();
  const count = new Map<number, number>();
  for (const cl of level1.filter((e) => e.id === ID.Cluster)) {
    const end = cl.end < 0 ? head.length : Math.min(cl.end, head.length);
    let kids: El[];
    try {
      kids = children(head, cl.start, end);
    } catch (e) {
      if (e instanceof RangeError) break;
      throw e;
    }
    for (const k of kids) {
      let block: El | undefined;
      if (k.id === ID.SimpleBlock) block = k;
      else if (k.id === ID.BlockGroup && k.end > 0 && k.end <= head.length)
        block = find(children(head, k.start, k.end), ID.Block);
      if (!block || block.end < 0 || block.end > head.length) continue;
      const num = vint(head, block.start, false);
      if (!want.has(num.value)) continue;
      count.set(num.value, (count.get(num.value) ?? 0) + 1);
      if (first.has(num.value)) continue;
      const flags = head[block.start + num.len + 2]!;
      if (flags & 0x06) throw new Unsupported('laced block');
      first.set(num.value, head.subarray(block.start + num.len + 3, block.end));
    }
  }
  return { first, count };
}

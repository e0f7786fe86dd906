import type { FfprobeStream } from './ffprobe.js';
import { Unsupported } from './container-read.js';
import { applyColour, Bits, MATRIX, PRIMARIES, TRANSFER } from './isobmff.js';

/**
 * VP8, VP9 and AV1 facts ffprobe prints from the decoder (profile, pixel format, colour), read
 * from the bitstream headers the way ffmpeg's decoders (vp8.c, vp9.c, libdav1d) read them.
 * Used by matroska.ts; decision 225.
 */

const VP9_SPACES = ['', 'bt470bg', 'bt709', 'smpte170m', 'smpte240m', 'bt2020nc', 'reserved', 'gbr'];

/** VP9's profile, pixel format, matrix and range from a key frame's uncompressed header (vp9.c). */
export function vp9Frame(frame: Buffer, s: FfprobeStream): void {
  const r = new Bits(frame);
  if (r.bits(2) !== 2) throw new Unsupported('VP9 frame marker');
  const lo = r.bit();
  const profile = (r.bit() << 1) | lo;
  if (profile === 3 && r.bit()) throw new Unsupported('VP9 reserved bit');
  if (r.bit()) throw new Unsupported('VP9 first frame shows an existing one');
  if (r.bit() !== 0) throw new Unsupported('VP9 first frame is not a key frame');
  r.bit(); // show_frame
  r.bit(); // error_resilient
  if (r.bits(24) !== 0x498342) throw new Unsupported('VP9 sync code');
  const bits = profile >= 2 ? (r.bit() ? 12 : 10) : 8;
  const cs = r.bits(3);
  let fullRange = true;
  let ssx = 0;
  let ssy = 0;
  if (cs !== 7) {
    fullRange = r.bit() === 1;
    if (profile & 1) {
      ssx = r.bit();
      ssy = r.bit();
      if (r.bit()) throw new Unsupported('VP9 reserved bit');
      if (ssx && ssy) throw new Unsupported('VP9 4:2:0 in an odd profile');
    } else {
      ssx = ssy = 1;
    }
  } else if (profile & 1) {
    if (r.bit()) throw new Unsupported('VP9 reserved bit');
  } else throw new Unsupported('VP9 RGB in an even profile');
  const w = r.bits(16) + 1;
  const h = r.bits(16) + 1;
  if (w !== s.width || h !== s.height) throw new Unsupported('VP9 frame size differs from the track');
  const base = cs === 7 ? 'gbrp' : ssx ? (ssy ? 'yuv420p' : 'yuv422p') : ssy ? 'yuv440p' : 'yuv444p';
  s.pix_fmt = bits === 8 ? base : `${base}${bits}le`;
  s.profile = `Profile ${profile}`;
  const space = VP9_SPACES[cs]!;
  if (space === 'reserved') throw new Unsupported('VP9 reserved colour space');
  if (space) s.color_space = space;
  else delete s.color_space;
  s.color_range = fullRange ? 'pc' : 'tv';
}

/** VP8's profile (the frame tag's version); ffmpeg's decoder outputs 4:2:0 8-bit. */
export function vp8Frame(frame: Buffer, s: FfprobeStream): void {
  if (frame.length < 10) throw new Unsupported('short VP8 frame');
  if (frame[0]! & 1) throw new Unsupported('VP8 first frame is not a key frame');
  const version = (frame[0]! >> 1) & 7;
  if (version > 3) throw new Unsupported('VP8 version');
  if (frame.readUIntBE(3, 3) !== 0x9d012a) throw new Unsupported('VP8 start code');
  const w = frame.readUInt16LE(6) & 0x3fff;
  const h = frame.readUInt16LE(8) & 0x3fff;
  if (w !== s.width || h !== s.height) throw new Unsupported('VP8 frame size differs from the track');
  s.profile = String(version);
  s.pix_fmt = 'yuv420p';
}

/** AV1 from the av1C record's sequence header OBU, as libdav1d reports it to ffmpeg. */
export function av1Config(priv: Buffer, s: FfprobeStream, w: number, h: number): void {
  if (priv.length < 4 || priv[0] !== 0x81) throw new Unsupported('no av1C');
  // The configOBUs after the 4-byte record: find the sequence header (OBU type 1).
  let p = 4;
  let seq: Buffer | null = null;
  while (p < priv.length && !seq) {
    const hdr = priv[p]!;
    const type = (hdr >> 3) & 15;
    const ext = (hdr >> 2) & 1;
    if (!((hdr >> 1) & 1)) throw new Unsupported('AV1 OBU without a size');
    let q = p + 1 + ext;
    let len = 0;
    for (let i = 0; i < 8; i++) {
      const byte = priv[q++];
      if (byte === undefined) throw new RangeError('end of av1C');
      len += (byte & 0x7f) * 2 ** (7 * i);
      if (!(byte & 0x80)) break;
    }
    if (type === 1) seq = priv.subarray(q, q + len);
    p = q + len;
  }
  if (!seq) throw new Unsupported('no AV1 sequence header in av1C');
  const c = av1SequenceHeader(seq);
  if (c.maxWidth !== w || c.maxHeight !== h) throw new Unsupported('AV1 frame size differs from the track');
  s.codec_name = 'av1';
  const profile = ['Main', 'High', 'Professional'][c.profile];
  if (!profile) throw new Unsupported('AV1 profile');
  s.profile = profile;
  const rgb = c.layout === 444 && c.matrix === 0 && c.primaries === 1 && c.transfer === 13;
  const base = c.mono ? 'gray' : rgb ? 'gbrp' : `yuv${c.layout}p`;
  s.pix_fmt = c.bits === 8 ? base : `${base}${c.bits}le`;
  applyColour(s, { primaries: c.primaries, transfer: c.transfer, matrix: c.matrix, fullRange: c.fullRange });
  // Unspecified (2) prints nothing; other codes without an ffmpeg name are left to ffprobe.
  if (
    (c.matrix !== 2 && !MATRIX[c.matrix]) ||
    (c.primaries !== 2 && !PRIMARIES[c.primaries]) ||
    (c.transfer !== 2 && !TRANSFER[c.transfer])
  )
    throw new Unsupported('AV1 colour code');
}

interface Av1Seq {
  profile: number;
  bits: number;
  mono: boolean;
  layout: 420 | 422 | 444;
  primaries: number;
  transfer: number;
  matrix: number;
  fullRange: boolean;
  maxWidth: number;
  maxHeight: number;
}

/** AV1 spec §5.5: sequence_header_obu, as far as the colour config. */
function av1SequenceHeader(b: Buffer): Av1Seq {
  const r = new Bits(b);
  const profile = r.bits(3);
  r.bit(); // still_picture
  const reduced = r.bit();
  let decoderModel = 0;
  let bufferDelayLen = 0;
  if (reduced) r.bits(5);
  else {
    if (r.bit()) {
      // timing_info
      r.bits(32);
      r.bits(32);
      if (r.bit()) {
        let zeros = 0;
        while (!r.bit()) if (++zeros >= 32) throw new Unsupported('AV1 uvlc');
        if (zeros < 32) r.bits(zeros);
      }
      decoderModel = r.bit();
      if (decoderModel) {
        bufferDelayLen = r.bits(5) + 1;
        r.bits(32);
        r.bits(5);
        r.bits(5);
      }
    }
    const displayDelay = r.bit();
    const ops = r.bits(5) + 1;
    for (let i = 0; i < ops; i++) {
      r.bits(12);
      if (r.bits(5) > 7) r.bit();
      if (decoderModel && r.bit()) {
        r.bits(bufferDelayLen);
        r.bits(bufferDelayLen);
        r.bit();
      }
      if (displayDelay && r.bit()) r.bits(4);
    }
  }
  const wBits = r.bits(4) + 1;
  const hBits = r.bits(4) + 1;
  const maxWidth = r.bits(wBits) + 1;
  const maxHeight = r.bits(hBits) + 1;
  let orderHint = 0;
  if (!reduced && r.bit()) {
    r.bits(4);
    r.bits(3);
  }
  r.bit(); // use_128x128_superblock
  r.bit(); // enable_filter_intra
  r.bit(); // enable_intra_edge
  if (!reduced) {
    r.bits(4); // interintra, masked compound, warped motion, dual filter
    orderHint = r.bit();
    if (orderHint) r.bits(2); // jnt_comp, ref_frame_mvs
    let screenContent = 2;
    if (!r.bit()) screenContent = r.bit();
    if (screenContent > 0 && !r.bit()) r.bit(); // seq_choose_integer_mv, seq_force_integer_mv
    if (orderHint) r.bits(3);
  }
  r.bits(3); // superres, cdef, restoration
  // color_config
  const high = r.bit();
  let bits = 8;
  if (profile === 2 && high) bits = r.bit() ? 12 : 10;
  else if (profile <= 2) bits = high ? 10 : 8;
  const mono = profile === 1 ? false : r.bit() === 1;
  let primaries = 2;
  let transfer = 2;
  let matrix = 2;
  if (r.bit()) {
    primaries = r.bits(8);
    transfer = r.bits(8);
    matrix = r.bits(8);
  }
  let fullRange: boolean;
  let layout: 420 | 422 | 444 = 420;
  if (mono) {
    fullRange = r.bit() === 1;
  } else if (primaries === 1 && transfer === 13 && matrix === 0) {
    fullRange = true;
    layout = 444;
  } else {
    fullRange = r.bit() === 1;
    if (profile === 0) layout = 420;
    else if (profile === 1) layout = 444;
    else if (bits === 12) {
      const ssx = r.bit();
      const ssy = ssx ? r.bit() : 0;
      layout = ssx ? (ssy ? 420 : 422) : 444;
    } else layout = 422;
  }
  return { profile, bits, mono, layout, primaries, transfer, matrix, fullRange, maxWidth, maxHeight };
}

import { Unsupported } from './container-read.js';

/**
 * The tags Montu keeps from an ID3v2.3/2.4 tag, as ffmpeg's id3v2 reader names them, or
 * Unsupported when ffmpeg could name them otherwise: ID3v2.2, tag flags (unsynchronisation,
 * extended header, footer), frame flags (compression, encryption, grouping), ID3v2.3 dates (ffmpeg
 * merges TYER/TDAT/TIME), a COMM or TXXX whose description is a kept tag's name, repeated kept
 * frames, and pictures (ffprobe lists an attached picture as a stream). Used by aiff.ts (its
 * "ID3 " chunk).
 */

/** Text frames ffmpeg (ff_id3v2_34_metadata_conv, ff_id3v2_4_metadata_conv) maps to the tag names Montu keeps. */
const KEPT: Record<string, string> = { TIT2: 'title', TPE1: 'artist', TALB: 'album', TSSE: 'encoder' };
const KEPT_V4: Record<string, string> = { ...KEPT, TDRC: 'date', TDRL: 'date', TDEN: 'creation_time' };
/** Frames that become kept tags or streams by rules this reader does not follow. */
const DECLINED = new Set(['TYER', 'TDAT', 'TIME', 'TRDA', 'APIC', 'CHAP']);
/** Tag names Montu keeps: a COMM or TXXX description equal to one of these would set it. */
const KEPT_NAMES = new Set(['title', 'artist', 'album', 'comment', 'encoder', 'creation_time', 'date']);

/** The total length of an ID3v2 tag starting at `p` (header included), or 0 when none starts there. */
export function id3v2Length(b: Buffer, p = 0): number {
  if (p + 10 > b.length || b.toString('latin1', p, p + 3) !== 'ID3') return 0;
  return 10 + syncsafe(b, p + 6);
}

export function readId3v2(b: Buffer, tags: Record<string, string>): void {
  if (b.length < 10 || b.toString('latin1', 0, 3) !== 'ID3') throw new Unsupported('not an ID3v2 tag');
  const version = b[3]!;
  if (version !== 3 && version !== 4) throw new Unsupported(`ID3v2.${version}`);
  if (b[5] !== 0) throw new Unsupported('ID3v2 tag flags');
  const end = id3v2Length(b);
  if (end > b.length) throw new Unsupported('ID3v2 tag past the chunk');
  const seen = new Set<string>();
  for (let p = 10; p + 10 <= end;) {
    const id = b.toString('latin1', p, p + 4);
    if (b[p] === 0) break; // padding
    if (!/^[A-Z0-9]{4}$/.test(id)) throw new Unsupported('ID3v2 frame id');
    const size = version === 4 ? syncsafe(b, p + 4) : b.readUInt32BE(p + 4);
    const body = p + 10;
    if (body + size > end) throw new Unsupported('ID3v2 frame past the tag');
    if (b.readUInt16BE(p + 8) !== 0) throw new Unsupported('ID3v2 frame flags');
    if (DECLINED.has(id)) throw new Unsupported(`ID3v2 frame ${id}`);
    const frame = b.subarray(body, body + size);
    const key = (version === 4 ? KEPT_V4 : KEPT)[id];
    if (key) {
      if (seen.has(key)) throw new Unsupported(`repeated ID3v2 ${key}`);
      seen.add(key);
      tags[key] = text(frame);
    } else if (id === 'TDRC' || id === 'TDRL' || id === 'TDEN') {
      throw new Unsupported(`ID3v2.3 frame ${id}`);
    } else if (id === 'COMM' || id === 'TXXX') {
      // COMM: encoding, language, description, text; TXXX: encoding, description, value.
      // ffmpeg names the tag by the description ("comment" when empty; the first COMM wins).
      if (frame.length < (id === 'COMM' ? 4 : 1)) throw new Unsupported(`short ${id}`);
      const [desc, rest] = split(frame.subarray(id === 'COMM' ? 4 : 1), frame[0]!);
      const name = desc || (id === 'COMM' ? 'comment' : '');
      if (KEPT_NAMES.has(name.toLowerCase())) {
        if (name !== 'comment' || seen.has('comment')) throw new Unsupported(`ID3v2 ${id} named ${name}`);
        seen.add('comment');
        tags['comment'] = split(rest, frame[0]!)[0];
      }
    }
    p = body + size;
  }
}

function syncsafe(b: Buffer, p: number): number {
  if ((b[p]! | b[p + 1]! | b[p + 2]! | b[p + 3]!) & 0x80) throw new Unsupported('ID3v2 size not syncsafe');
  return (b[p]! << 21) | (b[p + 1]! << 14) | (b[p + 2]! << 7) | b[p + 3]!;
}

/** A text frame's first string (ffmpeg's read_ttag keeps only the first of several). */
function text(f: Buffer): string {
  if (f.length === 0) throw new Unsupported('empty ID3v2 text frame');
  return split(f.subarray(1), f[0]!)[0];
}

/** The string at the start of `b` in ID3 text encoding `enc`, and the bytes after its terminator. */
function split(b: Buffer, enc: number): [string, Buffer] {
  if (enc === 0 || enc === 3) {
    const nul = b.indexOf(0);
    const s = nul < 0 ? b : b.subarray(0, nul);
    return [enc === 0 ? s.toString('latin1') : s.toString('utf8'), b.subarray(nul < 0 ? b.length : nul + 1)];
  }
  // UTF-16: with a byte-order mark (1) or big-endian without one (2).
  let u = b;
  let le = false;
  if (enc === 1) {
    if (u.length < 2) throw new Unsupported('UTF-16 without a byte-order mark');
    if (u[0] === 0xff && u[1] === 0xfe) le = true;
    else if (!(u[0] === 0xfe && u[1] === 0xff)) throw new Unsupported('UTF-16 without a byte-order mark');
    u = u.subarray(2);
  } else if (enc !== 2) throw new Unsupported(`ID3v2 text encoding ${enc}`);
  let n = 0;
  while (n + 1 < u.length && (u[n] !== 0 || u[n + 1] !== 0)) n += 2;
  const s = Buffer.from(u.subarray(0, n));
  if (!le) s.swap16();
  return [s.toString('utf16le'), u.subarray(Math.min(u.length, n + 2))];
}

import {
  exiftoolJson as json,
  exiftoolText as text,
  plainUtf8 as utf8,
  type ExiftoolValue as Value,
  type RawTags,
} from './exif.js';
import { parseHeader } from './image-header.js';

/**
 * OpenEXR headers read in-process, as the tags exiftool gives for them (`-n -G3 -ee -json`, its
 * OpenEXR module), so that probing an EXR needs no exiftool process (decision 250). The probe
 * reads every EXR fact from these tags (applyExr), so the result is the same by construction;
 * test/media/exr-header.test.ts holds it to exiftool's own output on every corpus EXR and on
 * generated headers with every attribute type.
 *
 * Declines (null; the probe asks exiftool) whatever exiftool would read differently or more
 * from: EXIF or XMP carried in an attribute (exiftool parses them), a header it would stop in
 * (malformed, truncated, past what is read), two attributes under one tag name, flags it does
 * not know, strings that are not UTF-8 or hold control characters, and attribute values whose
 * type exiftool prints as binary.
 */

const FIRST_READ = 64 * 1024;
/** A header with large attributes (a preview image) is read again up to this size, then declined. */
const MAX_READ = 4 * 1024 * 1024;

const MAGIC = 0x01312f76;
const TILED = 0x200;
const LONG_NAMES = 0x400;
const DEEP = 0x800;
const MULTIPART = 0x1000;

/** exiftool's own names for attributes (OpenEXR.pm); any other attribute is named from itself. */
const NAMED: Readonly<Record<string, string>> = {
  altitude: 'GPSAltitude',
  capDate: 'DateTimeOriginal',
  envmap: 'EnvironmentMap',
  expTime: 'ExposureTime',
  focus: 'FocusDistance',
  isoSpeed: 'ISO',
  latitude: 'GPSLatitude',
  longitude: 'GPSLongitude',
  utcOffset: 'TimeZone',
  wrapmodes: 'WrapModes',
  xDensity: 'XResolution',
};

/** Attributes exiftool's table lists by their own name (OpenEXR.pm): named with the first letter raised. */
const LISTED = new Set([
  'adoptedNeutral',
  'aperture',
  'channels',
  'chromaticities',
  'comments',
  'compression',
  'dataWindow',
  'displayWindow',
  'framesPerSecond',
  'keyCode',
  'lineOrder',
  'lookModTransform',
  'multiView',
  'owner',
  'pixelAspectRatio',
  'preview',
  'renderingTransform',
  'screenWindowCenter',
  'screenWindowWidth',
  'tiles',
  'timeCode',
  'whiteLuminance',
  'worldToCamera',
  'worldToNDC',
  'name',
  'type',
  'version',
  'chunkCount',
]);

/**
 * Tag names from which exiftool derives a composite tag the probe reads (LensID, DateTimeOriginal;
 * its Exif composites): declined, except LensModel/Lens in the first part, whose LensID is derived
 * below as exiftool does.
 */
const FEEDS_COMPOSITE = new Set(['LensType', 'LensID', 'DateTimeCreated', 'DateCreated', 'TimeCreated']);
const FEEDS_LENS_ID = new Set(['LensModel', 'Lens']);

type Scalar = 'int8u' | 'int32s' | 'int32u' | 'float' | 'double' | 'rational64s';
/** exiftool's reading of each attribute type it decodes: element format and count (0: one). */
const FORMATS: Readonly<Record<string, [Scalar, number]>> = {
  box2f: ['float', 4],
  box2i: ['int32s', 4],
  chromaticities: ['float', 8],
  compression: ['int8u', 0],
  double: ['double', 0],
  envmap: ['int8u', 0],
  float: ['float', 0],
  int: ['int32s', 0],
  keycode: ['int32s', 7],
  lineOrder: ['int8u', 0],
  m33f: ['float', 9],
  m44f: ['float', 16],
  rational: ['rational64s', 0],
  timecode: ['int32u', 2],
  v2f: ['float', 2],
  v2i: ['int32s', 2],
  v3f: ['float', 3],
  v3i: ['int32s', 3],
};
const SIZES: Readonly<Record<Scalar, number>> = {
  int8u: 1,
  int32s: 4,
  int32u: 4,
  float: 4,
  double: 8,
  rational64s: 8,
};

export function readExrTags(file: string): Promise<RawTags | null> {
  return parseHeader(file, exrTags, FIRST_READ, MAX_READ);
}

/** The tags of an EXR header in `b` (the file's first bytes); 'short' when it runs past them. */
export function exrTags(b: Buffer): RawTags | null | 'short' {
  if (b.length < 8) return 'short';
  if (b.readUInt32LE(0) !== MAGIC) return null;
  const flags = b.readUInt32LE(4);
  if ((flags & ~0xff & ~(TILED | LONG_NAMES | DEEP | MULTIPART)) !== 0) return null;
  const maxLen = flags & LONG_NAMES ? 255 : 31;
  const multi = (flags & MULTIPART) !== 0;
  const main: Record<string, Value> = { EXRVersion: flags & 0xff, Flags: flags & 0xffffff00 };
  const docs: Array<Record<string, Value>> = [main];
  let doc = main;
  let dim: [number, number] | null = null;
  let pos = 8;
  for (;;) {
    if (pos >= b.length) return 'short';
    if (b[pos] === 0) {
      if (!multi) break;
      // A second null ends the headers of a multipart file; one starts the next part's header.
      if (pos + 1 >= b.length) return 'short';
      if (b[pos + 1] === 0) break;
      pos += 1;
      doc = {};
      docs.push(doc);
    }
    const name = cString(b, pos, maxLen);
    if (name === 'short') return 'short';
    if (name === null) return null;
    const type = cString(b, name.end + 1, maxLen);
    if (type === 'short') return 'short';
    if (type === null) return null;
    const at = type.end + 1;
    if (at + 4 > b.length) return 'short';
    const size = b.readUInt32LE(at);
    const start = at + 4;
    if (start + size > b.length) return 'short';
    const data = b.subarray(start, start + size);
    pos = start + size;
    const attr = latin1(name.bytes);
    if (attr === 'exif' || attr === 'xmp') return null;
    const tag = tagName(attr);
    // exiftool adds the image size to the first part's tags after the attributes.
    if (tag in doc || (doc === main && (tag === 'ImageWidth' || tag === 'ImageHeight'))) return null;
    if (FEEDS_COMPOSITE.has(tag) || (doc !== main && FEEDS_LENS_ID.has(tag))) return null;
    const value = decode(latin1(type.bytes), data);
    if (value === null) return null;
    doc[tag] = value;
    if (doc === main && typeof value === 'string') {
      const w = /^(-?\d+) (-?\d+) (-?\d+) (-?\d+)$/.exec(value);
      if (w && (attr === 'dataWindow' || (!dim && attr === 'displayWindow'))) {
        dim = [Number(w[3]) - Number(w[1]) + 1, Number(w[4]) - Number(w[2]) + 1];
      }
    }
  }
  if (dim) [main['ImageWidth'], main['ImageHeight']] = dim;
  // exiftool's composite LensID from a lens name that gives a focal length (Exif.pm, LensID-2).
  const lensId = [main['LensModel'], main['Lens']].find((v) => typeof v === 'string' && /(mm|\d\/F)/.test(v));
  if (lensId !== undefined) main['LensID'] = lensId;
  const out: RawTags = {};
  docs.forEach((d, i) => {
    const group = i === 0 ? 'Main' : `Doc${i}`;
    for (const [k, v] of Object.entries(d)) out[`${group}:${k}`] = v;
  });
  return out;
}

/** A null-terminated name of 1..maxLen bytes at `pos`, as exiftool's pattern takes it. */
function cString(b: Buffer, pos: number, maxLen: number): { bytes: Buffer; end: number } | null | 'short' {
  for (let i = pos; i <= pos + maxLen; i++) {
    if (i >= b.length) return 'short';
    if (b[i] === 0) return i === pos ? null : { bytes: b.subarray(pos, i), end: i };
  }
  return null;
}

function latin1(bytes: Buffer): string {
  return bytes.toString('latin1');
}

/** exiftool's tag name for an attribute (OpenEXR.pm, then AddTagToTable for unlisted ones). */
export function tagName(attr: string): string {
  const named = NAMED[attr];
  if (named) return named;
  if (LISTED.has(attr)) return attr[0]!.toUpperCase() + attr.slice(1);
  let name = attr[0]!.toUpperCase() + attr.slice(1);
  name = name.replace(/([^a-zA-Z])([a-z])/g, (_, a: string, c: string) => a + c.toUpperCase());
  name = name.replace(/[^-_a-zA-Z0-9]/g, '');
  if (name.length <= 1) name = name.length ? `Tag${name}` : 'Invalid';
  name = name.replace(/[^-_a-zA-Z0-9]/g, '');
  name = name[0]!.toUpperCase() + name.slice(1);
  if (name.length < 2 || !/^[A-Z]/i.test(name)) name = `Tag${name}`;
  return name;
}

/** An attribute's value as exiftool prints it in JSON with `-n`; null to decline. */
function decode(type: string, data: Buffer): Value | null {
  const format = FORMATS[type];
  if (format) {
    const [scalar, count] = format;
    const size = SIZES[scalar];
    const n = count || 1;
    if (data.length < size * n) return null;
    const values: string[] = [];
    for (let i = 0; i < n; i++) values.push(readScalar(scalar, data, i * size));
    return json(values.join(' '));
  }
  if (type === 'string') {
    const end = data.indexOf(0);
    return text(end < 0 ? data : data.subarray(0, end));
  }
  if (type === 'chlist') return chlist(data);
  if (type === 'stringvector') {
    const list: Array<string | number | boolean> = [];
    let p = 0;
    while (p + 4 <= data.length) {
      const len = data.readUInt32LE(p);
      if (p + 4 + len > data.length) break;
      const s = text(data.subarray(p + 4, p + 4 + len));
      if (s === null || Array.isArray(s)) return null;
      list.push(s);
      p += 4 + len;
    }
    return list;
  }
  if (type === 'tiledesc') {
    if (data.length < 9) return null;
    const mode = data[8]!;
    const level =
      ['One Level', 'MIMAP Levels', 'RIPMAP Levels'][mode & 0x0f] ?? `Unknown Levels (${mode & 0x0f})`;
    const round = ['Round Down', 'Round Up'][mode >> 4] ?? `Unknown Rounding (${mode >> 4})`;
    return json(`${data.readUInt32LE(0)}x${data.readUInt32LE(4)}; ${level}; ${round}`);
  }
  // exiftool skips the value of any other type and prints its size.
  return `(Binary data ${data.length} bytes, use -b option to extract)`;
}

/** One element, as Perl prints the number exiftool reads (`%.15g`; rationals rounded to 10 digits). */
function readScalar(scalar: Scalar, b: Buffer, at: number): string {
  switch (scalar) {
    case 'int8u':
      return String(b[at]!);
    case 'int32s':
      return String(b.readInt32LE(at));
    case 'int32u':
      return String(b.readUInt32LE(at));
    case 'float':
      return perlNumber(b.readFloatLE(at), 15);
    case 'double':
      return perlNumber(b.readDoubleLE(at), 15);
    case 'rational64s': {
      const num = b.readInt32LE(at);
      const den = b.readInt32LE(at + 4);
      if (den === 0) return num ? 'inf' : 'undef';
      // RoundFloat(num/den, 10) is a string, then printed as it is.
      return printfG(num / den, 10);
    }
  }
}

/** Perl's string form of a number: NaN, Inf, -Inf, else `%.<sig>g`. */
function perlNumber(x: number, sig: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  return printfG(x, sig);
}

/** C's `%.<sig>g`. */
export function printfG(x: number, sig: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, expPart] = x.toExponential(sig - 1).split('e') as [string, string];
  const exp = Number(expPart);
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= sig) {
    const e = Math.abs(exp);
    return `${trim(mantissa)}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  return trim(x.toFixed(Math.max(0, sig - 1 - exp)));
}

const PIXEL_TYPES = ['int8u', 'half', 'float'];

/** Channel list entries as exiftool prints them (a list, even of one): "name type[ linear] xSampling ySampling". */
function chlist(data: Buffer): Value | null {
  const out: string[] = [];
  let p = 0;
  // exiftool matches names of 1–31 bytes (even with long names) followed by 16 bytes of fields.
  while (p < data.length && data[p] !== 0) {
    const end = data.indexOf(0, p);
    if (end < 0 || end - p > 31 || end + 17 > data.length) return null;
    const name = utf8(data.subarray(p, end));
    if (name === null) return null;
    const f = end + 1;
    const pix = data.readUInt32LE(f);
    const linear = data[f + 4]!;
    const xs = data.readUInt32LE(f + 8);
    const ys = data.readUInt32LE(f + 12);
    out.push(`${name} ${PIXEL_TYPES[pix] ?? `unknown(${pix})`}${linear ? ' linear' : ''} ${xs} ${ys}`);
    p = f + 16;
  }
  return out;
}

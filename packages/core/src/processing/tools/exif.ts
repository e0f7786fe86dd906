import type { CameraInfo, ExrPart, PixelWindow } from './metadata.js';

/** Raw exiftool tags (`-n -G3`): keys `Main:Tag`, `Doc1:Tag`, … with numeric values. */
export type RawTags = Record<string, unknown>;

/** A value as exiftool's JSON gives it. */
export type ExiftoolValue = string | number | boolean | Array<string | number | boolean>;

/**
 * exiftool's JSON for a scalar it prints (its EscapeJSON): true/false as booleans, its number
 * pattern as numbers, else the string. For in-process readers that stand in for exiftool.
 */
export function exiftoolJson(s: string): ExiftoolValue {
  if (/^(true|false)$/i.test(s)) return s.toLowerCase() === 'true';
  if (/^-?(\d|[1-9]\d{1,14})(\.\d{1,16})?(e[-+]?\d{1,3})?$/i.test(s)) return Number(s);
  return s;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as UTF-8 text; null when not UTF-8 or holding control characters (exiftool escapes them). */
export function plainUtf8(bytes: Uint8Array): string | null {
  let s: string;
  try {
    s = UTF8.decode(bytes);
  } catch {
    return null;
  }
  return /[\u0000-\u001f\u007f]/.test(s) ? null : s;
}

/** A text value in exiftool's JSON; null when an in-process reader should decline it. */
export function exiftoolText(bytes: Uint8Array): ExiftoolValue | null {
  const s = plainUtf8(bytes);
  return s === null ? null : exiftoolJson(s);
}

/** exiftool's numeric EXR compression codes, named as OpenEXR/oiiotool do. */
const EXR_COMPRESSION: Record<number, string> = {
  0: 'none',
  1: 'rle',
  2: 'zips',
  3: 'zip',
  4: 'piz',
  5: 'pxr24',
  6: 'b44',
  7: 'b44a',
  8: 'dwaa',
  9: 'dwab',
  10: 'htj2k256',
  11: 'htj2k32',
};

/** exiftool's names for EXR channel pixel types → OpenEXR's. */
const EXR_PIXEL_TYPES: Record<string, string> = { int8u: 'uint', uint: 'uint', half: 'half', float: 'float' };

/** Tags of one document (`Main` or `DocN`), with the group prefix removed. */
export function documentTags(raw: RawTags, group = 'Main'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = group + ':';
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    else if (!k.includes(':') && group === 'Main') out[k] = v;
  }
  return out;
}

export function documentGroups(raw: RawTags): string[] {
  const groups = new Set<string>();
  for (const k of Object.keys(raw)) {
    const m = /^(Doc\d+):/.exec(k);
    if (m?.[1]) groups.add(m[1]);
  }
  return [...groups].sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
}

export function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

export function str(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
  if (typeof v === 'number') return String(v);
  return null;
}

export function parseWindow(v: unknown): PixelWindow | null {
  const s = str(v);
  if (!s) return null;
  const n = s.split(/\s+/).map(Number);
  if (n.length !== 4 || n.some((x) => !Number.isInteger(x))) return null;
  const [xMin, yMin, xMax, yMax] = n as [number, number, number, number];
  return { xMin, yMin, xMax, yMax, width: xMax - xMin + 1, height: yMax - yMin + 1 };
}

/** OIIO's channel order: R, G, B, A first, then the rest in file order. */
function orderChannels<T extends { name: string }>(list: T[]): T[] {
  const rank = (n: string) => {
    const i = ['R', 'G', 'B', 'A'].indexOf(n);
    return i < 0 ? 4 : i;
  };
  return list
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(a.c.name) - rank(b.c.name) || a.i - b.i)
    .map((x) => x.c);
}

export function exrPart(tags: Record<string, unknown>, index: number): ExrPart {
  const chans = Array.isArray(tags['Channels'])
    ? tags['Channels']
    : tags['Channels'] !== undefined
      ? [tags['Channels']]
      : [];
  const parsed = orderChannels(
    chans
      .map((c) => String(c).trim().split(/\s+/))
      .filter((p) => p.length >= 2)
      .map((p) => ({ name: p[0]!, type: EXR_PIXEL_TYPES[p[1]!] ?? p[1]! })),
  );
  const dataWindow = parseWindow(tags['DataWindow']);
  const code = num(tags['Compression']);
  return {
    index,
    name: str(tags['Name']),
    view: str(tags['View']),
    type: str(tags['Type']),
    width: dataWindow?.width ?? num(tags['ImageWidth']),
    height: dataWindow?.height ?? num(tags['ImageHeight']),
    dataWindow,
    displayWindow: parseWindow(tags['DisplayWindow']),
    channelNames: parsed.map((c) => c.name),
    channelTypes: parsed.map((c) => c.type),
    compression: code === null ? str(tags['Compression']) : (EXR_COMPRESSION[code] ?? `code ${code}`),
  };
}

/** Camera and capture fields, when the file has any. */
export function cameraInfo(t: Record<string, unknown>): CameraInfo | null {
  const make = str(t['Make']);
  const model = str(t['Model']) ?? str(t['CameraModelName']);
  const lens = str(t['LensModel']) ?? str(t['LensID']) ?? str(t['Lens']) ?? str(t['LensInfo']);
  const iso = num(t['ISO']);
  const exposure = num(t['ExposureTime']);
  const fNumber = num(t['FNumber']);
  const focalLength = num(t['FocalLength']);
  const date = exifDate(t['DateTimeOriginal'] ?? t['CreateDate'] ?? t['DateCreated']);
  const lat = num(t['GPSLatitude']);
  const lon = num(t['GPSLongitude']);
  const gps =
    lat !== null && lon !== null ? { latitude: lat, longitude: lon, altitude: num(t['GPSAltitude']) } : null;
  if (
    !make &&
    !model &&
    !lens &&
    iso === null &&
    exposure === null &&
    fNumber === null &&
    focalLength === null &&
    !gps
  )
    return null;
  return {
    make,
    model,
    lens,
    iso,
    exposureTime:
      exposure === null
        ? null
        : exposure < 1 && exposure > 0
          ? `1/${Math.round(1 / exposure)}`
          : String(exposure),
    fNumber,
    focalLength,
    dateTaken: date,
    gps,
  };
}

/** `2023:04:01 12:00:00+02:00` → `2023-04-01T12:00:00+02:00`; null when not a date. */
export function exifDate(v: unknown): string | null {
  const s = str(v);
  if (!s) return null;
  const m = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(s);
  if (!m || m[1] === '0000') return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ''}${m[8] ?? ''}`;
}

const TAG_NAMES = [
  'Title',
  'Artist',
  'Album',
  'Comment',
  'Software',
  'Copyright',
  'Owner',
  'Description',
  'ImageDescription',
  'Originator',
  'OriginatorReference',
  'TimeReference',
  'CodingHistory',
  'Encoder',
  'HandlerVendorID',
];

export function descriptiveTags(t: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of TAG_NAMES) {
    const v = str(t[k]);
    if (v !== null) out[k[0]!.toLowerCase() + k.slice(1)] = v.length > 2000 ? v.slice(0, 2000) : v;
  }
  return out;
}

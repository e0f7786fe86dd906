import fs from 'node:fs/promises';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readExrTags } from '../../src/processing/tools/exr-header.js';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { corpusPath, HAVE_CORPUS, loadManifest } from './corpus.js';
import { ffmpeg, tmpDir, TOOLS } from './helpers.js';

/**
 * OpenEXR headers read in-process must give exactly the tags exiftool gives (the arguments the
 * probe uses), on the corpus, on ffmpeg's EXRs and on headers written here with every attribute
 * type exiftool decodes; and the probe's record must be the same with or without the reader
 * (only `sources` differs). What the reader declines, exiftool still reads.
 */
const ARGS = ['-fast', '-n', '-G3', '-ee', '-api', 'LargeFileSupport=1'];
/** exiftool's own tags: the file system's, and composites the probe does not read. */
const NOT_FROM_THE_HEADER =
  /^(SourceFile|(Main:)?(ExifToolVersion|FileName|Directory|FileSize|FileModifyDate|FileAccessDate|FileInodeChangeDate|FilePermissions|FileType|FileTypeExtension|MIMEType|ImageSize|Megapixels|GPSPosition|ShutterSpeed|LightValue|FocalLength35efl))$/;

const exiftool = new ExifTool({ maxProcs: 1, geoTz: () => undefined });
const withReader = new MediaProber({ tools: TOOLS });
const withoutReader = new MediaProber({ tools: TOOLS, headerReader: false });
let dir: string;
const generated: string[] = [];
const declined: string[] = [];

// A header writer: attribute = name \0 type \0 size(u32) value.
const u32 = (...v: number[]) => {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeUInt32LE(x >>> 0, i * 4));
  return b;
};
const i32 = (...v: number[]) => {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeInt32LE(x, i * 4));
  return b;
};
const f32 = (...v: number[]) => {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeFloatLE(x, i * 4));
  return b;
};
const f64 = (x: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return b;
};
const text = (s: string) => Buffer.from(s, 'utf8');
const attr = (name: string, type: string, value: Buffer) =>
  Buffer.concat([Buffer.from(`${name}\0${type}\0`, 'latin1'), u32(value.length), value]);
const chlist = (...chs: Array<[string, number, number?]>) =>
  Buffer.concat([
    ...chs.map(([n, t, linear]) =>
      Buffer.concat([Buffer.from(`${n}\0`, 'utf8'), u32(t), Buffer.from([linear ?? 0, 0, 0, 0]), i32(1, 1)]),
    ),
    Buffer.from([0]),
  ]);
const basic = (w = 64, h = 32) => [
  attr('channels', 'chlist', chlist(['R', 1], ['G', 1], ['B', 1])),
  attr('compression', 'compression', Buffer.from([3])),
  attr('dataWindow', 'box2i', i32(0, 0, w - 1, h - 1)),
  attr('displayWindow', 'box2i', i32(0, 0, w - 1, h - 1)),
  attr('lineOrder', 'lineOrder', Buffer.from([0])),
  attr('pixelAspectRatio', 'float', f32(1)),
  attr('screenWindowCenter', 'v2f', f32(0, 0)),
  attr('screenWindowWidth', 'float', f32(1)),
];
/** Magic, flags, then each part's attributes and its null; multipart headers end with a second null. */
const exr = (flags: number, parts: Buffer[][]) =>
  Buffer.concat([
    u32(0x01312f76, flags),
    ...parts.map((p) => Buffer.concat([...p, Buffer.from([0])])),
    ...(flags & 0x1000 ? [Buffer.from([0])] : []),
    Buffer.alloc(64),
  ]);

/** Headers the reader must read exactly as exiftool does. */
const READ: Record<string, Buffer> = {
  'every-type': exr(2, [
    [
      ...basic(),
      attr('box2f', 'box2f', f32(0.5, 1.5, 2.25, 3)),
      attr('chromaticities', 'chromaticities', f32(0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.329)),
      attr('dbl', 'double', f64(Math.PI)),
      attr('big', 'double', f64(1e20)),
      attr('tiny', 'float', f32(1e-7)),
      attr('nan', 'float', f32(NaN)),
      attr('inf', 'float', f32(-Infinity)),
      attr('env', 'envmap', Buffer.from([1])),
      attr('count', 'int', i32(-5)),
      attr('kc', 'keycode', i32(1, 2, 3, 4, 5, 6, 7)),
      attr('m3', 'm33f', f32(...Array.from({ length: 9 }, (_, i) => i / 7))),
      attr('m4', 'm44f', f32(...Array.from({ length: 16 }, (_, i) => i / 3))),
      attr('fps', 'rational', Buffer.concat([i32(24000), u32(1001)])),
      attr('inf2', 'rational', Buffer.concat([i32(5), u32(0)])),
      attr('undef', 'rational', Buffer.concat([i32(0), u32(0)])),
      attr('tc', 'timecode', u32(0x01020304, 0)),
      attr('v2', 'v2i', i32(7, 8)),
      attr('v3', 'v3f', f32(0.1, -2, 3e10)),
      attr('v3i', 'v3i', i32(-1, 2, -3)),
      attr('multiView', 'stringvector', Buffer.concat([u32(4), text('left'), u32(5), text('right')])),
      attr('one', 'stringvector', Buffer.concat([u32(3), text('abc')])),
      attr('tiles2', 'tiledesc', Buffer.concat([u32(64, 32), Buffer.from([0x12])])),
      attr('preview', 'preview', Buffer.alloc(100)),
      attr('opaque', 'someVendorType', Buffer.alloc(7)),
      attr('numberLike', 'string', text('1.50')),
      attr('yes', 'string', text('True')),
      attr('utf', 'string', text('Åsa – 東京')),
      attr('nulled', 'string', Buffer.from('abc\0def')),
    ],
  ]),
  'camera-and-names': exr(2, [
    [
      ...basic(),
      attr('owner', 'string', text('Studio')),
      attr('comments', 'string', text('plate 12')),
      attr('capDate', 'string', text('2024:01:02 03:04:05')),
      attr('utcOffset', 'float', f32(-28800)),
      attr('latitude', 'float', f32(37.797)),
      attr('longitude', 'float', f32(-122.4761)),
      attr('altitude', 'float', f32(12.5)),
      attr('isoSpeed', 'float', f32(800)),
      attr('expTime', 'float', f32(1 / 48)),
      attr('aperture', 'float', f32(2.8)),
      attr('focus', 'float', f32(2.5)),
      attr('xDensity', 'float', f32(72)),
      attr('cameraMake', 'string', text('ARRI')),
      attr('make', 'string', text('RED')),
      attr('model', 'string', text('V-Raptor')),
      attr('software', 'string', text('Nuke 15')),
      attr('focalLength', 'float', f32(35)),
      attr('lensModel', 'string', text('Cooke S4 50mm')),
      attr('lens', 'string', text('S4')),
      attr('a', 'string', text('one letter')),
      attr('1x', 'string', text('digit first')),
      attr('foo_bar-baz.qux', 'string', text('punctuation')),
      attr('x.y', 'int', i32(3)),
    ],
  ]),
  'lens-id-from-lens': exr(2, [[...basic(), attr('lens', 'string', text('Zeiss 2/F'))]]),
  multipart: exr(0x1002, [
    [
      ...basic(),
      attr('name', 'string', text('rgba_left')),
      attr('type', 'string', text('scanlineimage')),
      attr('view', 'string', text('left')),
      attr('chunkCount', 'int', i32(32)),
    ],
    [
      attr('channels', 'chlist', chlist(['Z', 2])),
      attr('compression', 'compression', Buffer.from([0])),
      attr('dataWindow', 'box2i', i32(-4, -2, 70, 40)),
      attr('displayWindow', 'box2i', i32(0, 0, 63, 31)),
      attr('lineOrder', 'lineOrder', Buffer.from([0])),
      attr('name', 'string', text('depth')),
      attr('type', 'string', text('tiledimage')),
      attr('tiles', 'tiledesc', Buffer.concat([u32(16, 16), Buffer.from([0])])),
      attr('chunkCount', 'int', i32(20)),
    ],
  ]),
  'long-names': exr(0x402, [
    [
      ...basic(),
      attr('an_attribute_name_longer_than_thirty_one_bytes', 'string', text('long')),
      attr('channelsLinear', 'chlist', chlist(['Y', 1, 1], ['A', 0])),
    ],
  ]),
  tiled: exr(0x202, [
    [...basic(), attr('tiles', 'tiledesc', Buffer.concat([u32(32, 32), Buffer.from([0])]))],
  ]),
  'display-window-only': exr(2, [
    [attr('channels', 'chlist', chlist(['R', 1])), attr('displayWindow', 'box2i', i32(0, 0, 9, 9))],
  ]),
};

/** Headers exiftool reads differently or further: the reader declines, exiftool answers. */
const DECLINED: Record<string, Buffer> = {
  'exif-attribute': exr(2, [[...basic(), attr('exif', 'blob', Buffer.concat([u32(8), Buffer.alloc(8)]))]]),
  'xmp-attribute': exr(2, [[...basic(), attr('xmp', 'string', text('<x:xmpmeta/>'))]]),
  'same-tag-twice': exr(2, [
    [...basic(), attr('owner', 'string', text('a')), attr('Owner', 'string', text('b'))],
  ]),
  'not-utf8': exr(2, [[...basic(), attr('owner', 'string', Buffer.from([0x41, 0xff, 0x42]))]]),
  'control-character': exr(2, [[...basic(), attr('comments', 'string', text('line\nbreak'))]]),
  'lens-type': exr(2, [[...basic(), attr('lensType', 'int', i32(42))]]),
  'unknown-flag': exr(0x4002, [basic()]),
  truncated: exr(2, [basic()]).subarray(0, 120),
};

beforeAll(async () => {
  dir = await tmpDir();
  // ffmpeg's own EXRs: each of its compressions and sample types.
  const src = ['-f', 'lavfi', '-i', 'testsrc2=size=96x54', '-frames:v', '1'];
  for (const [pix, compression, format] of [
    ['gbrpf32le', 'none', 'float'],
    ['gbrapf32le', 'rle', 'half'],
    ['grayf32le', 'zip1', 'float'],
    ['gbrpf32le', 'zip16', 'half'],
    ['gbrapf32le', 'zip16', 'float'],
  ] as const) {
    const out = path.join(dir, `ffmpeg_${pix}_${compression}_${format}.exr`);
    await ffmpeg([
      ...src,
      '-pix_fmt',
      pix,
      '-c:v',
      'exr',
      '-compression',
      compression,
      '-format',
      format,
      out,
    ]);
    generated.push(out);
  }
  for (const [name, bytes] of Object.entries(READ)) {
    const out = path.join(dir, `${name}.exr`);
    await fs.writeFile(out, bytes);
    generated.push(out);
  }
  for (const [name, bytes] of Object.entries(DECLINED)) {
    const out = path.join(dir, `declined-${name}.exr`);
    await fs.writeFile(out, bytes);
    declined.push(out);
  }
});

afterAll(async () => {
  await Promise.all([exiftool.end(), withReader.close(), withoutReader.close()]);
  await fs.rm(dir, { recursive: true, force: true });
});

const corpusExrs = (broken = false) =>
  HAVE_CORPUS
    ? loadManifest()
        .filter((e) => /\.exr$/i.test(e.path) && (e.kind === 'broken') === broken)
        .map(corpusPath)
    : [];

/** The probe's record without its sources, or its error's message. */
async function outcome(prober: MediaProber, file: string): Promise<unknown> {
  try {
    const meta = await prober.probe(file);
    return JSON.parse(JSON.stringify({ ...meta, sources: [] }));
  } catch (e) {
    return { error: String(e) };
  }
}

/** Every tag the reader gives equals exiftool's, and exiftool gives no other tag from the header. */
async function disagreements(file: string): Promise<string[]> {
  const mine = await readExrTags(file);
  if (!mine) return [`${file}: declined`];
  const theirs = (await exiftool.readRaw(file, { readArgs: ARGS })) as unknown as Record<string, unknown>;
  const out: string[] = [];
  for (const [k, v] of Object.entries(mine))
    if (JSON.stringify(theirs[k]) !== JSON.stringify(v))
      out.push(
        `${path.basename(file)} ${k}: exiftool ${JSON.stringify(theirs[k])}, reader ${JSON.stringify(v)}`,
      );
  for (const k of Object.keys(theirs))
    if (!(k in mine) && !NOT_FROM_THE_HEADER.test(k) && k !== 'errors' && k !== 'warnings')
      out.push(`${path.basename(file)} ${k}: exiftool ${JSON.stringify(theirs[k])}, reader has none`);
  return out;
}

describe('OpenEXR headers read in-process', () => {
  it('give exactly exiftool’s tags on generated headers of every attribute type', async () => {
    const all: string[] = [];
    for (const f of generated) all.push(...(await disagreements(f)));
    expect(all).toEqual([]);
  });

  it.skipIf(!HAVE_CORPUS)('give exactly exiftool’s tags on every corpus EXR', async () => {
    const files = corpusExrs();
    expect(files.length).toBeGreaterThan(30);
    const all: string[] = [];
    for (const f of files) all.push(...(await disagreements(f)));
    expect(all).toEqual([]);
  });

  it('decline what exiftool reads differently, and the probe then asks exiftool', async () => {
    // Broken corpus EXRs are read exactly or declined, and probe as before either way.
    for (const f of corpusExrs(true)) {
      const d = await disagreements(f);
      if (!d[0]?.endsWith('declined')) expect(d, f).toEqual([]);
    }
    for (const f of declined) expect(await readExrTags(f), f).toBeNull();
    for (const f of [...declined, ...corpusExrs(true)])
      expect(await outcome(withReader, f), f).toEqual(await outcome(withoutReader, f));
  });

  it('leave the probed record as it was, but for its sources', async () => {
    for (const f of [...generated, ...corpusExrs()]) {
      const a = await withReader.probe(f);
      const b = await withoutReader.probe(f);
      expect(a.sources, f).toEqual(['sniff']);
      expect(b.sources, f).toEqual(['exiftool']);
      expect({ ...a, sources: [] }, f).toEqual({ ...b, sources: [] });
    }
  });

  it('reads the camera and descriptive facts exiftool names from the header', async () => {
    const meta = await withReader.probe(generated.find((f) => f.endsWith('camera-and-names.exr'))!);
    expect(meta.camera).toMatchObject({
      make: 'RED',
      model: 'V-Raptor',
      lens: 'Cooke S4 50mm',
      iso: 800,
      dateTaken: '2024-01-02T03:04:05',
      gps: { latitude: expect.closeTo(37.797, 4), longitude: expect.closeTo(-122.4761, 4), altitude: 12.5 },
    });
    expect(meta.tags).toMatchObject({ owner: 'Studio', software: 'Nuke 15' });
  });
});

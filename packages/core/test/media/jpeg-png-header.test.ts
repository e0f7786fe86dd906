import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExifTool } from 'exiftool-vendored';
import { readJpegPngHeader, readPlainJpegTags } from '../../src/processing/tools/jpeg-png-header.js';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { CORPUS_DIR, HAVE_CORPUS } from './corpus.js';
import { exec, ffmpeg, tmpDir, TOOLS } from './helpers.js';

/**
 * JPEG/PNG header facts read in-process must be what libvips (sharp's metadata(), as the decoder
 * process reads it) says, on ffmpeg- and libvips-written files of every layout and on the
 * corpus; and the probe's stored record must be the same with or without the in-process reader
 * (only `sources` differs). Files it declines still get the decoder's answer.
 */
let dir: string;
const withReader = new MediaProber({ tools: TOOLS });
const withoutReader = new MediaProber({ tools: TOOLS, headerReader: false });
const generated: string[] = [];

const PNG_FMTS = [
  'gray',
  'gray16be',
  'rgb24',
  'rgba',
  'rgb48be',
  'rgba64be',
  'ya8',
  'ya16be',
  'pal8',
  'monob',
];
const JPEG_FMTS = ['yuvj420p', 'yuvj422p', 'yuvj444p', 'gray'];

beforeAll(async () => {
  dir = await tmpDir();
  const src = ['-f', 'lavfi', '-i', 'testsrc2=size=97x65', '-frames:v', '1'];
  for (const f of PNG_FMTS) {
    const out = path.join(dir, `png_${f}.png`);
    await ffmpeg([...src, '-pix_fmt', f, out]);
    generated.push(out);
  }
  for (const f of JPEG_FMTS) {
    const out = path.join(dir, `jpg_${f}.jpg`);
    await ffmpeg([...src, '-pix_fmt', f, out]);
    generated.push(out);
  }
  const rgb = path.join(dir, 'png_rgb24.png');
  const jpg = path.join(dir, 'jpg_yuvj420p.jpg');
  // Interlaced PNG, progressive JPEG, palette PNG with transparency, grey PNG with a tRNS colour,
  // a JPEG with an ICC profile and EXIF orientations, big- and little-endian.
  await sharp(rgb).png({ progressive: true }).toFile(path.join(dir, 'interlaced.png'));
  await sharp(rgb).jpeg({ progressive: true }).toFile(path.join(dir, 'progressive.jpg'));
  await sharp(path.join(dir, 'png_rgba.png'))
    .png({ palette: true, colours: 16 })
    .toFile(path.join(dir, 'palette-alpha.png'));
  await sharp(rgb)
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 90 })
    .toFile(path.join(dir, 'icc-orientation-6.jpg'));
  generated.push(
    path.join(dir, 'interlaced.png'),
    path.join(dir, 'progressive.jpg'),
    path.join(dir, 'palette-alpha.png'),
    path.join(dir, 'icc-orientation-6.jpg'),
  );
  // The same EXIF segment moved after the frame header: libjpeg still reads it (up to the first scan).
  generated.push(
    await exifAfterFrame(path.join(dir, 'icc-orientation-6.jpg'), path.join(dir, 'exif-after-sof.jpg')),
  );
  // Out-of-range orientations too (libvips has them as 1).
  for (const [o, order] of [
    [3, 'II'],
    [8, 'MM'],
    [0, 'II'],
    [9, 'MM'],
  ] as const) {
    const out = path.join(dir, `orientation-${o}-${order}.jpg`);
    await fs.copyFile(jpg, out);
    await exec('exiftool', [
      '-q',
      '-overwrite_original',
      `-ExifByteOrder=${order}`,
      `-Orientation=${o}`,
      '-n',
      out,
    ]);
    generated.push(out);
  }
});
/** Writes `from` with its EXIF APP1 segment moved to just after its frame header (SOF). */
async function exifAfterFrame(from: string, to: string): Promise<string> {
  const b = await fs.readFile(from);
  const segments: Buffer[] = [];
  let o = 2;
  while (b[o + 1] !== 0xda) {
    const end = o + 2 + b.readUInt16BE(o + 2);
    segments.push(b.subarray(o, end));
    o = end;
  }
  const isExif = (x: Buffer) => x[1] === 0xe1 && x.toString('latin1', 4, 10) === 'Exif\0\0';
  const exif = segments.find(isExif)!;
  const rest = segments.filter((x) => !isExif(x));
  const sof = rest.findIndex((x) => x[1] === 0xc0 || x[1] === 0xc2);
  rest.splice(sof + 1, 0, exif);
  await fs.writeFile(to, Buffer.concat([b.subarray(0, 2), ...rest, b.subarray(o)]));
  return to;
}

afterAll(async () => {
  await Promise.all([withReader.close(), withoutReader.close()]);
  await fs.rm(dir, { recursive: true, force: true });
});

/** sharp's metadata() on the fields the probe reads (the decoder process's `metadata` op). */
async function libvips(file: string) {
  const m = await sharp(file, { failOn: 'none' }).metadata();
  return {
    format: m.format,
    width: m.width,
    height: m.height,
    channels: m.channels,
    depth: m.depth,
    orientation: m.orientation,
    space: m.space,
    hasAlpha: m.hasAlpha,
    pages: m.pages,
  };
}

async function expectLikeLibvips(file: string, mustAnswer: boolean) {
  const format = /\.png$/i.test(file) ? 'png' : 'jpg';
  const h = await readJpegPngHeader(file, format);
  if (mustAnswer) expect(h, `${path.basename(file)}: answered`).not.toBeNull();
  if (!h) return false;
  expect({ pages: undefined, orientation: undefined, ...h }, path.basename(file)).toEqual(
    await libvips(file),
  );
  return true;
}

async function expectSameRecord(file: string) {
  const [a, b] = await Promise.all([withReader.probe(file), withoutReader.probe(file)]);
  expect(b.sources).toContain('sharp');
  expect({ ...a, sources: [] }, path.basename(file)).toEqual({ ...b, sources: [] });
  return a;
}

describe('JPEG/PNG headers read in-process', () => {
  it('answer as libvips does for every layout ffmpeg and libvips write', async () => {
    for (const f of generated) await expectLikeLibvips(f, true);
    // The moved EXIF segment still gives the orientation.
    expect((await readJpegPngHeader(path.join(dir, 'exif-after-sof.jpg'), 'jpg'))?.orientation).toBe(6);
  });

  it('leave the probed record unchanged (only its sources say sniff instead of sharp)', async () => {
    for (const f of generated) {
      const m = await expectSameRecord(f);
      expect(m.sources).toContain('sniff');
      expect(m.sources).not.toContain('sharp');
    }
  });

  it('decline what is not plain, and the decoder answers it', async () => {
    const gif = path.join(dir, 'not-a-png.png');
    await sharp(path.join(dir, 'png_rgb24.png')).gif().toFile(gif);
    expect(await readJpegPngHeader(gif, 'png')).toBeNull();
    const truncated = path.join(dir, 'truncated.jpg');
    await fs.writeFile(truncated, (await fs.readFile(path.join(dir, 'progressive.jpg'))).subarray(0, 10));
    expect(await readJpegPngHeader(truncated, 'jpg')).toBeNull();
  });

  describe.skipIf(!HAVE_CORPUS)('corpus', () => {
    it('answers as libvips does on every corpus JPEG and PNG it does not decline', async () => {
      const files: string[] = [];
      for (const sub of ['image', 'broken']) {
        for (const name of await fs.readdir(path.join(CORPUS_DIR, 'media', sub))) {
          if (/\.(jpe?g|png)$/i.test(name)) files.push(path.join(CORPUS_DIR, 'media', sub, name));
        }
      }
      expect(files.length).toBeGreaterThan(10);
      const answered: string[] = [];
      for (const f of files) {
        const ok = await libvips(f).then(
          () => true,
          () => false,
        );
        // A file libvips refuses must be declined too (the decoder reports it).
        if (!ok) {
          expect(await readJpegPngHeader(f, /\.png$/i.test(f) ? 'png' : 'jpg'), path.basename(f)).toBeNull();
          continue;
        }
        if (await expectLikeLibvips(f, false)) answered.push(path.basename(f));
        if (f.includes(`${path.sep}image${path.sep}`)) await expectSameRecord(f);
      }
      // The plain ones are answered (CMYK and PNG with eXIf are the decoder's).
      expect(answered).toEqual(
        expect.arrayContaining(['hopper.png', 'tahoe-gps.jpg', 'hopper_orientation_6.jpg']),
      );
    });
  });
});

/** exiftool's tags for a JPEG without metadata that the probe does not read, and the file system's. */
const NOT_READ =
  /^(SourceFile|errors|warnings|(Main:)?(ExifToolVersion|FileName|Directory|FileSize|FileModifyDate|FileAccessDate|FileInodeChangeDate|FilePermissions|FileType|FileTypeExtension|MIMEType|JFIFVersion|ResolutionUnit|XResolution|YResolution|EncodingProcess|BitsPerSample|ColorComponents|YCbCrSubSampling|ImageSize|Megapixels))$/;

/** `jpg` with `segments` put right after its JFIF APP0 segment. */
async function withSegments(jpg: string, out: string, ...segments: Buffer[]): Promise<string> {
  const b = await fs.readFile(jpg);
  const app0End = 4 + b.readUInt16BE(4);
  await fs.writeFile(out, Buffer.concat([b.subarray(0, app0End), ...segments, b.subarray(app0End)]));
  return out;
}
const segment = (marker: number, data: Buffer) => {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(data.length + 2, 2);
  return Buffer.concat([head, data]);
};

describe('JPEGs without metadata, their exiftool tags read in-process', () => {
  const exiftool = new ExifTool({ maxProcs: 1, geoTz: () => undefined });
  afterAll(() => exiftool.end());

  async function expectLikeExiftool(file: string): Promise<void> {
    const mine = await readPlainJpegTags(file);
    expect(mine, `${path.basename(file)}: read`).not.toBeNull();
    const theirs = (await exiftool.readRaw(file, {
      readArgs: ['-fast', '-n', '-G3', '-api', 'LargeFileSupport=1'],
    })) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(mine!)) expect(theirs[k], `${path.basename(file)} ${k}`).toEqual(v);
    for (const k of Object.keys(theirs))
      if (!NOT_READ.test(k)) expect(mine, `${path.basename(file)}: exiftool's ${k}`).toHaveProperty(k);
  }

  it('gives exiftool’s size and comment for ffmpeg’s JPEGs, with and without a comment', async () => {
    const jpgs = generated.filter((f) => /jpg_.*\.jpg$/.test(f));
    expect(jpgs.length).toBe(JPEG_FMTS.length);
    for (const f of jpgs) await expectLikeExiftool(f);
    const bare = path.join(dir, 'bitexact.jpg');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=97x65', '-frames:v', '1', '-flags', '+bitexact', bare]);
    await expectLikeExiftool(bare);
    expect(await readPlainJpegTags(bare)).not.toHaveProperty('Main:Comment');
    // A comment with trailing nulls, one exiftool prints as a number, one in UTF-8.
    for (const [name, text] of [
      ['nulls', 'shot 12\0\0'],
      ['number', '1.50'],
      ['unicode', 'Åsa – 東京'],
    ] as const) {
      const f = await withSegments(
        bare,
        path.join(dir, `comment-${name}.jpg`),
        segment(0xfe, Buffer.from(text, 'utf8')),
      );
      await expectLikeExiftool(f);
      await expectSameRecord(f);
    }
  });

  it('declines a JPEG with metadata, and exiftool reads it', async () => {
    const jpg = path.join(dir, 'jpg_yuvj420p.jpg');
    const cases = [
      await withSegments(jpg, path.join(dir, 'two-comments.jpg'), segment(0xfe, Buffer.from('second'))),
      await withSegments(
        jpg,
        path.join(dir, 'adobe.jpg'),
        segment(0xee, Buffer.from('Adobe\0\x64\0\0\0\0\x01', 'latin1')),
      ),
      await withSegments(
        jpg,
        path.join(dir, 'xmp.jpg'),
        segment(
          0xe1,
          Buffer.from('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/"/>', 'latin1'),
        ),
      ),
      await withSegments(jpg, path.join(dir, 'control.jpg'), segment(0xfe, Buffer.from('a\u0007b'))),
      path.join(dir, 'icc-orientation-6.jpg'),
    ];
    for (const f of cases) {
      expect(await readPlainJpegTags(f), path.basename(f)).toBeNull();
      const m = await withReader.probe(f);
      expect(m.sources, path.basename(f)).toContain('exiftool');
    }
  });
});

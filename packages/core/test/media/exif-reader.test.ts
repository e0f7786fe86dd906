import fs from 'node:fs/promises';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExifReader } from '../../src/processing/tools/exif-reader.js';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { corpusPath, HAVE_CORPUS, loadManifest } from './corpus.js';
import { tmpDir, TOOLS } from './helpers.js';

/** Batched exiftool reads must give exactly what one readRaw per file gives. */
const ARGS = ['-fast', '-n', '-G3', '-api', 'LargeFileSupport=1'];
const exiftool = new ExifTool({ maxProcs: 2, minDelayBetweenSpawnMillis: 0, geoTz: () => undefined });
let dir: string;
beforeAll(async () => {
  dir = await tmpDir();
});
afterAll(async () => {
  await exiftool.end();
  await fs.rm(dir, { recursive: true, force: true });
});

/** readRaw adds its own errors/warnings arrays (from stderr); Montu reads neither. */
function tagsOnly(t: Record<string, unknown>): Record<string, unknown> {
  const { errors: _e, warnings: _w, ...rest } = t;
  return rest;
}

describe.skipIf(!HAVE_CORPUS)('ExifReader', () => {
  const images = loadManifest()
    .filter((e) => e.kind === 'image' && !/\.tga$/i.test(e.path))
    .map(corpusPath);

  it('answers a burst in a few batches, tag for tag like readRaw', async () => {
    const reader = new ExifReader(exiftool, 2);
    const batched = await Promise.all(images.map((f) => reader.read(f, ARGS)));
    for (const [i, f] of images.entries()) {
      const single = (await exiftool.readRaw(f, {
        readArgs: ARGS,
        ignoreMinorErrors: true,
      })) as unknown as Record<string, unknown>;
      expect(tagsOnly(batched[i]!), f).toEqual(tagsOnly(single));
    }
  });

  it('reads a file exiftool cannot open on its own, without failing the batch', async () => {
    const reader = new ExifReader(exiftool, 1);
    const missing = path.join(dir, 'gone.jpg');
    const files = [...images.slice(0, 5), missing, ...images.slice(5, 10)];
    const results = await Promise.allSettled(files.map((f) => reader.read(f, ARGS)));
    for (const [i, r] of results.entries()) {
      if (files[i] === missing) expect(r.status).toBe('rejected');
      else expect(r.status, files[i]).toBe('fulfilled');
    }
  });

  it('starts a second exiftool process only when enough reads queue', async () => {
    const own = new ExifTool({ maxProcs: 2, minDelayBetweenSpawnMillis: 0, geoTz: () => undefined });
    try {
      const reader = new ExifReader(own, 2);
      // A few reads at once: one batch now, the rest in the running process's next one.
      const few = await Promise.all(images.slice(0, 3).map((f) => reader.read(f, ARGS)));
      expect(few.map((t) => t['SourceFile'])).toEqual(images.slice(0, 3).map((f) => path.resolve(f)));
      expect(own.spawnedProcs).toBe(1);
      // A long queue is worth another process's start-up.
      const many = Array.from({ length: 40 }, (_, i) => images[i % images.length]!);
      await Promise.all(many.map((f) => reader.read(f, ARGS)));
      expect(own.spawnedProcs).toBe(2);
    } finally {
      await own.end();
    }
  });

  it('gives the same metadata through probeFiles as through probe', async () => {
    const files = loadManifest()
      .filter((e) => e.kind !== 'broken')
      .map(corpusPath);
    const a = new MediaProber({ tools: TOOLS, maxProcs: 2 });
    const b = new MediaProber({ tools: TOOLS, maxProcs: 1 });
    try {
      const many = await a.probeFiles(files);
      // Two at a time through the other prober: mostly single-file exiftool reads.
      const one: unknown[] = [];
      let next = 0;
      const worker = async () => {
        while (next < files.length) {
          const i = next++;
          one[i] = await b.probe(files[i]!).catch((e: unknown) => e);
        }
      };
      await Promise.all([worker(), worker()]);
      for (const [i, f] of files.entries())
        expect(JSON.parse(JSON.stringify(many[i])), f).toEqual(JSON.parse(JSON.stringify(one[i])));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

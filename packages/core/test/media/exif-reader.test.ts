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
/** One exiftool process, as MediaProber makes them for its reader. */
const oneProcess = () => new ExifTool({ maxProcs: 1, minDelayBetweenSpawnMillis: 0, geoTz: () => undefined });
const exiftool = oneProcess();
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
    const reader = new ExifReader(oneProcess, 2);
    const batched = await Promise.all(images.map((f) => reader.read(f, ARGS))).finally(() => reader.end());
    for (const [i, f] of images.entries()) {
      const single = (await exiftool.readRaw(f, {
        readArgs: ARGS,
        ignoreMinorErrors: true,
      })) as unknown as Record<string, unknown>;
      expect(tagsOnly(batched[i]!), f).toEqual(tagsOnly(single));
    }
  });

  it('reads a file exiftool cannot open on its own, without failing the batch', async () => {
    const reader = new ExifReader(oneProcess, 1);
    const missing = path.join(dir, 'gone.jpg');
    const files = [...images.slice(0, 5), missing, ...images.slice(5, 10)];
    const results = await Promise.allSettled(files.map((f) => reader.read(f, ARGS)));
    await reader.end();
    for (const [i, r] of results.entries()) {
      if (files[i] === missing) expect(r.status).toBe('rejected');
      else expect(r.status, files[i]).toBe('fulfilled');
    }
  });

  it('starts a second exiftool process only when enough reads queue', async () => {
    const reader = new ExifReader(oneProcess, 2);
    try {
      // A few reads at once: one batch now, the rest in the running process's next one.
      const few = await Promise.all(images.slice(0, 3).map((f) => reader.read(f, ARGS)));
      expect(few.map((t) => t['SourceFile'])).toEqual(images.slice(0, 3).map((f) => path.resolve(f)));
      expect(reader.processes).toBe(1);
      // A long queue is worth another process's start-up.
      const many = Array.from({ length: 40 }, (_, i) => images[i % images.length]!);
      await Promise.all(many.map((f) => reader.read(f, ARGS)));
      expect(reader.processes).toBe(2);
    } finally {
      await reader.end();
    }
  });

  const ofType = (ext: RegExp) =>
    loadManifest()
      .filter((e) => e.kind !== 'broken' && ext.test(e.path))
      .map(corpusPath);

  it('keeps each format family on the process that read it first', async () => {
    const exrs = ofType(/\.exr$/i).slice(0, 16);
    const movies = ofType(/\.(mov|mp4|m4a)$/i);
    const tiffs = ofType(/\.tiff?$/i);
    expect(exrs.length).toBe(16);
    expect(movies.length).toBeGreaterThanOrEqual(8);
    const reader = new ExifReader(oneProcess, 2);
    try {
      // Both families in one burst: one process each, as neither process has read the other's.
      const first = await Promise.all([...exrs, ...movies].map((f) => reader.read(f, ARGS)));
      expect(first.every((t) => typeof t['SourceFile'] === 'string')).toBe(true);
      expect([...reader.families].sort()).toEqual([['exr'], ['mov']]);
      // The longer queue went first, to the first process.
      expect(reader.families[0]).toEqual([movies.length > exrs.length ? 'mov' : 'exr']);
      // Later reads of those families go back to the same processes; a new family goes to a free one.
      const all = [...movies, ...exrs, ...tiffs];
      const again = await Promise.all(all.map((f) => reader.read(f, ARGS)));
      expect(again.map((t) => t['SourceFile'])).toEqual(all.map((f) => path.resolve(f)));
      const families = reader.families;
      expect(families.flat().sort()).toEqual(['exr', 'mov', 'tif']);
      expect(families.filter((f) => f.includes('exr'))).toHaveLength(1);
      expect(families.filter((f) => f.includes('mov'))).toHaveLength(1);
    } finally {
      await reader.end();
    }
  });

  it('shares a long queue of one family between the processes', async () => {
    const exrs = ofType(/\.exr$/i);
    const reader = new ExifReader(oneProcess, 2);
    try {
      const many = Array.from({ length: 120 }, (_, i) => exrs[i % exrs.length]!);
      const tags = await Promise.all(many.map((f) => reader.read(f, ARGS)));
      expect(tags.map((t) => t['SourceFile'])).toEqual(many.map((f) => path.resolve(f)));
      // No process idles while a long queue waits: both read OpenEXR.
      expect(reader.families).toEqual([['exr'], ['exr']]);
    } finally {
      await reader.end();
    }
  });

  it('ends: reads in progress finish, waiting ones fail, and no exiftool process is left', async () => {
    const exrs = ofType(/\.exr$/i);
    const reader = new ExifReader(oneProcess, 1);
    await reader.read(exrs[0]!, ARGS);
    const pids = reader.pids;
    expect(pids).toHaveLength(1);
    const inProgress = exrs.slice(0, 10).map((f) => reader.read(f, ARGS));
    // Sent on the next turn of the event loop, as one batch; the next four wait behind it.
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = Promise.allSettled(exrs.slice(10, 14).map((f) => reader.read(f, ARGS)));
    await reader.end();
    const done = await Promise.allSettled(inProgress);
    expect(done.map((r) => r.status)).toEqual(inProgress.map(() => 'fulfilled'));
    for (const r of await waiting) {
      expect(r.status).toBe('rejected');
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/ended/);
    }
    for (const pid of pids) expect(() => process.kill(pid, 0), `exiftool ${pid} still running`).toThrow();
    await expect(reader.read(exrs[0]!, ARGS)).rejects.toThrow(/ended/);
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

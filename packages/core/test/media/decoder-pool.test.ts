/**
 * Image decodes in child processes (decoder-pool.ts): results match what sharp gives, a child
 * that crashes (SIGSEGV, SIGKILL) or overruns its timeout fails only its request with a clear
 * ProcessingError and is replaced, the memory cap applies to the child, and closing leaves no
 * process behind. Real children, real files, no mocks.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessingError } from '@montu/domain';
import {
  decoderFailure,
  DecoderPool,
  DECODER_RUNTIME_BYTES,
} from '../../src/processing/tools/decoder-pool.js';
import { DEFAULT_MEDIA_LIMITS, resolveLimits } from '../../src/processing/tools/limits.js';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { createThumbnail } from '../../src/processing/tools/thumbnail.js';
import { PRLIMIT } from '../../src/processing/tools/tools.js';
import { openTestLibrary } from '../helpers/montu.js';
import { ffmpeg, tmpDir, TOOLS } from './helpers.js';

const hasPrlimit = fs.existsSync(PRLIMIT);

/** True while a process with this id exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function rejection(p: Promise<unknown>): Promise<ProcessingError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProcessingError);
  return e as ProcessingError;
}

const render = {
  maxEdge: 256,
  linear: false,
  toneMap: 'srgb',
  failOn: 'warning',
  maxPixels: DEFAULT_MEDIA_LIMITS.maxPixels,
  format: 'jpeg',
  quality: 80,
} as const;

let dir: string;
let photo: string; // 1200 × 800 JPEG, EXIF orientation 6 (shown 800 × 1200)
let big: string; // 12000 × 12000 PNG: a full-resolution render takes seconds
let small: string; // 64 × 48 PNG

beforeAll(async () => {
  dir = await tmpDir('montu-decoder-test-');
  photo = path.join(dir, 'photo.jpg');
  await sharp({ create: { width: 1200, height: 800, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toFile(photo);
  small = path.join(dir, 'small.png');
  await sharp({
    create: { width: 64, height: 48, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 1 } },
  })
    .png()
    .toFile(small);
  big = path.join(dir, 'big.png');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=12000x12000', '-frames:v', '1', big]);
});

afterAll(async () => {
  await TOOLS.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('decoder pool', () => {
  it('reads headers and renders pictures as sharp does, in a child process', async () => {
    const pool = new DecoderPool({ processes: 1 });
    try {
      const header = await pool.metadata(photo, { maxPixels: false, failOn: 'none' }, { timeoutMs: 30_000 });
      const direct = await sharp(photo).metadata();
      expect(header).toMatchObject({
        format: 'jpeg',
        width: direct.width,
        height: direct.height,
        channels: direct.channels,
        orientation: 6,
        space: direct.space,
      });
      expect(header).not.toHaveProperty('exif');
      const bytes = await pool.metadata(
        fs.readFileSync(small),
        { maxPixels: false, failOn: 'warning' },
        {
          timeoutMs: 30_000,
        },
      );
      expect(bytes).toMatchObject({ format: 'png', width: 64, height: 48, hasAlpha: true });

      const out = await pool.render({ file: photo, ...render }, { timeoutMs: 30_000 });
      expect(Buffer.isBuffer(out.data)).toBe(true);
      // Rotated by the EXIF orientation, then fitted into 256 px.
      expect([out.width, out.height]).toEqual([171, 256]);
      const back = await sharp(out.data).stats();
      const [r, g, b] = back.channels.map((c) => c.mean);
      expect(r).toBeGreaterThan(180);
      expect(g).toBeLessThan(70);
      expect(b).toBeLessThan(70);
      expect(pool.pids).toHaveLength(1);
      expect(pool.pids[0]).not.toBe(process.pid);
    } finally {
      await pool.close();
    }
  });

  it('createThumbnail and MediaProber go through the shared pool', async () => {
    // The JPEG's header would be read in-process (jpeg-png-header.ts): ask the decoder for it here.
    const prober = new MediaProber({ tools: TOOLS, headerReader: false });
    try {
      const meta = await prober.probe(photo);
      expect(meta.sources).toContain('sharp');
      expect([meta.width, meta.height, meta.rotation]).toEqual([1200, 800, 90]);
      const thumb = await createThumbnail(photo, meta, { tools: TOOLS, size: 128, format: 'webp' });
      expect(thumb).toMatchObject({ width: 85, height: 128, format: 'webp', mimeType: 'image/webp' });
      expect((await sharp(thumb.data).metadata()).format).toBe('webp');
      expect(TOOLS.decoders(resolveLimits()).pids.length).toBeGreaterThan(0);
    } finally {
      await prober.close();
    }
  });

  it('a file libvips refuses is an ordinary error, and the child stays', async () => {
    const pool = new DecoderPool({ processes: 1 });
    try {
      const bad = path.join(dir, 'truncated.png');
      fs.writeFileSync(bad, fs.readFileSync(small).subarray(0, 60));
      await pool.render({ file: small, ...render }, { timeoutMs: 30_000 });
      const [pid] = pool.pids;
      const e = await rejection(pool.render({ file: bad, ...render }, { timeoutMs: 30_000 }));
      expect(decoderFailure(e)).toBeNull();
      expect(pool.pids).toEqual([pid]);
    } finally {
      await pool.close();
    }
  });

  for (const signal of ['SIGSEGV', 'SIGKILL'] as const) {
    it(`a child killed by ${signal} mid-decode fails that request only; the next one gets a new child`, async () => {
      const pool = new DecoderPool({ processes: 2, perProcess: 1 });
      try {
        const doomed = pool.render({ file: big, ...render, maxEdge: null }, { timeoutMs: 120_000 });
        const other = pool.render({ file: photo, ...render }, { timeoutMs: 120_000 });
        const victim = await until(() => pool.running.find((r) => r.label === 'big.png'));
        process.kill(victim.pid, signal);
        const e = await rejection(doomed);
        expect(e.message).toBe(`image decoder crashed (${signal}) on big.png`);
        expect(e.code).toBe('processing_error');
        expect(decoderFailure(e)).toBe('crashed');
        expect(e.details).toMatchObject({ signal });
        await expect(other).resolves.toMatchObject({ width: 171, height: 256 });
        await until(() => !alive(victim.pid));
        const next = await pool.render({ file: small, ...render }, { timeoutMs: 30_000 });
        expect([next.width, next.height]).toEqual([64, 48]);
        expect(pool.pids).not.toContain(victim.pid);
      } finally {
        await pool.close();
      }
    });
  }

  describe('two decodes to a child (perProcess 2, the default)', () => {
    it('runs both at once in one process', async () => {
      const pool = new DecoderPool({ processes: 1 });
      try {
        const jobs = [
          pool.render({ file: big, ...render }, { timeoutMs: 120_000, label: 'a' }),
          pool.render({ file: big, ...render }, { timeoutMs: 120_000, label: 'b' }),
        ];
        const both = await until(() => (pool.running.length === 2 ? pool.running : null));
        expect(new Set(both.map((r) => r.pid)).size).toBe(1);
        expect(both.map((r) => r.label).sort()).toEqual(['a', 'b']);
        await Promise.all(jobs);
        expect(pool.pids).toHaveLength(1);
        expect(pool.retried).toBe(0);
      } finally {
        await pool.close();
      }
    });

    it('a crash while sharing: each request runs again alone, so only the file that crashes alone fails', async () => {
      const pool = new DecoderPool({ processes: 1 });
      try {
        const doomed = pool.render(
          { file: big, ...render, maxEdge: null },
          { timeoutMs: 120_000, label: 'doomed' },
        );
        const other = pool.render({ file: big, ...render }, { timeoutMs: 120_000, label: 'other' });
        const shared = await until(() => (pool.running.length === 2 ? pool.running[0] : null));
        process.kill(shared.pid, 'SIGSEGV');
        // Run again alone, one after the other, each in a child of its own.
        const alone = await until(() => pool.running.find((r) => r.label === 'doomed' && r.alone), 60_000);
        expect(alone.pid).not.toBe(shared.pid);
        expect(pool.running).toHaveLength(1);
        process.kill(alone.pid, 'SIGSEGV');
        const e = await rejection(doomed);
        expect(e.message).toBe('image decoder crashed (SIGSEGV) on doomed');
        expect(decoderFailure(e)).toBe('crashed');
        await expect(other).resolves.toMatchObject({ width: 256, height: 256 });
        expect(pool.retried).toBe(2);
      } finally {
        await pool.close();
      }
    });

    it('a file libvips refuses while sharing is tried alone before it is refused; the child stays', async () => {
      const pool = new DecoderPool({ processes: 1 });
      try {
        const bad = path.join(dir, 'truncated-shared.png');
        fs.writeFileSync(bad, fs.readFileSync(small).subarray(0, 60));
        const slow = pool.render({ file: big, ...render }, { timeoutMs: 120_000 });
        await until(() => pool.running.length === 1);
        const [pid] = pool.pids;
        const e = await rejection(pool.render({ file: bad, ...render }, { timeoutMs: 30_000 }));
        expect(decoderFailure(e)).toBeNull();
        expect(pool.retried).toBe(1);
        await expect(slow).resolves.toMatchObject({ width: 256 });
        expect(pool.pids).toEqual([pid]);
      } finally {
        await pool.close();
      }
    });

    it('a timeout while sharing is timed again alone; the other request is not lost', async () => {
      const pool = new DecoderPool({ processes: 1 });
      try {
        await pool.render({ file: small, ...render }, { timeoutMs: 30_000 }); // a started child
        const slow = pool.render({ file: big, ...render, maxEdge: null }, { timeoutMs: 300 });
        const quick = pool.render({ file: photo, ...render }, { timeoutMs: 60_000 });
        const e = await rejection(slow);
        expect(e.message).toBe('image decoder timed out after 300 ms on big.png');
        expect(decoderFailure(e)).toBe('timeout');
        expect(pool.retried).toBeGreaterThanOrEqual(1);
        await expect(quick).resolves.toMatchObject({ width: 171, height: 256 });
      } finally {
        await pool.close();
      }
    });

    it('cancelling one request of a shared child runs the other again', async () => {
      const pool = new DecoderPool({ processes: 1 });
      try {
        const ac = new AbortController();
        const cancelled = pool.render(
          { file: big, ...render, maxEdge: null },
          { timeoutMs: 120_000, signal: ac.signal, label: 'cancelled' },
        );
        const kept = pool.render({ file: big, ...render }, { timeoutMs: 120_000, label: 'kept' });
        const { pid } = await until(() => (pool.running.length === 2 ? pool.running[0] : null));
        ac.abort();
        expect(decoderFailure(await rejection(cancelled))).toBe('cancelled');
        await expect(kept).resolves.toMatchObject({ width: 256 });
        expect(pool.pids).not.toContain(pid);
        expect(pool.retried).toBe(0);
      } finally {
        await pool.close();
      }
    });
  });

  it('a request over its timeout kills its child and fails; the pool goes on', async () => {
    const pool = new DecoderPool({ processes: 1 });
    try {
      await pool.render({ file: small, ...render }, { timeoutMs: 30_000 }); // a started child
      const [pid] = pool.pids;
      const e = await rejection(pool.render({ file: big, ...render, maxEdge: null }, { timeoutMs: 150 }));
      expect(e.message).toBe('image decoder timed out after 150 ms on big.png');
      expect(decoderFailure(e)).toBe('timeout');
      await until(() => !alive(pid!));
      await expect(pool.render({ file: small, ...render }, { timeoutMs: 30_000 })).resolves.toMatchObject({
        width: 64,
      });
    } finally {
      await pool.close();
    }
  });

  it('a cancelled request kills its child (queued ones are just dropped)', async () => {
    const pool = new DecoderPool({ processes: 1, perProcess: 1 });
    try {
      const ac = new AbortController();
      const running = pool.render(
        { file: big, ...render, maxEdge: null },
        { timeoutMs: 120_000, signal: ac.signal },
      );
      const queued = pool.render({ file: small, ...render }, { timeoutMs: 120_000, signal: ac.signal });
      const { pid } = await until(() => pool.running[0]);
      ac.abort();
      expect((await rejection(running)).message).toBe('image decoding of big.png was cancelled');
      expect(decoderFailure(await rejection(queued))).toBe('cancelled');
      await until(() => !alive(pid));
    } finally {
      await pool.close();
    }
  });

  it('runs no more children than its size, and closing ends them all', async () => {
    const pool = new DecoderPool({ processes: 2 });
    const jobs = Array.from({ length: 6 }, () =>
      pool.render({ file: photo, ...render }, { timeoutMs: 60_000 }),
    );
    const seen = new Set<number>();
    const watch = setInterval(() => pool.pids.forEach((p) => seen.add(p)), 1);
    try {
      await Promise.all(jobs);
    } finally {
      clearInterval(watch);
    }
    expect(seen.size).toBeLessThanOrEqual(2);
    const pids = pool.pids;
    expect(pids.length).toBeGreaterThan(0);
    await pool.close();
    expect(pool.pids).toEqual([]);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const e = await rejection(pool.render({ file: small, ...render }, { timeoutMs: 1000 }));
    expect(decoderFailure(e)).toBe('closed');
  });

  it('start() starts children up to its size ahead of work; requests then use them; close ends them even while starting', async () => {
    const pool = new DecoderPool({ processes: 2 });
    try {
      pool.start();
      const started = pool.pids;
      expect(started).toHaveLength(2);
      pool.start(); // already full: nothing more
      expect(pool.pids).toEqual(started);
      // A request made while the children load waits for one of them, not for a new child.
      const img = await pool.render({ file: photo, ...render }, { timeoutMs: 60_000 });
      expect(Math.max(img.width, img.height)).toBe(256);
      expect(pool.pids.sort()).toEqual([...started].sort());
    } finally {
      await pool.close();
    }
    const starting = new DecoderPool({ processes: 2 });
    starting.start();
    const pids = starting.pids;
    await starting.close();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    starting.start(); // closed: starts nothing
    expect(starting.pids).toEqual([]);
  });

  it('header reads go ahead of queued renders', async () => {
    const pool = new DecoderPool({ processes: 1, perProcess: 1 });
    try {
      const order: string[] = [];
      const track = <T>(name: string, p: Promise<T>) => p.then((v) => (order.push(name), v));
      const jobs = [
        track('render 1', pool.render({ file: photo, ...render }, { timeoutMs: 60_000 })),
        track('render 2', pool.render({ file: photo, ...render }, { timeoutMs: 60_000 })),
        track('header', pool.metadata(small, { maxPixels: false, failOn: 'none' }, { timeoutMs: 60_000 })),
      ];
      await Promise.all(jobs);
      expect(order).toEqual(['render 1', 'header', 'render 2']);
    } finally {
      await pool.close();
    }
  });

  it('close waits for a running decode, then ends its child', async () => {
    const pool = new DecoderPool({ processes: 1 });
    const job = pool.render({ file: photo, ...render }, { timeoutMs: 60_000 });
    const { pid } = await until(() => pool.running[0]);
    await pool.close();
    await expect(job).resolves.toMatchObject({ width: 171 });
    expect(alive(pid)).toBe(false);
  });

  describe.skipIf(!hasPrlimit)('memory cap', () => {
    it('runs the child under prlimit --as (V8 starts under the cap), without core files', async () => {
      const pool = new DecoderPool({ processes: 1, memoryBytes: 1024 ** 3 });
      // Each of the child's decodes has the budget: two at once by default.
      expect(pool.perProcess).toBe(2);
      const cap = 2 * 1024 ** 3 + DECODER_RUNTIME_BYTES;
      expect(pool.addressSpaceBytes).toBe(cap);
      try {
        await pool.render({ file: photo, ...render }, { timeoutMs: 30_000 });
        const limits = fs.readFileSync(`/proc/${pool.pids[0]}/limits`, 'utf8');
        expect(limits).toMatch(new RegExp(`Max address space\\s+${cap}\\s+${cap}\\s+bytes`));
        expect(limits).toMatch(/Max core file size\s+0\s+0\s+bytes/);
      } finally {
        await pool.close();
      }
    });

    it('a decode that needs more than the cap fails cleanly; the parent is untouched', async () => {
      // The address space a child reaches after a small render, measured here, plus 256 MiB: small
      // renders fit, the 12000² picture as float pixels (12000² × 3 × 4 bytes = 1.6 GiB) does not.
      const probe = new DecoderPool({ processes: 1, memoryBytes: 0 });
      let peak: number;
      try {
        await probe.render({ file: small, ...render }, { timeoutMs: 30_000 });
        const status = fs.readFileSync(`/proc/${probe.pids[0]}/status`, 'utf8');
        peak = Number(/VmPeak:\s+(\d+) kB/.exec(status)![1]) * 1024;
      } finally {
        await probe.close();
      }
      const pool = new DecoderPool({
        processes: 1,
        perProcess: 1,
        memoryBytes: peak + 256 * 1024 ** 2,
        runtimeBytes: 0,
      });
      try {
        await pool.render({ file: small, ...render }, { timeoutMs: 30_000 });
        const e = await rejection(
          pool.render({ file: big, ...render, maxEdge: null, linear: true }, { timeoutMs: 120_000 }),
        );
        // libvips reports the failed allocation, or the child aborts on it: either way this request.
        expect(e.message).toMatch(/^(cannot decode|image decoder crashed)|memory/i);
        await expect(pool.render({ file: small, ...render }, { timeoutMs: 30_000 })).resolves.toMatchObject({
          width: 64,
        });
      } finally {
        await pool.close();
      }
    });

    it('a cap too small for node to start fails the request with a clear error', async () => {
      const pool = new DecoderPool({ processes: 1, memoryBytes: 32 * 1024 ** 2, runtimeBytes: 0 });
      try {
        const e = await rejection(pool.render({ file: small, ...render }, { timeoutMs: 30_000 }));
        expect(e.message).toMatch(/^image decoder could not start/);
        expect(decoderFailure(e)).toBe('start');
      } finally {
        await pool.close();
      }
    });
  });
});

describe('decoder crash in the processing pipeline', () => {
  it('fails the item with a clear error, the process survives, the next item is processed', async () => {
    const lib = await openTestLibrary('sqlite');
    const pool = lib.montu.tools.decoders(resolveLimits());
    try {
      const id = await lib.montu.media.uploadMedia({
        filePath: big,
        projectId: 'DEC',
        taskId: 'ep01_sq010_sh010_comp',
        author: 'tester',
      });
      const victim = await until(() => pool.running.find((r) => r.op === 'render'), 60_000);
      process.kill(victim.pid, 'SIGSEGV');
      const failed = await until(async () => {
        const m = await lib.montu.media.getMediaById(id);
        return m.processingState === 'failed' || m.processingState === 'ready' ? m : null;
      }, 60_000);
      expect(failed.processingState).toBe('failed');
      // The thumbnail or the web image, whichever was decoding; the stored (versioned) file name.
      expect(failed.processingError).toMatch(
        /^(thumbnail|proxy): image decoder crashed \(SIGSEGV\) on ep01_sq010_sh010_comp_v001\.png$/,
      );

      const ok = await lib.montu.media.uploadMedia({
        filePath: photo,
        projectId: 'DEC',
        taskId: 'ep01_sq010_sh020_comp',
        author: 'tester',
        wait: true,
      });
      const m = await lib.montu.media.getMediaById(ok);
      expect(m.processingState).toBe('ready');
      expect(m.files.some((f) => f.role === 'thumbnail')).toBe(true);
    } finally {
      const pids = [...pool.pids, ...lib.montu.tools.decoders(resolveLimits()).pids];
      await lib.cleanup();
      // The library's tools held the pools: its close ended their children.
      for (const pid of pids) await until(() => !alive(pid), 5000);
    }
  });
});

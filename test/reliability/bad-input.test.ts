/**
 * Bad input through the library with processing on: every file in corpus/media/broken and a
 * generated set (truncations, zero bytes, wrong extensions, polyglots, decompression bombs,
 * a 10-hour video, an EXR with an absurd data window, SVG/HTML renamed as images, ffmpeg
 * playlists). Each is refused at upload with a clear error, processed, or marked failed with a
 * clear error; nothing crashes or hangs past its timeout. A canary HTTP server and canary files
 * referenced by hostile playlists must never be touched; processing of hostile inputs runs once
 * under strace to prove no tool opens a file it was not given or connects anywhere.
 */
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import zlib from 'node:zlib';
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMontuError, type Media } from '../../packages/core/src/index.js';
import { CORPUS, tempDir, WIDEST_CORPUS } from '../../packages/core/test/helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../../packages/core/test/helpers/montu.js';

const BROKEN = path.join(WIDEST_CORPUS, 'media/broken');
const TASK = 'ep01_sq010_sh010_fx';

/** A deterministic PRNG, so truncation offsets are random but reproducible. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A PNG whose header declares w × h but carries a few bytes of compressed data. */
function bombPng(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(64 * 1024))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A GIF with a 50,000 × 50,000 logical screen and image. */
function bombGif(w: number, h: number): Buffer {
  const head = Buffer.alloc(13);
  head.write('GIF89a', 0, 'latin1');
  head.writeUInt16LE(w, 6);
  head.writeUInt16LE(h, 8);
  head[10] = 0x80; // global colour table, 2 entries
  const gct = Buffer.from([0, 0, 0, 255, 255, 255]);
  const desc = Buffer.alloc(10);
  desc[0] = 0x2c;
  desc.writeUInt16LE(w, 5);
  desc.writeUInt16LE(h, 7);
  // LZW min code size 2, one tiny data block, terminator, trailer.
  return Buffer.concat([head, gct, desc, Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00, 0x3b])]);
}

/** Patches the dataWindow (and displayWindow) box2i attributes of an EXR header. */
function absurdExr(src: Buffer): Buffer {
  const out = Buffer.from(src);
  for (const attr of ['dataWindow', 'displayWindow']) {
    const at = out.indexOf(Buffer.from(`${attr}\0box2i\0`, 'latin1'));
    if (at < 0) throw new Error(`no ${attr} in EXR`);
    const v = at + attr.length + 1 + 6 + 4; // name\0 type\0 size(4)
    out.writeInt32LE(-2_000_000_000, v);
    out.writeInt32LE(-2_000_000_000, v + 4);
    out.writeInt32LE(2_000_000_000, v + 8);
    out.writeInt32LE(2_000_000_000, v + 12);
  }
  return out;
}

interface Outcome {
  name: string;
  outcome: 'refused' | 'ready' | 'failed';
  error: string | null;
  ms: number;
}

describe('bad input through the library with processing on (sqlite, local)', () => {
  let lib: TestLibrary;
  let gen: string;
  let canary: http.Server;
  let canaryUrl: string;
  const hits: string[] = [];
  let canaryFile: string;
  const outcomes: Outcome[] = [];

  beforeAll(async () => {
    lib = await openTestLibrary('sqlite', {
      jobs: { concurrency: 2, retry: { maxAttempts: 2, backoffMs: 50 }, pollMs: 100 },
      processing: { limits: { probeTimeoutMs: 20_000, thumbnailTimeoutMs: 30_000, proxyTimeoutMs: 60_000 } },
    });
    gen = tempDir('montu-badinput-');
    canary = http.createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.end('#EXTM3U\n');
    });
    await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
    canaryUrl = `http://127.0.0.1:${(canary.address() as { port: number }).port}`;
    canaryFile = path.join(gen, 'canary-secret.txt');
    fs.writeFileSync(canaryFile, 'secret\n');
  });
  afterAll(async () => {
    await new Promise((r) => canary?.close(r));
    console.info(
      `bad input: ${outcomes.length} files — ${outcomes.filter((o) => o.outcome === 'refused').length} refused, ` +
        `${outcomes.filter((o) => o.outcome === 'failed').length} failed clearly, ${outcomes.filter((o) => o.outcome === 'ready').length} processed; ` +
        `slowest ${Math.max(0, ...outcomes.map((o) => o.ms))} ms`,
    );
    await lib?.cleanup();
    fs.rmSync(gen, { recursive: true, force: true });
  });

  /** Uploads with processing and waits; never longer than `limitMs`. */
  async function ingest(file: string, name = path.basename(file), limitMs = 90_000): Promise<Outcome> {
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name}: still processing after ${limitMs} ms`)), limitMs);
    });
    try {
      const id = await Promise.race([
        lib.montu.media.uploadMedia({
          filePath: file,
          fileName: name,
          projectId: 'BAD',
          taskId: TASK,
          author: 'fuzz',
          wait: true,
        }),
        hang,
      ]);
      const m: Media = await lib.montu.media.getMediaById(id);
      expect(['ready', 'failed'], `${name}: ${m.processingState}`).toContain(m.processingState);
      if (m.processingState === 'failed') {
        expect(typeof m.processingError, name).toBe('string');
        expect((m.processingError ?? '').length, name).toBeGreaterThan(5);
        expect(m.processingError ?? '', name).not.toMatch(/undefined|\[object Object\]/);
      }
      const o: Outcome = {
        name,
        outcome: m.processingState === 'ready' ? 'ready' : 'failed',
        error: m.processingError ?? null,
        ms: Date.now() - t0,
      };
      outcomes.push(o);
      return o;
    } catch (e) {
      if (e instanceof Error && e.message.includes('still processing')) throw e;
      // Refused at upload: must be a typed library error with a message meant for a person.
      expect(isMontuError(e), `${name}: ${String(e)}`).toBe(true);
      expect((e as Error).message.length).toBeGreaterThan(10);
      const o: Outcome = { name, outcome: 'refused', error: (e as Error).message, ms: Date.now() - t0 };
      outcomes.push(o);
      return o;
    } finally {
      clearTimeout(timer);
    }
  }

  const brokenFiles = fs.existsSync(BROKEN) ? fs.readdirSync(BROKEN).sort() : [];

  it.concurrent.each(brokenFiles)(
    'corpus/broken/%s is processed or marked failed with a clear error',
    { timeout: 120_000 },
    async (name) => {
      await ingest(path.join(BROKEN, name));
    },
  );

  it('truncations at random offsets and zero-byte files', { timeout: 240_000 }, async () => {
    const rand = rng(20261124);
    const sources = ['image/ExifTool.jpg', 'image/GammaChart.exr', 'video', 'audio'].map((p) => {
      const full = path.join(CORPUS, 'media', p);
      if (fs.statSync(full).isFile()) return full;
      const pick = fs
        .readdirSync(full)
        .filter((n) => /\.(mov|mp4|wav|flac)$/i.test(n))
        .sort()[0]!;
      return path.join(full, pick);
    });
    const jobs: Array<Promise<Outcome>> = [];
    for (const src of sources) {
      const bytes = fs.readFileSync(src);
      for (let i = 0; i < 2; i++) {
        const cut = Math.max(1, Math.floor(rand() * bytes.length));
        const f = path.join(gen, `trunc_${i}_${path.basename(src)}`);
        fs.writeFileSync(f, bytes.subarray(0, cut));
        jobs.push(ingest(f));
      }
    }
    const zero = path.join(gen, 'zero.exr');
    fs.writeFileSync(zero, Buffer.alloc(0));
    const z = await ingest(zero);
    expect(z.outcome).toBe('refused');
    await Promise.all(jobs);
  });

  it(
    'wrong extensions are read by content; polyglots stay what their first bytes say',
    { timeout: 120_000 },
    async () => {
      const png = fs.readFileSync(
        path.join(
          CORPUS,
          'media/image',
          fs.readdirSync(path.join(CORPUS, 'media/image')).find((n) => n.endsWith('.png'))!,
        ),
      );
      const exrAsJpg = path.join(gen, 'really_exr.jpg');
      fs.copyFileSync(path.join(CORPUS, 'media/image/GammaChart.exr'), exrAsJpg);
      const o1 = await ingest(exrAsJpg);
      expect(o1.outcome).toBe('ready');
      const m1 = (await lib.montu.media.searchMedia({ projectId: 'BAD', limit: 500 })).items.find(
        (m) => m.fileName === 'really_exr.jpg',
      );
      expect(m1?.metadata?.['format']).toBe('exr');

      const html = Buffer.from('<html><body><script>alert(document.cookie)</script></body></html>');
      const zip = Buffer.concat([
        Buffer.from('PK\x03\x04', 'latin1'),
        Buffer.alloc(26),
        Buffer.from('evil.html'),
        html,
        Buffer.from('PK\x05\x06', 'latin1'),
        Buffer.alloc(18),
      ]);
      for (const [name, bytes] of [
        ['polyglot_html.png', Buffer.concat([png, html])],
        ['polyglot_zip.png', Buffer.concat([png, zip])],
      ] as const) {
        const f = path.join(gen, name);
        fs.writeFileSync(f, bytes);
        const o = await ingest(f);
        expect(o.outcome, name).not.toBe('refused');
        const m = (await lib.montu.media.searchMedia({ projectId: 'BAD', limit: 500 })).items.find(
          (x) => x.fileName === name,
        )!;
        expect(m.mimeType ?? m.metadata?.['mimeType'] ?? 'image/png').toMatch(/^image\/png/);
      }
    },
  );

  it(
    'decompression bombs (50,000 × 50,000 px headers) are refused before decoding',
    { timeout: 60_000 },
    async () => {
      for (const [name, bytes] of [
        ['bomb.png', bombPng(50_000, 50_000)],
        ['bomb.gif', bombGif(50_000, 50_000)],
      ] as const) {
        const f = path.join(gen, name);
        fs.writeFileSync(f, bytes);
        const o = await ingest(f, name, 30_000);
        expect(o.outcome, name).not.toBe('ready');
        expect(o.error ?? '', name).toMatch(/pixel|limit|too large|dimension/i);
        expect(o.ms, name).toBeLessThan(20_000);
      }
    },
  );

  it('an EXR with an absurd data window is refused with a clear error', { timeout: 60_000 }, async () => {
    const f = path.join(gen, 'absurd_window.exr');
    fs.writeFileSync(f, absurdExr(fs.readFileSync(path.join(CORPUS, 'media/image/GammaChart.exr'))));
    const o = await ingest(f, undefined, 30_000);
    expect(o.outcome).not.toBe('ready');
    expect(o.ms).toBeLessThan(20_000);
  });

  it('a 10-hour silent video is refused or held by the duration limit', { timeout: 120_000 }, async () => {
    const f = path.join(gen, 'ten_hours.mp4');
    execFileSync(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'color=c=black:s=16x16:r=1/600',
        '-t',
        '36000',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        '-y',
        f,
      ],
      { timeout: 60_000 },
    );
    const o = await ingest(f, undefined, 60_000);
    if (o.outcome === 'ready') {
      // Held: probed, but no proxy beyond the limit.
      const m = (await lib.montu.media.searchMedia({ projectId: 'BAD', limit: 500 })).items.find(
        (x) => x.fileName === 'ten_hours.mp4',
      )!;
      expect(m.files.some((x) => x.role === 'proxy')).toBe(false);
    } else {
      expect(o.error ?? '').toMatch(/lasts|duration|limit/i);
    }
    expect(o.ms).toBeLessThan(30_000);
  });

  it(
    'SVG, HTML and ffmpeg playlists renamed as media are refused at upload; nothing fetches the canaries',
    { timeout: 60_000 },
    async () => {
      const files: Array<[string, string]> = [
        [
          'vector.png',
          `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><image href="${canaryUrl}/svg"/></svg>`,
        ],
        ['vector.svg', `<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>`],
        ['page.jpg', `<!DOCTYPE html><html><img src="${canaryUrl}/html"></html>`],
        [
          'playlist.m3u8',
          `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n${canaryUrl}/seg.ts\n#EXTINF:10,\nfile://${canaryFile}\n#EXT-X-ENDLIST\n`,
        ],
        ['playlist.mp4', `#EXTM3U\n#EXTINF:10,\n${canaryUrl}/seg2.ts\n#EXTINF:10,\n${canaryFile}\n`],
        ['concat.txt', `ffconcat version 1.0\nfile '${canaryFile}'\nfile '${canaryUrl}/concat'\n`],
        ['concat.mov', `ffconcat version 1.0\nfile '${canaryFile}'\nfile '${canaryUrl}/concat2'\n`],
        ['list.wav', `file '/etc/passwd'\n`],
      ];
      for (const [name, text] of files) {
        const f = path.join(gen, name);
        fs.writeFileSync(f, text);
        const o = await ingest(f);
        expect(o.outcome, name).toBe('refused');
        expect(o.error ?? '').toMatch(/not|allowed|recogni|support|type/i);
      }
      // An MP4 whose data looks like an HLS playlist after a valid ftyp: read as MOV, never as HLS.
      const mp4 = path.join(gen, 'ftyp_then_hls.mp4');
      fs.writeFileSync(
        mp4,
        Buffer.concat([
          Buffer.from('0000001c6674797069736f6d0000020069736f6d69736f3261766331', 'hex'),
          Buffer.from(`\n#EXTM3U\n#EXTINF:10,\n${canaryUrl}/seg3.ts\n`),
        ]),
      );
      await ingest(mp4);
      expect(hits).toEqual([]);
    },
  );

  it.skipIf(spawnSync('strace', ['-V']).status !== 0)(
    'under strace: tools open only what they were given and connect nowhere',
    { timeout: 180_000 },
    async () => {
      const work = tempDir('montu-strace-');
      const secret = path.join(work, 'canary-secret.txt');
      fs.writeFileSync(secret, 'secret');
      const inputs = path.join(work, 'in');
      fs.mkdirSync(inputs);
      // Hostile inputs that get past sniffing and reach ffprobe/ffmpeg/sharp.
      fs.writeFileSync(
        path.join(inputs, 'hls_in_mp4.mp4'),
        Buffer.concat([
          Buffer.from('0000001c6674797069736f6d0000020069736f6d69736f3261766331', 'hex'),
          Buffer.from(`#EXTM3U\n#EXTINF:1,\n${canaryUrl}/strace.ts\n#EXTINF:1,\nfile:${secret}\n`),
        ]),
      );
      // An encrypted MP4 (FFmpeg's FATE suite, no stated licence): only in the larger corpus.
      const encrypted = path.join(BROKEN, 'mov-3elist-encrypted.mp4');
      if (fs.existsSync(encrypted)) fs.copyFileSync(encrypted, path.join(inputs, 'encrypted.mp4'));
      fs.copyFileSync(path.join(BROKEN, 'QuickTime.mov'), path.join(inputs, 'broken.mov'));
      fs.writeFileSync(path.join(inputs, 'bomb.png'), bombPng(50_000, 50_000));
      fs.writeFileSync(
        path.join(inputs, 'concat_as_avi.avi'),
        Buffer.from(`RIFF\0\0\0\0AVI LIST\nffconcat version 1.0\nfile '${secret}'\n`, 'latin1'),
      );
      const script = path.join(process.cwd(), 'test/reliability/helpers/ingest-dir.mjs');
      const log = path.join(work, 'strace.log');
      const r = spawnSync(
        'strace',
        [
          '-f',
          '-qq',
          '-e',
          'trace=openat,open,connect,execve',
          '-o',
          log,
          process.execPath,
          script,
          inputs,
          path.join(work, 'lib'),
        ],
        {
          encoding: 'utf8',
          timeout: 170_000,
          cwd: process.cwd(),
        },
      );
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const trace = fs.readFileSync(log, 'utf8');
      const lines = trace.split('\n');
      expect(
        lines.some((l) => /execve\(".*ff(probe|mpeg)"/.test(l)),
        'ffprobe/ffmpeg ran under strace',
      ).toBe(true);
      const opened = lines.filter((l) => l.includes(secret) && /open/.test(l));
      expect(opened, 'a tool opened the canary file').toEqual([]);
      const connects = lines.filter((l) => /connect\(/.test(l) && /AF_INET6?/.test(l));
      expect(connects, 'a network connection was made').toEqual([]);
      expect(lines.filter((l) => /open.*"\/etc\/(passwd|shadow)"/.test(l))).toEqual([]);
      expect(hits).toEqual([]);
      fs.rmSync(work, { recursive: true, force: true });
    },
  );
});

/**
 * Large uploads keep the server's memory flat: a multi-GB body through multipart and through
 * tus grows the server's resident set by less than 100 MB. The server runs in a child process
 * and its VmRSS is sampled from /proc while the body streams.
 *
 * Size: 2 GiB when CI or MONTU_TEST_LARGE=1 is set, 512 MiB otherwise (2 GiB takes minutes on a
 * 2-core machine: the tus path writes the data twice — partial file, then storage).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, tempDir, tusMetadata } from './helpers.js';

const LARGE = process.env['MONTU_TEST_LARGE'] !== '0';
const SIZE = LARGE ? 2 * 1024 ** 3 : 512 * 1024 ** 2;
const LIMIT = 100 * 1024 * 1024;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const JPEG = fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg'));
const BLOCK = Buffer.alloc(1 << 20, 0x5a);

/** A JPEG followed by filler up to `size` bytes, as a web stream; `sha` resolves when it is read. */
function body(size: number, prefix = Buffer.alloc(0), suffix = Buffer.alloc(0)) {
  const hash = createHash('sha256');
  let sent = 0;
  let resolveSha!: (s: string) => void;
  const sha = new Promise<string>((r) => (resolveSha = r));
  let stage = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (stage === 0) {
        stage = 1;
        ctrl.enqueue(prefix);
        hash.update(JPEG);
        ctrl.enqueue(JPEG);
        sent = JPEG.length;
        return;
      }
      if (sent < size) {
        const n = Math.min(BLOCK.length, size - sent);
        const chunk = n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n);
        hash.update(chunk);
        sent += n;
        ctrl.enqueue(chunk);
        return;
      }
      resolveSha(hash.digest('hex'));
      ctrl.enqueue(suffix);
      ctrl.close();
    },
  });
  return { stream, sha };
}

function rss(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

describe('memory during large uploads', () => {
  let child: ChildProcess;
  let url = '';
  let token = '';
  const dir = tempDir('montu-mem-');

  beforeAll(async () => {
    child = spawn(process.execPath, [path.join(HERE, 'fixtures/serve-child.mjs'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
    });
    ({ url, token } = JSON.parse(line) as { url: string; token: string });
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function measure(run: () => Promise<void>): Promise<{ growth: number; peak: number; base: number }> {
    const pid = child.pid!;
    const base = rss(pid).rss;
    let peak = base;
    const timer = setInterval(() => (peak = Math.max(peak, rss(pid).rss)), 50);
    try {
      await run();
    } finally {
      clearInterval(timer);
    }
    peak = Math.max(peak, rss(pid).rss);
    return { growth: peak - base, peak, base };
  }

  it(`multipart: ${SIZE / 1024 ** 2} MiB with bounded memory`, async () => {
    const boundary = 'montu-boundary-7d1f';
    const pre = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="projectId"\r\n\r\nBIG\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="taskId"\r\n\r\nbig_multipart\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
    );
    const post = Buffer.from(`\r\n--${boundary}--\r\n`);
    const b = body(SIZE, pre, post);
    let mediaId = '';
    const m = await measure(async () => {
      const r = await fetch(`${url}/api/v1/media`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
        },
        body: b.stream,
        duplex: 'half',
      } as RequestInit);
      expect(r.status, await r.clone().text()).toBe(201);
      const media = (await r.json()) as { id: string; size: number; sha256: string };
      expect(media.size).toBe(SIZE);
      expect(media.sha256).toBe(await b.sha);
      mediaId = media.id;
    });
    console.log(
      `multipart ${SIZE} B: RSS ${m.base >> 20} MiB → peak ${m.peak >> 20} MiB (growth ${(m.growth / 2 ** 20).toFixed(1)} MiB)`,
    );
    expect(mediaId).toBeTruthy();
    expect(m.growth).toBeLessThan(LIMIT);
  }, 900_000);

  it(`tus: ${SIZE / 1024 ** 2} MiB with bounded memory`, async () => {
    const h = { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' };
    const c = await fetch(`${url}/api/v1/uploads`, {
      method: 'POST',
      headers: {
        ...h,
        'upload-length': String(SIZE),
        'upload-metadata': tusMetadata({ filename: 'big.jpg', projectId: 'BIG', taskId: 'big_tus' }),
      },
    });
    expect(c.status).toBe(201);
    const b = body(SIZE);
    let mediaId = '';
    const m = await measure(async () => {
      const r = await fetch(new URL(c.headers.get('location')!, url), {
        method: 'PATCH',
        headers: { ...h, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        body: b.stream,
        duplex: 'half',
      } as RequestInit);
      expect(r.status, await r.clone().text()).toBe(204);
      mediaId = r.headers.get('montu-media-id')!;
    });
    console.log(
      `tus ${SIZE} B: RSS ${m.base >> 20} MiB → peak ${m.peak >> 20} MiB (growth ${(m.growth / 2 ** 20).toFixed(1)} MiB)`,
    );
    const media = (await (await fetch(`${url}/api/v1/media/${mediaId}`, { headers: h })).json()) as {
      size: number;
      sha256: string;
    };
    expect(media.size).toBe(SIZE);
    expect(media.sha256).toBe(await b.sha);
    expect(m.growth).toBeLessThan(LIMIT);
  }, 900_000);
});

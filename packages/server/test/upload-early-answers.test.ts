/**
 * A client gets the server's answer to an upload, not a reset connection (EPIPE/ECONNRESET),
 * over real HTTP on loopback:
 * - an idle keep-alive connection is kept longer than clients keep theirs (72 s, advertised in
 *   Keep-Alive), so a client whose event loop was busy past 5 s — Node's default server timeout,
 *   which a server factory used to leave in place — does not send its next POST into a socket
 *   the server just closed;
 * - an upload refused before its body was read (bad form, wrong type, over the per-user cap,
 *   unauthenticated) gets its status: a small rest of the body is drained and the connection
 *   kept; a large one gets `Connection: close` and a lingering close, without the server
 *   reading gigabytes first.
 * The server runs in its own process (built dist, as in production): in the test's process the
 * client and server would share one event loop, which hides the races.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../src/index.js';
import { CORPUS, tempDir } from './helpers.js';

const JPG = fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg'));
const CAP = DEFAULT_CONFIG.limits.maxConcurrentUploadsPerUser;
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A multipart upload whose body is started and then held open until `end()`. */
function heldUpload(api: string, token: string): { end: () => void; done: Promise<number> } {
  const url = new URL(`${api}/media`);
  const req = http.request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data; boundary=held' },
  });
  const done = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(-1));
  });
  req.write('--held\r\nContent-Disposition: form-data; name="projectId"\r\n\r\nBIG\r\n');
  req.flushHeaders();
  return { end: () => req.destroy(), done };
}

/** What the client saw: a status (with headers and body) or the network error's code. */
async function post(
  api: string,
  token: string | null,
  fields: Record<string, string>,
  file: { field?: string; name: string; data: Blob },
): Promise<{ status: number; connection: string | null; code?: string; error?: string; ms: number }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append(file.field ?? 'file', file.data, file.name);
  const t0 = Date.now();
  try {
    const r = await fetch(`${api}/media`, {
      method: 'POST',
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body: form,
    });
    const body = (await r.json()) as { code?: string };
    return {
      status: r.status,
      connection: r.headers.get('connection'),
      ...(body.code ? { code: body.code } : {}),
      ms: Date.now() - t0,
    };
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return {
      status: 0,
      connection: null,
      error: cause?.code ?? cause?.message ?? String(e),
      ms: Date.now() - t0,
    };
  }
}

describe('upload answers reach the client', () => {
  let child: ChildProcess;
  let api = '';
  let token = '';
  const dir = tempDir('montu-early-');
  const big = new Blob([JPG, new Uint8Array(64 << 20)]);
  const small = new Blob([JPG, new Uint8Array(1 << 20)]);
  const fields = { projectId: 'BIG', taskId: 'early' };

  beforeAll(async () => {
    child = spawn(process.execPath, [path.join(HERE, 'fixtures/serve-child.mjs'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
    });
    const started = JSON.parse(line) as { url: string; token: string };
    api = `${started.url}/api/v1`;
    token = started.token;
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    await new Promise((r) => child?.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps idle connections longer than a client blocked for 5.5 s, and says so in Keep-Alive', async () => {
    const first = await fetch(`${api}/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    await first.arrayBuffer();
    expect(first.headers.get('keep-alive')).toBe('timeout=72');
    for (let i = 0; i < 2; i++) {
      // Like a test or tool that runs ffmpeg with execFileSync between two uploads: the event
      // loop cannot see the server close the pooled connection, and reuses it at once.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5_500);
      const r = await post(
        api,
        token,
        { projectId: 'BIG', taskId: 'ka' },
        { name: `ka${i}.jpg`, data: small },
      );
      expect(r, JSON.stringify(r)).toMatchObject({ status: 201 });
    }
  }, 30_000);

  it('answers a refused form with a small body and keeps the connection', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await post(api, token, fields, { field: 'data', name: 'a.jpg', data: small });
      expect(r, JSON.stringify(r)).toMatchObject({ status: 400, code: 'validation_error' });
      expect(r.connection).not.toBe('close');
    }
  });

  it('answers a refused form with a large body, closing after the answer, without reading it all', async () => {
    for (let i = 0; i < 3; i++) {
      const wrongPart = await post(api, token, fields, { field: 'data', name: 'a.jpg', data: big });
      expect(wrongPart, JSON.stringify(wrongPart)).toMatchObject({ status: 400, connection: 'close' });
      const notMedia = await post(api, token, fields, {
        name: 'a.bin',
        data: new Blob([new Uint8Array(64 << 20).fill(7)]),
      });
      expect(notMedia, JSON.stringify(notMedia)).toMatchObject({ status: 400, code: 'validation_error' });
      const anonymous = await post(api, null, fields, { name: 'a.jpg', data: big });
      expect(anonymous, JSON.stringify(anonymous)).toMatchObject({ status: 401 });
    }
  });

  it('answers 429 over the per-user cap with a large body', async () => {
    const held = Array.from({ length: CAP }, () => heldUpload(api, token));
    try {
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 3; i++) {
        const r = await post(api, token, fields, { name: 'a.jpg', data: big });
        expect(r, JSON.stringify(r)).toMatchObject({ status: 429, code: 'rate_limited' });
      }
    } finally {
      for (const h of held) h.end();
    }
    await Promise.all(held.map((h) => h.done));
  });

  it('half-closes after an early answer and lets a slow sender read it before closing', async () => {
    // A raw client that keeps writing after the answer: the server must not reset the
    // connection before the client has read the answer.
    const url = new URL(api);
    const res = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; writeError?: string }>(
      (resolve, reject) => {
        const req = http.request({
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}/media`,
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'multipart/form-data; boundary=b',
            'content-length': String(256 << 20),
          },
        });
        let writeError: string | undefined;
        req.on('error', (e) => (writeError = (e as NodeJS.ErrnoException).code));
        req.on('response', (r) => {
          r.resume();
          r.on('end', () =>
            resolve({ status: r.statusCode ?? 0, headers: r.headers, ...(writeError ? { writeError } : {}) }),
          );
        });
        req.write('--b\r\nContent-Disposition: form-data; name="bad"; filename="x.jpg"\r\n\r\n');
        const chunk = Buffer.alloc(64 << 10);
        let sent = 0;
        const pump = () => {
          while (sent < 32 << 20) {
            sent += chunk.length;
            if (!req.write(chunk)) return req.once('drain', pump);
          }
        };
        pump();
        setTimeout(() => reject(new Error('no answer within 10 s')), 10_000).unref();
      },
    );
    expect(res.status).toBe(400);
    expect(res.headers['connection']).toBe('close');
  });
});

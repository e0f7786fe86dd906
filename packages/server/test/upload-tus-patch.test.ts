/**
 * tus PATCH, handled by Montu's own byte path (routes/uploads/tus-patch.ts) instead of @tus/server's:
 * protocol answers (412, 415, 404, 409 with the current offset and no problem code, 413 —
 * clients tell a stale offset from a version conflict by that code), a large body refused
 * before it is read still gets its status, an upload sent in several PATCHes of odd sizes and
 * with a deferred length stores the right bytes and sha256, a PATCH resumed on another server
 * process (no hash state there) hashes the file at the end instead, and HEAD during a PATCH
 * makes it stop with what it received (tus's lock semantics). A piece of 4 MiB or more is read
 * straight from the socket, and its connection closes after the answer.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../src/index.js';
import {
  call,
  CORPUS,
  DATABASES,
  seedWorld,
  startTestServer,
  tusMetadata,
  type TestServer,
  type World,
} from './helpers.js';

const JPG = fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg'));

describe.each(DATABASES)('tus PATCH on %s', (kind) => {
  let t: TestServer;
  let w: World;
  let token: string;
  let n = 0;
  const bytes = Buffer.concat([JPG, randomBytes(9 * 1024 * 1024 + 321)]);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const tus = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${token}`,
    'tus-resumable': '1.0.0',
    ...extra,
  });

  beforeAll(async () => {
    t = await startTestServer(kind);
    w = await seedWorld(t);
    token = w.users.artist.token;
  });
  afterAll(async () => t?.close());

  async function create(headers: Record<string, string> = { 'upload-length': String(bytes.length) }) {
    const r = await fetch(`${t.api}/uploads`, {
      method: 'POST',
      headers: tus({
        ...headers,
        'upload-metadata': tusMetadata({
          filename: 'plate.jpg',
          projectId: 'SWA',
          taskId: `ep02_sq010_sh${String(++n).padStart(3, '0')}_comp`,
          sha256: sha,
        }),
      }),
    });
    expect(r.status, await r.clone().text()).toBe(201);
    return new URL(r.headers.get('location')!, t.url).toString();
  }
  const patch = (location: string, offset: number, body: Uint8Array, extra: Record<string, string> = {}) =>
    fetch(location, {
      method: 'PATCH',
      headers: tus({
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
        ...extra,
      }),
      body,
    });
  /** The sha256 of the item a finishing PATCH created. */
  const storedSha = async (finished: Response) =>
    (
      (await (await call(`${t.api}/media/${finished.headers.get('montu-media-id')}`, token)).json()) as {
        sha256: string;
      }
    ).sha256;
  const head = async (location: string) =>
    Number((await fetch(location, { method: 'HEAD', headers: tus() })).headers.get('upload-offset'));

  it('answers protocol errors as problems, with tus headers', async () => {
    const location = await create();
    const noVersion = await fetch(location, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${token}`,
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes.subarray(0, 10),
    });
    expect(noVersion.status).toBe(412);
    expect(noVersion.headers.get('tus-version')).toBe('1.0.0');
    expect((await patch(location, 0, bytes.subarray(0, 10), { 'content-type': 'text/plain' })).status).toBe(
      415,
    );
    const bad = await patch(location, 0, bytes.subarray(0, 10), { 'upload-offset': '-1' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('tus-resumable')).toBe('1.0.0');
    expect(
      (await patch(`${t.api}/uploads/${'0123456789abcdef'.repeat(2)}`, 0, bytes.subarray(0, 10))).status,
    ).toBe(404);
    // Other users do not see it.
    const spy = await fetch(location, {
      method: 'PATCH',
      headers: {
        ...tus(),
        authorization: `Bearer ${w.users.supervisor.token}`,
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes.subarray(0, 10),
    });
    expect(spy.status).toBe(404);
    const over = await patch(location, 0, new Uint8Array(bytes.length + 1));
    expect(over.status).toBe(413);
    expect(await head(location)).toBe(0);
    expect((await patch(location, 0, bytes.subarray(0, 1000))).status).toBe(204);
    const conflict = await patch(location, 0, bytes.subarray(0, 1000));
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('upload-offset')).toBe('1000');
    // tus's own 409, as @tus/server wrote it: no problem code, so clients know to ask the offset
    // and resume (a problem 409, a version conflict, is final for them).
    expect(await conflict.text()).not.toContain('"code"');
  });

  it('answers 409 to a large body sent at the wrong offset, before reading it (no EPIPE)', async () => {
    const location = await create({ 'upload-length': String(80 << 20) });
    const url = new URL(location);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'PATCH',
        headers: {
          ...tus({ 'upload-offset': '5', 'content-type': 'application/offset+octet-stream' }),
          'content-length': String(64 << 20),
        },
      });
      req.on('response', (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(1 << 20);
      let sent = 0;
      const pump = () => {
        while (sent < 64) {
          sent++;
          if (!req.write(chunk)) return req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(409);
  });

  it('stores an upload sent in PATCHes of odd sizes, with its sha256, and says how far it got', async () => {
    const location = await create();
    const cuts = [0, 1, 4097, 3_000_001, 7_777_777, bytes.length];
    let mediaId: string | null = null;
    for (let i = 1; i < cuts.length; i++) {
      const r = await patch(location, cuts[i - 1]!, bytes.subarray(cuts[i - 1], cuts[i]));
      expect(r.status, await r.clone().text()).toBe(204);
      expect(r.headers.get('upload-offset')).toBe(String(cuts[i]));
      // Every piece is read through the request (decision 117): the connection is kept.
      expect(r.headers.get('connection')).toBe('keep-alive');
      expect(r.headers.get('access-control-expose-headers')).toMatch(/Montu-Media-Id/);
      if (i < cuts.length - 1) expect(r.headers.get('upload-expires')).toBeTruthy();
      mediaId = r.headers.get('montu-media-id');
    }
    expect(mediaId).toBeTruthy();
    const media = (await (await call(`${t.api}/media/${mediaId}`, token)).json()) as {
      sha256: string;
      size: number;
    };
    expect(media).toMatchObject({ sha256: sha, size: bytes.length });
    const stored = await t.montu.storage.get(
      (
        (await t.montu.media.getMediaById(mediaId!)).files.find((f) => f.role === 'original') as {
          key: string;
        }
      ).key,
    );
    const h = createHash('sha256');
    for await (const c of stored) h.update(c as Buffer);
    expect(h.digest('hex')).toBe(sha);
  });

  it('takes the length later (creation-defer-length)', async () => {
    const location = await create({ 'upload-defer-length': '1' });
    expect((await patch(location, 0, bytes.subarray(0, 5000))).status).toBe(204);
    const last = await patch(location, 5000, bytes.subarray(5000), { 'upload-length': String(bytes.length) });
    expect(last.status, await last.clone().text()).toBe(204);
    expect(await storedSha(last)).toBe(sha);
  });

  it('finishes an upload resumed on another server process (hashing the file at the end)', async () => {
    // A second server on the same data folder and library: it has no hash state for the upload.
    const other: RunningServer = await startServer(
      { ...t.config, port: 0 },
      { montu: t.montu, print: () => undefined },
    );
    try {
      const location = await create();
      const cut = 6_543_210;
      expect((await patch(location, 0, bytes.subarray(0, cut))).status).toBe(204);
      const elsewhere = location.replace(t.url, other.url);
      const rest = await patch(elsewhere, cut, bytes.subarray(cut));
      expect(rest.status, await rest.clone().text()).toBe(204);
      expect(await storedSha(rest)).toBe(sha);
    } finally {
      await other.close();
    }
  });

  it('refuses a wrong sha256 after a multi-PATCH upload and keeps nothing', async () => {
    const r = await fetch(`${t.api}/uploads`, {
      method: 'POST',
      headers: tus({
        'upload-length': String(bytes.length),
        'upload-metadata': tusMetadata({
          filename: 'bad.jpg',
          projectId: 'SWA',
          taskId: 'ep02_sq020_sh010_comp',
          sha256: 'b'.repeat(64),
        }),
      }),
    });
    const location = new URL(r.headers.get('location')!, t.url).toString();
    expect((await patch(location, 0, bytes.subarray(0, 5_000_000))).status).toBe(204);
    const last = await patch(location, 5_000_000, bytes.subarray(5_000_000));
    expect(last.status).toBe(422);
    expect(((await last.json()) as { code: string }).code).toBe('checksum_mismatch');
    const versions = (await (
      await call(`${t.api}/tasks/ep02_sq020_sh010_comp/versions?projectId=SWA`, token)
    ).json()) as {
      versions: string[];
    };
    expect(versions.versions).toEqual([]);
    expect(fs.existsSync(path.join(t.dir, 'uploads', location.split('/').pop()!))).toBe(false);
  });

  it('stops a PATCH that a HEAD asks to yield, keeping what it received', async () => {
    const location = await create();
    const url = new URL(location);
    const first = bytes.subarray(0, 2_000_000);
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'PATCH',
      headers: {
        ...tus({ 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }),
        'content-length': String(bytes.length),
      },
    });
    const answered = new Promise<{ status: number; offset: string | undefined }>((resolve) => {
      req.on('response', (r) => {
        r.resume();
        resolve({ status: r.statusCode ?? 0, offset: r.headers['upload-offset'] as string | undefined });
      });
      req.on('error', () => resolve({ status: -1, offset: undefined }));
    });
    await new Promise<void>((r) => req.write(first, () => r()));
    // Give the server time to take the bytes (they sit in its write buffer until it stops).
    await new Promise((r) => setTimeout(r, 500));
    const offset = await head(location);
    expect(offset).toBe(first.length);
    const held = await answered;
    expect(held).toEqual({ status: 204, offset: String(first.length) });
    req.destroy();
    // And it resumes from there.
    const rest = await patch(location, offset, bytes.subarray(offset));
    expect(rest.status, await rest.clone().text()).toBe(204);
    expect(await storedSha(rest)).toBe(sha);
  });
});

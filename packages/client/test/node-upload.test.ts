/** @montu/client/node: files on disk streamed up by multipart and tus, resumed, and sequences. */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, startServer, type RunningServer } from '@montu/server';
import { MontuError, MontuNodeClient, sendFile } from '../src/node.js';
import { cuttingProxy, patchOffsets } from './helpers/cutting-proxy.js';
import { png } from './helpers/png.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: RunningServer;
let client: MontuNodeClient;
let token: string;
let work: string;

/** A PNG padded to `bytes` (several of the client's 2 MiB reads), written to a file. */
function pngFile(name: string, seed: number, bytes = 0): { file: string; bytes: Buffer } {
  const data = Buffer.concat([png(seed), randomBytes(bytes)]);
  const file = path.join(work, name);
  fs.writeFileSync(file, data);
  return { file, bytes: data };
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-node-upload-'));
  server = await startServer(
    loadConfig({ dataDir: path.join(work, 'data'), port: 0, host: '127.0.0.1', logLevel: 'silent' }),
    { print: () => undefined },
  );
  token = server.firstRun!.token;
  client = new MontuNodeClient({ baseUrl: server.url, token });
  await client.createProject({ id: 'NODE', name: 'Node uploads' });
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const extra: http.Server[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of extra.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  for (const close of closers.splice(0)) await close();
});

describe('sendFile', () => {
  it('sends head, file and tail with a Content-Length, the token, and counts progress', async () => {
    const bytes = randomBytes((5 << 20) + 3);
    let seen: { length: string | undefined; auth: string | undefined; sha: string } | undefined;
    const s = http.createServer((req, res) => {
      const h = createHash('sha256');
      req.on('data', (d: Buffer) => h.update(d));
      req.on('end', () => {
        seen = {
          length: req.headers['content-length'],
          auth: req.headers.authorization,
          sha: h.digest('hex'),
        };
        res.setHeader('content-type', 'application/json');
        res.end('{"id":"m1"}');
      });
    });
    extra.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const file = path.join(work, 'f.bin');
    fs.writeFileSync(file, bytes);
    let progress = 0;
    const out = await sendFile({
      url: `http://127.0.0.1:${(s.address() as net.AddressInfo).port}/media`,
      method: 'POST',
      headers: { authorization: 'Bearer tok' },
      filePath: file,
      contentType: 'application/octet-stream',
      head: Buffer.from('HEAD'),
      tail: Buffer.from('TAIL'),
      onBytes: (n) => (progress += n),
    });
    expect(JSON.parse(out.text)).toEqual({ id: 'm1' });
    expect(progress).toBe(bytes.length);
    expect(seen).toEqual({
      length: String(bytes.length + 8),
      auth: 'Bearer tok',
      sha: sha(Buffer.concat([Buffer.from('HEAD'), bytes, Buffer.from('TAIL')])),
    });
  });

  it('a connection refused is connection_error with the system code', async () => {
    const e = await sendFile({
      url: 'http://127.0.0.1:9/x',
      method: 'POST',
      headers: {},
      filePath: pngFile('refused.png', 1).file,
      contentType: 'application/octet-stream',
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MontuError);
    expect(e).toMatchObject({ code: 'connection_error', details: { cause: 'ECONNREFUSED' } });
  });
});

describe('MontuNodeClient against a real server', () => {
  it('a small file goes in one multipart request, byte for byte, with progress', async () => {
    const { file, bytes } = pngFile('small.png', 2, (5 << 20) + 7);
    const seen: number[] = [];
    const m = await client.uploadFile(file, {
      projectId: 'NODE',
      taskId: 'sh010_comp',
      tags: ['a', 'b'],
      description: 'multipart',
      onProgress: (sent, total) => {
        expect(total).toBe(bytes.length);
        seen.push(sent);
      },
    });
    expect(m).toMatchObject({
      version: 'v001',
      tags: ['a', 'b'],
      description: 'multipart',
      sha256: sha(bytes),
    });
    expect(seen.at(-1)).toBe(bytes.length);
    // The multipart route (tus counts in montu_uploads_total{kind="tus"}).
    expect(await tusUploads()).toBe(0);
  });

  it('a file from tusMinBytes goes by tus and tells its upload URL', async () => {
    const { file, bytes } = pngFile('tus.png', 3, (3 << 20) + 1);
    const urls: string[] = [];
    let last = 0;
    const m = await client.uploadFile(file, {
      projectId: 'NODE',
      taskId: 'sh020_comp',
      tusMinBytes: 1,
      onUploadUrl: (u) => urls.push(u),
      onProgress: (sent) => (last = sent),
    });
    expect(m.sha256).toBe(sha(bytes));
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatch(/\/api\/v1\/uploads\/[^/]+$/);
    expect(last).toBe(bytes.length);
    expect(await tusUploads()).toBe(1);
  });

  it('resumes a tus upload where a cut connection stopped (HEAD, then the rest)', async () => {
    const { file, bytes } = pngFile('cut.png', 4, 12 << 20);
    const proxy = await cuttingProxy(server.url, 4 << 20);
    closers.push(() => proxy.close());
    const via = new MontuNodeClient({ baseUrl: proxy.url, token });
    let reported = 0;
    const m = await via.uploadFile(file, {
      projectId: 'NODE',
      taskId: 'sh030_comp',
      tusMinBytes: 1,
      onProgress: (sent) => {
        // Each byte counted once, however often it is sent again.
        expect(sent).toBeGreaterThanOrEqual(reported);
        reported = sent;
      },
    });
    expect(proxy.cut).toBe(true);
    expect(proxy.heads.some((h) => h.startsWith('HEAD /api/v1/uploads/'))).toBe(true);
    const offsets = patchOffsets(proxy.heads);
    expect(offsets[0]).toBe(0);
    expect(offsets.at(-1)).toBeGreaterThan(0);
    expect(m.sha256).toBe(sha(bytes));
    expect(reported).toBe(bytes.length);
  });

  it('resumes an earlier upload from its URL (resumeUrl), sending only the rest', async () => {
    const { file, bytes } = pngFile('later.png', 5, 3 << 20);
    const meta = (o: Record<string, string>) =>
      Object.entries(o)
        .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
        .join(',');
    const created = await fetch(`${server.url}/api/v1/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'tus-resumable': '1.0.0',
        'upload-length': String(bytes.length),
        'upload-metadata': meta({ filename: 'later.png', projectId: 'NODE', taskId: 'sh040_comp' }),
      },
    });
    expect(created.status).toBe(201);
    const uploadUrl = new URL(created.headers.get('location')!, server.url).toString();
    const half = 1 << 20;
    const first = await fetch(uploadUrl, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${token}`,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes.subarray(0, half),
    });
    expect(first.status).toBe(204);
    const progress: number[] = [];
    const m = await client.uploadFile(file, {
      projectId: 'NODE',
      taskId: 'sh040_comp',
      resumeUrl: uploadUrl,
      onProgress: (sent) => progress.push(sent),
    });
    expect(progress[0]).toBe(half);
    expect(progress.at(-1)).toBe(bytes.length);
    expect(m.sha256).toBe(sha(bytes));
  });

  it('a refused upload is a MontuError with the server code (validation, conflict)', async () => {
    const text = path.join(work, 'notes.txt');
    fs.writeFileSync(text, 'not media');
    await expect(client.uploadFile(text, { projectId: 'NODE', taskId: 'sh010_comp' })).rejects.toMatchObject({
      code: 'validation_error',
      status: 400,
    });
    const { file } = pngFile('again.png', 6);
    await expect(
      client.uploadFile(file, { projectId: 'NODE', taskId: 'sh010_comp', version: 'v001' }),
    ).rejects.toMatchObject({ code: 'conflict', status: 409 });
    await expect(
      client.uploadFile(path.join(work, 'missing.png'), { projectId: 'NODE', taskId: 'sh010_comp' }),
    ).rejects.toMatchObject({ code: 'file_unreadable' });
  });

  it('uploads a sequence from files, and resumes one by its upload id (pending frames only)', async () => {
    const frames = [1001, 1002, 1003].map((frame) => ({
      frame,
      path: pngFile(`beauty.${frame}.png`, frame, 1 << 20).file,
    }));
    let last = 0;
    const total = frames.reduce((n, f) => n + fs.statSync(f.path).size, 0);
    const seq = await client.uploadSequenceFiles(frames, {
      projectId: 'NODE',
      taskId: 'sh050_lighting',
      fps: '24',
      onProgress: (sent, t) => {
        expect(t).toBe(total);
        last = sent;
      },
    });
    expect(seq.mediaType).toBe('sequence');
    expect(last).toBe(total);

    // Declared and one frame sent elsewhere: the resume sends the other two.
    const started = await client.request<{ uploadId: string }>('POST', '/uploads/sequences', {
      json: {
        projectId: 'NODE',
        taskId: 'sh060_lighting',
        frames: frames.map((f) => ({
          frame: f.frame,
          fileName: path.basename(f.path),
          size: fs.statSync(f.path).size,
        })),
      },
    });
    const put = await fetch(`${server.url}/api/v1/uploads/sequences/${started.uploadId}/frames/1001`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: fs.readFileSync(frames[0]!.path),
    });
    expect(put.status).toBe(200);
    const sent: number[] = [];
    const resumed = await client.uploadSequenceFiles(frames, {
      projectId: 'NODE',
      taskId: 'sh060_lighting',
      uploadId: started.uploadId,
      onProgress: (s) => sent.push(s),
    });
    expect(resumed.mediaType).toBe('sequence');
    expect(sent[0]).toBe(fs.statSync(frames[0]!.path).size);
    expect(sent.at(-1)).toBe(total);
  });
});

async function tusUploads(): Promise<number> {
  const metrics = await (
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
  ).text();
  return Number(/montu_uploads_total\{kind="tus",result="ok"\} (\d+)/.exec(metrics)?.[1] ?? 0);
}

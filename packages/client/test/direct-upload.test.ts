/**
 * Direct-to-S3 uploads (decision 160) through @montu/client/node against a real server whose
 * storage is a real S3 protocol server (s3rver): the parts go from the file to the bucket, the
 * server completes, verifies and records. Resumed uploads, parts that fail, and the switch.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, startServer, type RunningServer } from '@montu/server';
import { startS3rver, type S3rverHandle } from '../../core/test/helpers/s3rver.js';
import { MontuError, MontuNodeClient, sendFile } from '../src/node.js';
import { png } from './helpers/png.js';

const MIB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let s3: S3rverHandle;
let server: RunningServer;
let client: MontuNodeClient;
let token: string;
let work: string;

function pngFile(name: string, bytes: number): { file: string; bytes: Buffer } {
  const head = png(bytes % 251);
  const data = Buffer.concat([head, randomBytes(bytes - head.length)]);
  const file = path.join(work, name);
  fs.writeFileSync(file, data);
  return { file, bytes: data };
}

/** Keys in the bucket (s3rver keeps one folder per object under its directory). */
async function bucketKeys(): Promise<string[]> {
  const res = await fetch(`${s3.endpoint}/${s3.bucket}?list-type=2`);
  const xml = await res.text();
  return [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]!);
}

/** The upload sessions the server kept, from its database. */
function sessions(): Array<{ id: string; kind: string; state: string; media_id: string | null }> {
  const db = new Database(path.join(work, 'data', 'montu.db'), { readonly: true });
  try {
    return db.prepare('SELECT id, kind, state, media_id FROM upload_session').all() as never;
  } finally {
    db.close();
  }
}

const api = (p: string, init: RequestInit = {}) =>
  fetch(`${server.url}/api/v1${p}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-direct-upload-'));
  s3 = await startS3rver();
  const config = loadConfig({
    dataDir: path.join(work, 'data'),
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
  });
  config.storage = s3.storageConfig();
  server = await startServer(config, { print: () => undefined });
  token = server.firstRun!.token;
  client = new MontuNodeClient({ baseUrl: server.url, token });
  await client.createProject({ id: 'DIRECT', name: 'Direct uploads' });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await s3?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('direct uploads to S3 through @montu/client/node', () => {
  it('sends the parts to the bucket in parallel and the server records verified media', async () => {
    expect(await client.directUploadsOffered()).toBe(true);
    const { file, bytes } = pngFile('plate.png', 3 * 8 * MIB + 12_345); // 4 parts
    const progress: number[] = [];
    let uploadId = '';
    const media = await client.uploadFile(file, {
      projectId: 'DIRECT',
      taskId: 'sh010_comp',
      tags: ['direct'],
      onProgress: (sent) => progress.push(sent),
      onDirectUploadId: (id) => (uploadId = id),
    });
    expect(media.size).toBe(bytes.length);
    expect(media.sha256).toBe(sha(bytes));
    expect(media.tags).toEqual(['direct']);
    expect(progress.at(-1)).toBe(bytes.length);
    // It went direct: the session is a direct one, complete, naming the media.
    expect(sessions().find((s) => s.id === uploadId)).toMatchObject({
      kind: 's3-direct',
      state: 'complete',
      media_id: media.id,
    });
    // The original in the bucket is the file; the temporary object is gone.
    const down = Buffer.from(await (await api(`/media/${media.id}/files/original`)).arrayBuffer());
    expect(sha(down)).toBe(sha(bytes));
    const keys = await bucketKeys();
    expect(keys.filter((k) => k.startsWith('.montu-tmp/'))).toEqual([]);
    expect(keys).toContain('DIRECT/sh010_comp/v001/sh010_comp_v001.png');
  });

  it('resumes: a new client lists the stored parts and sends only the others', async () => {
    const { file, bytes } = pngFile('resume.png', 4 * 8 * MIB + 99); // 5 parts
    let uploadId = '';
    // The first process stores parts 1, 2 and 4, then stops.
    const partial = await client.uploadFile(file, {
      projectId: 'DIRECT',
      taskId: 'sh020_comp',
      directOnlyParts: [1, 2, 4],
      onDirectUploadId: (id) => (uploadId = id),
    });
    expect(partial).toBeNull();
    const listed = (await (await api(`/uploads/direct/${uploadId}`)).json()) as {
      parts: Array<{ partNumber: number }>;
      partCount: number;
      state: string;
    };
    expect(listed.partCount).toBe(5);
    expect(listed.state).toBe('uploading');
    expect(listed.parts.map((p) => p.partNumber)).toEqual([1, 2, 4]);

    // A new client (a restarted process) resumes with the id alone.
    const again = new MontuNodeClient({ baseUrl: server.url, token });
    const progress: number[] = [];
    const media = await again.uploadFile(file, {
      projectId: 'DIRECT',
      taskId: 'sh020_comp',
      resumeDirectUploadId: uploadId,
      onProgress: (sent) => progress.push(sent),
    });
    expect(media.sha256).toBe(sha(bytes));
    // Progress started at the three stored parts' bytes: only parts 3 and 5 were sent.
    expect(progress[0]).toBe(3 * 8 * MIB);
    expect(progress.at(-1)).toBe(bytes.length);
  });

  it('refuses to complete while a part is missing (409); the upload stays open', async () => {
    const { file, bytes } = pngFile('missing.png', 2 * 8 * MIB + 7); // 3 parts
    let uploadId = '';
    await client.uploadFile(file, {
      projectId: 'DIRECT',
      taskId: 'sh030_comp',
      directOnlyParts: [1, 2],
      onDirectUploadId: (id) => (uploadId = id),
    });
    const missing = await api(`/uploads/direct/${uploadId}/complete`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(409);
    const m = (await missing.json()) as { detail: string; missingParts: number[] };
    expect(m.detail).toMatch(/Parts 3 of 3 have not been recorded/);

    // Nothing was recorded, and the upload is still open: send part 3 and complete.
    expect((await client.searchMediaPage({ projectId: 'DIRECT', taskId: 'sh030_comp' })).items).toEqual([]);
    const media = await client.uploadFile(file, {
      projectId: 'DIRECT',
      taskId: 'sh030_comp',
      resumeDirectUploadId: uploadId,
    });
    expect(media.sha256).toBe(sha(bytes));
  });

  it('a corrupted part fails verification: 422 checksum_mismatch, the object is removed, no media', async () => {
    const { file, bytes } = pngFile('corrupt.png', 2 * 8 * MIB + 1000); // 3 parts
    let uploadId = '';
    await client.uploadFile(file, {
      projectId: 'DIRECT',
      taskId: 'sh040_comp',
      directOnlyParts: [1, 3],
      onDirectUploadId: (id) => (uploadId = id),
    });
    // Part 2 goes up damaged (one byte flipped on the way), and its ETag is recorded as answered.
    const damaged = Buffer.from(bytes.subarray(8 * MIB, 16 * MIB));
    damaged[4096] ^= 0xff;
    const damagedFile = path.join(work, 'part2.bin');
    fs.writeFileSync(damagedFile, damaged);
    const urls = (await (
      await api(`/uploads/direct/${uploadId}/urls`, { method: 'POST', body: JSON.stringify({ parts: [2] }) })
    ).json()) as { urls: Array<{ url: string }> };
    const put = await sendFile({
      url: urls.urls[0]!.url,
      method: 'PUT',
      headers: {},
      filePath: damagedFile,
      contentType: 'application/octet-stream',
    });
    expect(put.status).toBe(200);
    await api(`/uploads/direct/${uploadId}/parts/2`, {
      method: 'PUT',
      body: JSON.stringify({ etag: put.headers['etag'] }),
    });

    const res = await api(`/uploads/direct/${uploadId}/complete`, {
      method: 'POST',
      body: JSON.stringify({ sha256: sha(bytes) }),
    });
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe('checksum_mismatch');
    expect(problem.detail).toMatch(/Checksum mismatch.*Nothing was stored/);
    expect((await client.searchMediaPage({ projectId: 'DIRECT', taskId: 'sh040_comp' })).items).toEqual([]);
    const keys = await bucketKeys();
    expect(keys.filter((k) => k.startsWith('.montu-tmp/') || k.startsWith('DIRECT/sh040_comp/'))).toEqual([]);
    expect(sessions().find((s) => s.id === uploadId)).toMatchObject({ state: 'failed', media_id: null });
    // The failed upload stays failed.
    const again = await api(`/uploads/direct/${uploadId}/complete`, { method: 'POST', body: '{}' });
    expect(again.status).toBe(409);
  });

  it('cuts 8 MiB parts, and refuses a part number out of range and an empty file', async () => {
    const start = await api('/uploads/direct', {
      method: 'POST',
      body: JSON.stringify({ fileName: 'x.png', size: 20 * MIB, projectId: 'DIRECT', taskId: 'sh050_comp' }),
    });
    expect(start.status).toBe(201);
    const up = (await start.json()) as { uploadId: string; partSize: number; partCount: number };
    expect(up.partSize).toBe(8 * MIB);
    expect(up.partCount).toBe(3);
    const bad = await api(`/uploads/direct/${up.uploadId}/urls`, {
      method: 'POST',
      body: JSON.stringify({ parts: [4] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/Part 4 is not one of parts 1–3/);
    const empty = await api('/uploads/direct', {
      method: 'POST',
      body: JSON.stringify({ fileName: 'x.png', size: 0, projectId: 'DIRECT', taskId: 'sh050_comp' }),
    });
    expect(empty.status).toBe(400);
  });

  it('another user cannot see or continue someone else’s upload', async () => {
    const start = await api('/uploads/direct', {
      method: 'POST',
      body: JSON.stringify({ fileName: 'y.png', size: MIB, projectId: 'DIRECT', taskId: 'sh060_comp' }),
    });
    const { uploadId } = (await start.json()) as { uploadId: string };
    const other = (await (
      await api('/users', { method: 'POST', body: JSON.stringify({ username: 'artist2' }) })
    ).json()) as { id: string };
    await api(`/projects/DIRECT/members/${other.id}`, {
      method: 'PUT',
      body: JSON.stringify({ role: 'artist' }),
    });
    const t = (await (
      await api(`/users/${other.id}/tokens`, { method: 'POST', body: JSON.stringify({ name: 't' }) })
    ).json()) as { token: string };
    expect(t.token).toBeTruthy();
    const res = await fetch(`${server.url}/api/v1/uploads/direct/${uploadId}`, {
      headers: { authorization: `Bearer ${t.token}` },
    });
    expect(res.status).toBe(404);
  });
});

describe('direct uploads are offered only with S3 storage, and can be turned off', () => {
  it('local storage: not offered; the client uploads through the server', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-direct-local-'));
    const local = await startServer(
      loadConfig({ dataDir: dir, port: 0, host: '127.0.0.1', logLevel: 'silent' }),
      { print: () => undefined },
    );
    try {
      const c = new MontuNodeClient({ baseUrl: local.url, token: local.firstRun!.token });
      expect(await c.directUploadsOffered()).toBe(false);
      await c.createProject({ id: 'LOCAL', name: 'Local' });
      const { file, bytes } = pngFile('local.png', 9 * MIB);
      const media = await c.uploadFile(file, { projectId: 'LOCAL', taskId: 'sh010' });
      expect(media.sha256).toBe(sha(bytes));
      const err = await c
        .uploadFile(file, { projectId: 'LOCAL', taskId: 'sh010', direct: true })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MontuError);
      expect((err as MontuError).code).toBe('not_supported');
    } finally {
      await local.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('S3 storage with directUploads: false: not offered', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-direct-off-'));
    const config = loadConfig({ dataDir: dir, port: 0, host: '127.0.0.1', logLevel: 'silent' });
    config.storage = { ...s3.storageConfig({ prefix: 'off' }), directUploads: false };
    const off = await startServer(config, { print: () => undefined });
    try {
      const res = await fetch(`${off.url}/api/v1/uploads/direct`, {
        headers: { authorization: `Bearer ${off.firstRun!.token}` },
      });
      expect(await res.json()).toEqual({
        offered: false,
        reason: 'Direct uploads are turned off (storage.directUploads).',
      });
    } finally {
      await off.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

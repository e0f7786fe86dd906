/**
 * Disk full: the storage root of a real server is a size-limited tmpfs (we are root in CI; the
 * test is skipped where mount is not permitted). Uploads that do not fit fail with 507
 * `insufficient_storage`, leave nothing behind, and the server keeps serving.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '@montu/domain';
import { LocalStorage } from '../../packages/core/src/storage/local.js';
import { SLAB_BYTES } from '../../packages/core/src/storage/file-sink.js';
import {
  call,
  seedWorld,
  startTestServer,
  uploadForm,
  tempDir,
  type TestServer,
  type World,
} from '../../packages/server/test/helpers.js';

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const d = tempDir('montu-mountcheck-');
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', d]).status === 0;
  if (ok) spawnSync('umount', [d]);
  fs.rmSync(d, { recursive: true, force: true });
  return ok;
}

function walk(dir: string, base = dir, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, base, out);
    else out.push(path.relative(base, p));
  }
  return out;
}

describe.skipIf(!canMount())('disk full (tmpfs-limited storage, sqlite)', () => {
  let t: TestServer;
  let w: World;
  let root: string;

  beforeAll(async () => {
    t = await startTestServer('sqlite');
    w = await seedWorld(t);
    root = path.join(t.dir, 'storage');
    fs.mkdirSync(root, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', root]);
    expect(r.status, String(r.stderr)).toBe(0);
  });
  afterAll(async () => {
    if (root) spawnSync('umount', ['-l', root]);
    await t?.close();
  });

  it('fails uploads that do not fit with 507, leaves nothing behind, keeps serving', async () => {
    const chunk = Buffer.alloc(3 * 1024 * 1024);
    // A JPEG signature so sniffing accepts it; the rest is padding.
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]).copy(chunk);
    const results: number[] = [];
    let failure: { code: string; status: number } | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await uploadForm(
        t.api,
        w.users.artist.token,
        { projectId: 'SWA', taskId: `ep01_sq010_sh0${10 + i}_comp` },
        { name: `big${i}.jpg`, data: chunk },
      );
      results.push(r.status);
      if (r.status !== 201) {
        expect(r.headers.get('content-type')).toContain('application/problem+json');
        failure = (await r.json()) as { code: string; status: number };
        break;
      }
    }
    expect(failure, `statuses ${results.join(',')}`).not.toBeNull();
    expect(failure!.status).toBe(507);
    expect(failure!.code).toBe('insufficient_storage');

    // Nothing half-written: every stored file belongs to a record, the temporary area is empty.
    const stored = walk(root);
    const media = (await (
      await call(`${t.api}/media?projectId=SWA&limit=500`, w.users.artist.token)
    ).json()) as { items: Array<{ files: Array<{ key: string }> }> };
    const keys = new Set(media.items.flatMap((m) => m.files.map((f) => f.key)));
    expect(
      stored.filter((k) => !keys.has(k) && !k.startsWith('.montu-tmp/')),
      'files without a record',
    ).toEqual([]);
    expect(
      stored.filter((k) => k.startsWith('.montu-tmp/')),
      'temporary leftovers',
    ).toEqual([]);
    expect(media.items.length).toBe(results.filter((s) => s === 201).length);

    // tus: the final move into full storage fails the same way; the partial upload is not left as media.
    const c = await fetch(`${t.api}/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${w.users.artist.token}`,
        'tus-resumable': '1.0.0',
        'upload-length': String(chunk.length),
        'upload-metadata': `filename ${Buffer.from('tus.jpg').toString('base64')},projectId ${Buffer.from('SWA').toString('base64')},taskId ${Buffer.from('ep01_sq010_sh099_comp').toString('base64')}`,
      },
    });
    expect(c.status).toBe(201);
    const p = await fetch(new URL(c.headers.get('location')!, t.url), {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${w.users.artist.token}`,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: chunk,
    });
    expect(p.status).toBeGreaterThanOrEqual(400);
    expect(p.status).toBeLessThan(600);
    expect(walk(root).filter((k) => k.startsWith('.montu-tmp/'))).toEqual([]);

    // Still serving: reads work, and a small upload that fits succeeds.
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect((await call(`${t.api}/media?projectId=SWA`, w.users.artist.token)).status).toBe(200);
    const small = await uploadForm(
      t.api,
      w.users.artist.token,
      { projectId: 'SWA', taskId: 'ep01_sq010_sh200_comp' },
      { name: 'small.jpg', data: chunk.subarray(0, 1024) },
    );
    expect(small.status, await small.clone().text()).toBe(201);
  });
});

describe.skipIf(!canMount())('disk full: storing a local file (LocalStorage.putFile, library ingest)', () => {
  let dir: string;
  let root: string;
  beforeAll(() => {
    dir = tempDir('montu-putfile-full-');
    root = path.join(dir, 'storage');
    fs.mkdirSync(root);
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', root]);
    expect(r.status, String(r.stderr)).toBe(0);
  });
  afterAll(() => {
    if (root) spawnSync('umount', ['-l', root]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a file read into a slab or streamed fails as "storage is full", stores nothing, and a file that fits is stored', async () => {
    const st = new LocalStorage(root);
    // Both write paths: under one slab (read whole into it) and over it (streamed).
    for (const size of [3 * 1024 * 1024, SLAB_BYTES + 4097]) {
      const file = path.join(dir, `plate-${size}.exr`);
      fs.writeFileSync(file, Buffer.alloc(size, 7));
      const err = await st.putFile(file, `P/t/v001/plate-${size}.exr`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect((err as Error).message).toMatch(/Storage is full: could not store P\/t\/v001\/plate-/);
      expect(await st.stat(`P/t/v001/plate-${size}.exr`)).toBeNull();
      expect(walk(root), 'nothing half-written').toEqual([]);
    }
    const small = path.join(dir, 'small.exr');
    fs.writeFileSync(small, Buffer.alloc(1024, 1));
    expect(await st.putFile(small, 'P/t/v001/small.exr')).toMatchObject({ size: 1024 });
  });
});

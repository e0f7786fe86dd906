/**
 * Disk full, database side: the data directory (SQLite file and local storage) is a real,
 * size-limited tmpfs filled to the last block (we are root in CI; skipped with the reason
 * printed where mount is not permitted). Writes answer 507 `insufficient_storage` — not 500 from
 * a second rollback hiding SQLITE_FULL —, deleting media (the way to free space) works,
 * `/readyz` reports the low space, and everything works again once space is freed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMontu, type Montu } from '@montu/core';
import { DEFAULT_CONFIG, startServer } from '../../packages/server/src/index.js';
import { call, tempDir, tusMetadata, uploadForm } from '../../packages/server/test/helpers.js';

function mountTmpfs(dir: string, size: string): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return r.status === 0 ? null : `mount failed: ${String(r.stderr).trim()}`;
}

/** Fills the volume holding `file` to its last block. */
function fill(file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const size of [1024 * 1024, 64 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

const dir = tempDir('montu-dbfull-');
const skipped = mountTmpfs(dir, '24m');
if (skipped) console.warn(`disk-full-database: skipped (${skipped})`);

describe.skipIf(skipped !== null)('disk full on the database volume (tmpfs, sqlite)', () => {
  let montu: Montu;
  let server: Awaited<ReturnType<typeof startServer>>;
  let api: string;
  let token: string;
  const filler = path.join(dir, 'filler');
  const media: string[] = [];

  beforeAll(async () => {
    montu = await openMontu({ dataDir: dir, jobs: { work: false } });
    server = await startServer(
      {
        ...structuredClone(DEFAULT_CONFIG),
        host: '127.0.0.1',
        port: 0,
        dataDir: dir,
        logLevel: 'silent',
        limits: { ...DEFAULT_CONFIG.limits, minFreeBytes: 2 * 1024 * 1024 },
      },
      { montu, print: () => undefined },
    );
    api = `${server.url}/api/v1`;
    token = server.firstRun!.token;
    await montu.projects.createProject({ id: 'FULL' });
    // A JPEG signature so sniffing accepts it; the rest is padding.
    const jpeg = Buffer.alloc(1024 * 1024);
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]).copy(jpeg);
    for (let i = 0; i < 2; i++) {
      const r = await uploadForm(
        api,
        token,
        { projectId: 'FULL', taskId: `ep01_sq010_sh0${10 + i}_comp` },
        { name: `plate${i}.jpg`, data: jpeg },
      );
      expect(r.status, await r.clone().text()).toBe(201);
      media.push(((await r.json()) as { id: string }).id);
    }
  });
  afterAll(async () => {
    await server?.close();
    await montu?.close();
    spawnSync('umount', ['-l', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers writes 507, deletes media, reports low space, and recovers once space is freed', async () => {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    // The space kept aside so that deletes work on a full disk.
    expect(fs.statSync(path.join(dir, 'montu.db.reserve')).size).toBeGreaterThan(0);
    fill(filler);

    const ready = await fetch(`${server.url}/readyz`);
    const readiness = (await ready.json()) as Record<string, string>;
    expect(ready.status).toBe(503);
    expect(readiness['databaseSpace']).toMatch(/^low: /);

    // A database write on a full disk: 507, the real cause, not "cannot rollback".
    for (const [url, init] of [
      [`${api}/media/${media[0]}`, { method: 'PATCH', json: { description: 'on a full disk' } }],
      [`${api}/projects`, { method: 'POST', json: { id: 'MORE' } }],
    ] as const) {
      const r = await call(url, token, init);
      const body = (await r.json()) as { code: string; detail: string };
      expect(r.status, body.detail).toBe(507);
      expect(body.code).toBe('insufficient_storage');
      expect(body.detail).not.toMatch(/rollback|\//);
    }

    // A tus upload created on the full disk: 507, and no empty file left behind for it.
    const files = (): string[] =>
      (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) =>
        fs.statSync(path.join(dir, f)).isFile(),
      );
    const before = files();
    const tus = await fetch(`${api}/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'tus-resumable': '1.0.0',
        'upload-length': '1000',
        'upload-metadata': tusMetadata({
          filename: 'late.jpg',
          projectId: 'FULL',
          taskId: 'ep01_sq010_sh030_comp',
        }),
      },
    });
    expect(tus.status, await tus.clone().text()).toBe(507);
    expect(files().filter((f) => !before.includes(f))).toEqual([]);

    // Deleting is how an operator frees space: it works on the full disk, twice.
    for (const id of media) {
      const del = await call(`${api}/media/${id}`, token, { method: 'DELETE' });
      expect(del.status, await del.text()).toBe(204);
      expect((await call(`${api}/media/${id}`, token)).status).toBe(404);
    }

    fs.rmSync(filler);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const again = await call(`${api}/projects`, token, { method: 'POST', json: { id: 'MORE' } });
    expect(again.status, await again.clone().text()).toBe(201);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, startServer, type RunningServer } from '@montu/server';
import { MontuClient, MontuError } from '../src/index.js';
import { png } from './helpers/png.js';

let server: RunningServer;
let client: MontuClient;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-client-'));
  server = await startServer(loadConfig({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'silent' }), {
    print: () => undefined,
  });
  client = new MontuClient({ baseUrl: server.url, token: server.firstRun!.token });
  await client.createProject({ id: 'TSC', name: 'TS client' });
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('@montu/client against a real server', () => {
  it('uploads through tus with progress and sha256, reads it back, downloads it', async () => {
    const bytes = png(1);
    const progress: number[] = [];
    const urls: string[] = [];
    const m = await client.upload(new Blob([bytes as BlobPart]), {
      projectId: 'TSC',
      taskId: 'ep01_sq010_sh010_lighting',
      fileName: 'light.png',
      tags: ['a', 'b'],
      description: 'from TS',
      onProgress: (sent) => progress.push(sent),
      onUploadUrl: (u) => urls.push(u),
    });
    expect(m.version).toBe('v001');
    expect(m.size).toBe(bytes.byteLength);
    // The creation carried an Idempotency-Key (a retried creation gets this upload back).
    const keys = await server.montu.db
      .selectFrom('idempotency_key')
      .select(['scope', 'state', 'result'])
      .execute();
    expect(keys).toEqual([{ scope: 'POST /uploads', state: 'done', result: urls[0]!.split('/').pop() }]);
    expect(progress.at(-1)).toBe(bytes.byteLength);
    expect(urls).toHaveLength(1);
    expect((await client.getMedia(m.id)).description).toBe('from TS');
    const res = await client.download(m.id);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(bytes));
    const v2 = await client.upload(png(2), { sourceMediaId: m.id, fileName: 'light_v2.png' });
    expect(v2.version).toBe('v002');
    expect(await client.getMediaVersions('ep01_sq010_sh010_lighting', 'TSC')).toEqual(['v001', 'v002']);
    expect((await client.getMediaByTask('ep01_sq010_sh010_lighting', { version: 2 }))[0]!.id).toBe(v2.id);
    const upd = await client.updateMediaMetadata(m.id, { customProperties: { shot: 'sh010' } });
    expect(upd.customProperties).toEqual({ shot: 'sh010' });
  });

  it('refuses a wrong sha256 and a version conflict with typed codes', async () => {
    await expect(
      client.upload(png(3), {
        projectId: 'TSC',
        taskId: 'ep01_sq010_sh020_comp',
        fileName: 'x.png',
        sha256: 'a'.repeat(64),
      }),
    ).rejects.toMatchObject({
      code: 'checksum_mismatch',
      status: 422,
    });
    await client.upload(png(4), { projectId: 'TSC', taskId: 'ep01_sq010_sh030_comp', fileName: 'y.png' });
    await expect(
      client.upload(png(5), {
        projectId: 'TSC',
        taskId: 'ep01_sq010_sh030_comp',
        fileName: 'y.png',
        version: 'v001',
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
    const e = await client.getMedia('nope').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MontuError);
    expect((e as MontuError).code).toBe('not_found');
    const bad = new MontuClient({ baseUrl: server.url, token: 'montu_nope' });
    await expect(bad.listProjects()).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it('manages playlists with a cookie session: the CSRF token goes with every unsafe method, PUT and DELETE included', async () => {
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: server.firstRun!.password }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    // Node's fetch keeps no cookies: this one adds the session's, as a browser would.
    const withCookie: typeof fetch = (url, init) =>
      fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), cookie } });
    const session = new MontuClient({ baseUrl: server.url, csrfToken, fetch: withCookie });
    const media = (await client.searchMediaPage({ projectId: 'TSC', limit: 1 })).items[0]!;
    const made = await session.createPlaylist('TSC', { name: 'CSRF', mediaIds: [media.id] });
    expect(made.items.map((i) => i.mediaId)).toEqual([media.id]);
    expect((await session.updatePlaylist(made.id, { name: 'CSRF 2', date: '2026-11-24' })).date).toBe(
      '2026-11-24',
    );
    expect((await session.reorderPlaylist(made.id, [media.id])).items).toHaveLength(1);
    const note = await session.addPlaylistNote(made.id, media.id, { content: 'in dailies', frame: 1 });
    expect(note.playlistId).toBe(made.id);
    const csv = await session.exportPlaylist(made.id, 'csv', { onlyPlaylistNotes: true });
    expect(await csv.text()).toContain('in dailies');
    expect((await session.listPlaylists('TSC')).find((p) => p.id === made.id)?.itemCount).toBe(1);
    expect((await session.removeFromPlaylist(made.id, media.id)).items).toEqual([]);
    // Without the token the server refuses, so the calls above did carry it.
    const bare = new MontuClient({ baseUrl: server.url, fetch: withCookie });
    await expect(bare.deletePlaylist(made.id)).rejects.toMatchObject({ status: 403, code: 'forbidden' });
    await session.deletePlaylist(made.id);
    await expect(session.getPlaylist(made.id)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('takes a 404 on a retried delete as done: the first attempt deleted it, its answer was lost', async () => {
    const media = (await client.searchMediaPage({ projectId: 'TSC', limit: 1 })).items[0]!;
    const made = await client.createPlaylist('TSC', { name: 'Lost answer', mediaIds: [media.id] });
    let drops = 0;
    // The request reaches the server; the connection dies before the answer comes back.
    const losesFirstAnswer: typeof fetch = async (url, init) => {
      const res = await fetch(url, init);
      if (init?.method === 'DELETE' && drops++ === 0) {
        await res.body?.cancel();
        throw new TypeError('fetch failed');
      }
      return res;
    };
    const flaky = new MontuClient({
      baseUrl: server.url,
      token: server.firstRun!.token,
      fetch: losesFirstAnswer,
    });
    await flaky.deletePlaylist(made.id);
    expect(drops).toBe(2);
    await expect(client.getPlaylist(made.id)).rejects.toMatchObject({ status: 404 });
    // Without a retry, a 404 is still an error.
    await expect(client.deletePlaylist(made.id)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('iterates over every page with the async iterator', async () => {
    for (let i = 0; i < 12; i++)
      await client.upload(png(100 + i), {
        projectId: 'TSC',
        taskId: `ep02_sq001_sh${String(i).padStart(3, '0')}_anim`,
        fileName: `p${i}.png`,
        tags: ['walk'],
      });
    const ids: string[] = [];
    for await (const m of client.searchMedia({ projectId: 'TSC', tags: ['walk'], limit: 5 })) ids.push(m.id);
    expect(new Set(ids).size).toBe(12);
  });

  it('uploads a sequence and runs the review flow', async () => {
    const frames = [1001, 1002, 1003].map((frame) => ({
      frame,
      fileName: `beauty.${frame}.png`,
      data: png(frame),
    }));
    const seq = await client.uploadSequence(frames, {
      projectId: 'TSC',
      taskId: 'ep03_sq010_sh010_lighting',
      fps: '24',
    });
    expect(seq.mediaType).toBe('sequence');
    const submitted = await client.submitForReview(seq.id, 'please');
    expect(submitted.status).toBe('pending_review');
    expect((await client.getMediaForReview('TSC')).map((m) => m.id)).toContain(seq.id);
    const note = await client.addReviewAnnotation(seq.id, { content: 'flicker', frame: 1002 });
    expect(note.frame).toBe(1002);
    expect((await client.approveMedia(seq.id)).status).toBe('approved');
    const stats = await client.getMediaStatistics('TSC');
    expect(stats).toBeTruthy();
  });
});

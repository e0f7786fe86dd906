/**
 * The per-user cap on concurrent uploads (`limits.maxConcurrentUploadsPerUser`): with the cap's
 * worth of multipart uploads held open, the next upload of the same user, of any kind (multipart,
 * tus creation and PATCH, sequence frame), gets 429 problem+json `rate_limited` before its body is
 * read; another user is not affected; the slots come back when the held requests end.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../src/index.js';
import {
  call,
  CORPUS,
  seedWorld,
  startTestServer,
  tusMetadata,
  uploadForm,
  type TestServer,
  type World,
} from './helpers.js';

const JPG = fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg'));
const CAP = 2;

/** A multipart upload whose body is started and then held open until `end()`. */
function heldUpload(api: string, token: string): { end: () => void; done: Promise<number> } {
  const boundary = 'montuheld';
  const url = new URL(`${api}/media`);
  const req = http.request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
  });
  const done = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(-1));
  });
  req.write(`--${boundary}\r\nContent-Disposition: form-data; name="projectId"\r\n\r\nSWA\r\n`);
  req.flushHeaders();
  return { end: () => req.destroy(), done };
}

describe('concurrent uploads per user', () => {
  let t: TestServer;
  let w: World;

  beforeAll(async () => {
    t = await startTestServer('sqlite', {
      limits: { ...DEFAULT_CONFIG.limits, maxConcurrentUploadsPerUser: CAP },
    });
    w = await seedWorld(t);
  });
  afterAll(async () => t?.close());

  const upload = (token: string, name: string) =>
    uploadForm(t.api, token, { projectId: 'SWA', taskId: 'cap' }, { name, data: JPG });

  async function expectLimited(r: Response): Promise<void> {
    expect(r.status, await r.clone().text()).toBe(429);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.headers.get('retry-after')).toBe('1');
    const body = (await r.json()) as { code: string; detail: string };
    expect(body.code).toBe('rate_limited');
    expect(body.detail).toContain(`at most ${CAP} concurrent uploads per user`);
  }

  it('defaults to 8', () => {
    expect(DEFAULT_CONFIG.limits.maxConcurrentUploadsPerUser).toBe(8);
  });

  it('refuses the upload beyond the cap with 429 rate_limited, for every upload kind, and frees slots when uploads end', async () => {
    const token = w.users.artist.token;
    const seq = await call(`${t.api}/uploads/sequences`, token, {
      method: 'POST',
      json: {
        projectId: 'SWA',
        taskId: 'capseq',
        fileName: 'cap.####.jpg',
        frames: [{ frame: 1, fileName: 'cap.0001.jpg' }],
      },
    });
    expect(seq.status, await seq.clone().text()).toBe(201);
    const seqId = ((await seq.json()) as { uploadId: string }).uploadId;
    const tusCreate = () =>
      fetch(`${t.api}/uploads`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'tus-resumable': '1.0.0',
          'upload-length': String(JPG.length),
          'upload-metadata': tusMetadata({ filename: 'cap.jpg', projectId: 'SWA', taskId: 'captus' }),
        },
      });
    // A tus upload created before the cap is reached, to PATCH while it is.
    const created = await tusCreate();
    expect(created.status, await created.clone().text()).toBe(201);
    const location = new URL(created.headers.get('location')!, t.url).toString();

    const held = Array.from({ length: CAP }, () => heldUpload(t.api, token));
    try {
      // Let the held requests reach the server's handler (headers only; their bodies stay open),
      // and check none was answered (no probe may race ahead of them and take a slot).
      await new Promise((res) => setTimeout(res, 500));
      const answered = await Promise.race([
        ...held.map((h) => h.done),
        new Promise((res) => setTimeout(() => res('open'), 50)),
      ]);
      expect(answered).toBe('open');
      const first = await upload(token, 'probe.jpg');
      await expectLimited(first);
      await expectLimited(await tusCreate());
      await expectLimited(
        await fetch(location, {
          method: 'PATCH',
          headers: {
            authorization: `Bearer ${token}`,
            'tus-resumable': '1.0.0',
            'upload-offset': '0',
            'content-type': 'application/offset+octet-stream',
          },
          body: JPG,
        }),
      );
      await expectLimited(
        await fetch(`${t.api}/uploads/sequences/${seqId}/frames/1`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' },
          body: JPG,
        }),
      );
      // Other users have their own slots; reads are not counted.
      const other = await upload(w.users.supervisor.token, 'other.jpg');
      expect(other.status, await other.clone().text()).toBe(201);
      expect((await call(`${t.api}/media?projectId=SWA`, token)).status).toBe(200);
    } finally {
      for (const h of held) h.end();
    }
    await Promise.all(held.map((h) => h.done));
    // The slots are released when the connections close.
    let after = 0;
    for (let i = 0; i < 100; i++) {
      after = (await upload(token, `after${i}.jpg`)).status;
      if (after === 201) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(after).toBe(201);
    const frame = await fetch(`${t.api}/uploads/sequences/${seqId}/frames/1`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' },
      body: JPG,
    });
    expect(frame.status, await frame.clone().text()).toBe(200);
  });
});

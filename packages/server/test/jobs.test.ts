import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  DATABASES,
  makePng,
  seedWorld,
  startTestServer,
  tempDir,
  type TestServer,
  type World,
} from './helpers.js';

/** Reads an SSE stream until `until` returns true for the collected events (or times out). */
async function readEvents(
  url: string,
  token: string,
  until: (events: Array<{ event: string; data: Record<string, unknown> }>, raw: string) => boolean,
  timeoutMs = 20_000,
): Promise<{
  events: Array<{ event: string; data: Record<string, unknown> }>;
  raw: string;
  contentType: string | null;
}> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
  const events: Array<{ event: string; data: Record<string, unknown> }> = [];
  let raw = '';
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      raw += new TextDecoder().decode(value);
      let i: number;
      events.length = 0;
      let rest = raw;
      while ((i = rest.indexOf('\n\n')) >= 0) {
        const block = rest.slice(0, i);
        rest = rest.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (ev && data) events.push({ event: ev, data: JSON.parse(data) as Record<string, unknown> });
      }
      if (until(events, raw)) break;
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return { events, raw, contentType: res.headers.get('content-type') };
}

describe.each(DATABASES)('jobs and events API on %s', (kind) => {
  let t: TestServer;
  let world: World;
  let png: string;
  beforeAll(async () => {
    t = await startTestServer(kind, {}, { processing: true });
    world = await seedWorld(t);
    png = await makePng(path.join(tempDir(), 'a.png'), 320, 200);
  });
  afterAll(async () => t.close());

  it('streams job and processing events of the caller’s projects only, with heartbeats', async () => {
    const artist = readEvents(
      `${t.api}/events?heartbeat=1`,
      world.users.artist.token,
      (ev, raw) => ev.some((e) => e.event === 'processing.finished') && raw.includes(': ping'),
    );
    const outsider = readEvents(`${t.api}/events`, world.users.outsider.token, () => false, 4000);
    await new Promise((r) => setTimeout(r, 200));
    const id = await t.montu.media.uploadMedia({
      filePath: png,
      projectId: 'SWA',
      taskId: 'sh010_comp',
      author: 'artist',
    });
    const a = await artist;
    expect(a.contentType).toMatch(/^text\/event-stream/);
    const types = a.events.map((e) => e.event);
    expect(types).toContain('job.started');
    expect(types).toContain('job.done');
    expect(types).toContain('rendition.ready');
    expect(a.events.every((e) => e.data['projectId'] === 'SWA')).toBe(true);
    expect(a.events.find((e) => e.event === 'processing.finished')?.data['mediaId']).toBe(id);
    const o = await outsider;
    expect(o.events).toEqual([]);
  });

  it('lists jobs scoped to the caller’s projects, and shows processing per step on the media item', async () => {
    const id = await t.montu.media.uploadMedia({
      filePath: png,
      projectId: 'SWA',
      taskId: 'sh020_comp',
      author: 'artist',
      wait: true,
    });
    const res = await call(`${t.api}/jobs?mediaId=${id}`, world.users.artist.token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      items: Array<{ type: string; state: string; projectId: string; attempts: number }>;
    };
    // A PNG is its own full-resolution web image: no proxy job (processing.webImages 'needed').
    expect(body.items.map((j) => [j.type, j.state]).sort()).toEqual([
      ['probe', 'done'],
      ['thumbnail', 'done'],
    ]);
    expect(body.items.every((j) => j.projectId === 'SWA' && j.attempts === 1)).toBe(true);
    const outsider = (await (
      await call(`${t.api}/jobs?mediaId=${id}`, world.users.outsider.token)
    ).json()) as { items: unknown[] };
    expect(outsider.items).toEqual([]);
    const jobId = (body.items[0] as unknown as { id: string }).id;
    expect((await call(`${t.api}/jobs/${jobId}`, world.users.outsider.token)).status).toBe(404);
    expect((await call(`${t.api}/jobs/${jobId}`, world.users.artist.token)).status).toBe(200);
    expect((await call(`${t.api}/jobs?state=bogus`, world.users.artist.token)).status).toBe(400);

    const media = (await (await call(`${t.api}/media/${id}`, world.users.artist.token)).json()) as {
      processingState: string;
      processing: Record<string, { state: string; progress: number }>;
      files: Array<{ role: string }>;
    };
    expect(media.processingState).toBe('ready');
    expect(media.processing['probe']).toMatchObject({ state: 'done', progress: 100 });
    expect(media.processing['thumbnail']).toMatchObject({ state: 'done' });
    expect(media.processing['proxy']).toBeUndefined();
    expect(media.files.map((f) => f.role).sort()).toEqual(['original', 'thumbnail']);
  });

  it('retries failed jobs; the media item shows the failure until then', async () => {
    const bad = path.join(tempDir(), 'broken.png');
    (await import('node:fs')).writeFileSync(bad, Buffer.from('\x89PNG\r\n\x1a\nthis is not really a png'));
    const id = await t.montu.media
      .uploadMedia({ filePath: bad, projectId: 'SWA', taskId: 'sh030_comp', author: 'artist', wait: true })
      .catch(() => null);
    if (!id) return; // rejected at upload by sniffing: nothing to retry
    const m = (await (await call(`${t.api}/media/${id}`, world.users.artist.token)).json()) as {
      processingState: string;
      processingError: string;
    };
    expect(m.processingState).toBe('failed');
    expect(m.processingError).toBeTruthy();
    // An outsider cannot retry it; a member can.
    const none = (await (
      await call(`${t.api}/jobs/retry`, world.users.outsider.token, { method: 'POST', json: { mediaId: id } })
    ).json()) as { items: unknown[] };
    expect(none.items).toEqual([]);
    const res = await call(`${t.api}/jobs/retry`, world.users.artist.token, {
      method: 'POST',
      json: { mediaId: id },
    });
    expect(res.status).toBe(200);
    const again = (await res.json()) as { items: Array<{ state: string; attempts: number }> };
    expect(again.items.length).toBeGreaterThan(0);
    expect(again.items.every((j) => j.state === 'queued' && j.attempts === 0)).toBe(true);
  });
});

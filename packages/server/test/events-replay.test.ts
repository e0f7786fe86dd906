/**
 * Server-Sent Events replay (issue 20 item 10): a client that reconnects with `Last-Event-ID` to
 * a restarted server gets the events it missed, in order, once each, then the live stream; the
 * outsider of a project gets none of them; a malformed id is a 400.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMontu, type Montu } from '@montu/core';
import { startServer, type RunningServer } from '../src/index.js';
import {
  call,
  DATABASES,
  makePng,
  seedWorld,
  startTestServer,
  type TestServer,
  type World,
} from './helpers.js';

interface Sse {
  id: string;
  event: string;
  data: { mediaId?: string; type: string };
}

/** Reads an event stream until `enough` holds for the events so far (or `timeoutMs` pass). */
async function readStream(
  url: string,
  token: string,
  enough: (events: Sse[]) => boolean,
  headers: Record<string, string> = {},
  started?: () => Promise<void>,
  timeoutMs = 20_000,
): Promise<{ events: Sse[]; raw: string }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, ...headers },
    signal: ac.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const events: Sse[] = [];
  let raw = '';
  let pending = '';
  let kicked = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const text = new TextDecoder().decode(value);
      raw += text;
      pending += text;
      let i: number;
      while ((i = pending.indexOf('\n\n')) >= 0) {
        const block = pending.slice(0, i);
        pending = pending.slice(i + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && event && data) events.push({ id, event, data: JSON.parse(data) as Sse['data'] });
      }
      if (!kicked && raw.includes(': connected')) {
        kicked = true;
        await started?.();
      }
      if (enough(events)) break;
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return { events, raw };
}

describe.each(DATABASES)('SSE Last-Event-ID replay on %s', (kind) => {
  let t: TestServer;
  let world: World;
  let png: Buffer;
  let second: { server: RunningServer; montu: Montu } | null = null;

  beforeAll(async () => {
    t = await startTestServer(kind);
    world = await seedWorld(t);
    png = fs.readFileSync(await makePng(path.join(t.dir, 'frame.png')));
  });
  afterAll(async () => {
    await second?.server.close();
    await second?.montu.close();
    await t?.close();
  });

  const upload = async (api: string, shot: string) => {
    const form = new FormData();
    form.append('projectId', 'SWA');
    form.append('taskId', `ep01_sq010_${shot}_comp`);
    form.append('file', new Blob([png]), `${shot}.png`);
    const r = await fetch(`${api}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.users.supervisor.token}` },
      body: form,
    });
    expect(r.status, await r.clone().text()).toBe(201);
    return ((await r.json()) as { id: string }).id;
  };

  it('gives a reconnecting client of a restarted server what it missed, then the live stream', async () => {
    const sup = world.users.supervisor.token;
    let first = '';
    const one = await readStream(
      `${t.api}/events?types=media.created`,
      sup,
      (ev) => ev.length >= 1,
      {},
      async () => {
        first = await upload(t.api, 'sh010');
      },
    );
    expect(one.events[0]!.data.mediaId).toBe(first);
    const lastSeen = one.events[0]!.id;

    // Missed while disconnected, and across a restart of the server.
    const missed = [await upload(t.api, 'sh020'), await upload(t.api, 'sh030')];
    await t.server.close();
    await t.montu.close();
    const montu = await openMontu({
      dataDir: t.dir,
      databaseUrl: t.config.databaseUrl!,
      storage: { type: 'local', root: path.join(t.dir, 'storage') },
      jobs: { work: false },
    });
    const server = await startServer({ ...t.config, port: 0 }, { montu, print: () => undefined });
    second = { server, montu };
    const api = `${server.url}/api/v1`;

    let live = '';
    const again = await readStream(
      `${api}/events?types=media.created`,
      sup,
      (ev) => ev.some((e) => e.data.mediaId === live && live !== ''),
      { 'last-event-id': lastSeen },
      async () => {
        live = await upload(api, 'sh040');
      },
    );
    const ids = again.events.map((e) => e.data.mediaId);
    expect(ids).toEqual([...missed, live]);
    expect(new Set(again.events.map((e) => e.id)).size).toBe(again.events.length);
    expect(again.events.every((e) => e.id > lastSeen)).toBe(true);
    expect(again.raw).not.toMatch(/replay incomplete/);

    // The outsider's replay holds nothing of SWA.
    const out = await readStream(
      `${api}/events?lastEventId=${lastSeen}&heartbeat=1`,
      world.users.outsider.token,
      (ev) => ev.length > 0,
      {},
      async () => undefined,
      3000,
    ).catch(() => ({ events: [] as Sse[], raw: '' }));
    expect(out.events.filter((e) => e.data.type.startsWith('media.'))).toEqual([]);
  });

  it('refuses a malformed Last-Event-ID with 400', async () => {
    const api = second ? `${second.server.url}/api/v1` : t.api;
    const r = await call(`${api}/events`, world.users.supervisor.token, {
      headers: { 'last-event-id': '42' },
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { detail: string }).detail).toMatch(/Last-Event-ID/);
  });
});

/**
 * /readyz in scale mode checks Redis, and the API server logs a Redis outage (issue 20 item 10).
 * Real Redis behind a loopback relay that the test cuts and restores.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { loadConfig, startServer, type RunningServer } from '../src/index.js';
import { startTcpProxy, type TcpProxy } from '../../core/test/helpers/tcp-proxy.js';
import { CORPUS, tempDir } from './helpers.js';

const REDIS = process.env['MONTU_TEST_REDIS_URL'];

describe.skipIf(!REDIS)('/readyz and logs when Redis goes away (scale mode)', () => {
  let proxy: TcpProxy;
  let server: RunningServer;
  const lines: Array<{ level: number; msg: string }> = [];

  beforeAll(async () => {
    const target = new URL(REDIS!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(l) as { level: number; msg: string });
        done();
      },
    });
    const config = loadConfig(
      { dataDir: tempDir(), port: 0, redisUrl: `redis://127.0.0.1:${proxy.port}` },
      { MONTU_QUEUE_NAME: `montu-readyz-${process.pid}` },
    );
    server = await startServer(config, { logger: pino({ level: 'info' }, sink), print: () => undefined });
  });
  afterAll(async () => {
    await proxy.restore();
    await server?.close();
    await proxy.close();
  });

  const readyz = async () => {
    const r = await fetch(`${server.url}/readyz`);
    return { status: r.status, body: (await r.json()) as Record<string, string> };
  };

  it('is ready with Redis, 503 naming Redis without it, ready again when it is back; the log says so', async () => {
    expect(await readyz()).toMatchObject({ status: 200, body: { status: 'ready', redis: 'ok' } });
    const cutAt = Date.now();
    await proxy.cut();
    let r = await readyz();
    for (let i = 0; i < 100 && r.status === 200; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await readyz();
    }
    expect(r.status).toBe(503);
    const notReadyAfter = Date.now() - cutAt;
    expect(r.body['redis']).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+/);
    expect(r.body['database']).toBe('ok');

    // An upload meanwhile answers (its jobs wait in the database), rather than hang and fail.
    await server.montu.projects.createProject({ id: 'RDS', name: 'Redis down' });
    const form = new FormData();
    form.append('projectId', 'RDS');
    form.append('taskId', 'ep01_sq010_sh010_comp');
    form.append('file', new Blob([fs.readFileSync(path.join(CORPUS, 'media/image/basi2c08.png'))]), 'a.png');
    const upAt = Date.now();
    const up = await fetch(`${server.url}/api/v1/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.firstRun!.token}` },
      body: form,
    });
    expect(up.status, await up.clone().text()).toBe(201);
    const uploadMs = Date.now() - upAt;
    const mediaId = ((await up.json()) as { id: string }).id;
    expect((await server.montu.jobs!.list({ mediaId })).every((j) => j.state === 'queued')).toBe(true);
    for (let i = 0; i < 200 && !lines.some((l) => /unreachable/.test(l.msg)); i++)
      await new Promise((res) => setTimeout(res, 100));
    expect(lines.find((l) => /Redis at .* is unreachable/.test(l.msg))?.level).toBe(40);

    const restoredAt = Date.now();
    await proxy.restore();
    for (let i = 0; i < 300 && r.status !== 200; i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await readyz();
    }
    expect(r).toMatchObject({ status: 200, body: { redis: 'ok' } });
    // Figures for the README's reliability table (not asserted: they move with the machine).
    console.log(
      `redis outage: /readyz 503 ${notReadyAfter} ms after the cut, an upload answered 201 in ${uploadMs} ms, 200 again ${Date.now() - restoredAt} ms after Redis was back`,
    );
    for (let i = 0; i < 100 && !lines.some((l) => /reachable again/.test(l.msg)); i++)
      await new Promise((res) => setTimeout(res, 100));
    expect(lines.some((l) => /Redis at .* is reachable again/.test(l.msg))).toBe(true);
  });
});

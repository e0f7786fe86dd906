/**
 * Scale mode when Redis misbehaves (issue 20 item 10): a start-up error names Redis, an outage
 * and its end are logged once each, `ping` (what /readyz asks) fails while Redis is away, and a
 * worker that receives a job its database does not know says so. Redis is real; the outage is a
 * loopback relay in front of it being cut (tcp-proxy.ts).
 */
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMontu, type Montu } from '../../src/index.js';
import { makePng, tempDir } from '../helpers/env.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { REDIS_URL, uniqueQueueName, waitFor } from './harness.js';

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe.skipIf(!REDIS_URL)('scale mode when Redis misbehaves', () => {
  let dir: string;
  let png: string;
  beforeAll(async () => {
    dir = tempDir('montu-redis-outage-');
    png = await makePng(path.join(dir, 'frame.png'));
  });

  it('a start-up without Redis fails with an error that names Redis', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    const logged: string[] = [];
    await expect(
      openMontu({
        dataDir: path.join(dir, 'no-redis'),
        jobs: { redisUrl: url, work: true, queueName: uniqueQueueName(), log: (_l, m) => logged.push(m) },
      }),
    ).rejects.toThrow(new RegExp(`Cannot reach Redis at ${url.replace(/[.]/g, '\\.')} \\(the job queue\\)`));
  });

  describe('an outage while running', () => {
    let proxy: TcpProxy;
    let montu: Montu;
    const logged: Array<[string, string]> = [];
    beforeAll(async () => {
      const target = new URL(REDIS_URL!);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
      montu = await openMontu({
        dataDir: path.join(dir, 'outage'),
        jobs: {
          redisUrl: `redis://127.0.0.1:${proxy.port}`,
          work: false,
          queueName: uniqueQueueName(),
          log: (level, message) => logged.push([level, message]),
        },
      });
    });
    afterAll(async () => {
      await proxy.restore();
      await montu?.close();
      await proxy.close();
    });

    it('is logged once when it starts and once when it ends; ping fails meanwhile, naming Redis', async () => {
      const queue = montu.jobs!.queue;
      await queue.ping!();
      await proxy.cut();
      await waitFor(async () => logged.some(([l, m]) => l === 'warn' && /unreachable/.test(m)), 20_000);
      await expect(queue.ping!(300)).rejects.toThrow(/Redis at redis:\/\/127\.0\.0\.1:\d+/);
      expect(logged.filter(([, m]) => /unreachable/.test(m))).toHaveLength(1);
      await proxy.restore();
      await waitFor(async () => logged.some(([l, m]) => l === 'info' && /reachable again/.test(m)), 30_000);
      await queue.ping!(5000);
    });
  });

  it('an upload while Redis is away answers; its jobs run once Redis is back', async () => {
    const target = new URL(REDIS_URL!);
    const relay = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const queueName = uniqueQueueName();
    const data = path.join(dir, 'shared');
    // The API server's library reaches Redis through the relay; the worker's directly, with a
    // reconcile interval (its lease) far beyond the test, so only the server can publish the job.
    const server = await openMontu({
      dataDir: data,
      jobs: { redisUrl: `redis://127.0.0.1:${relay.port}`, work: false, queueName },
    });
    const worker = await openMontu({
      dataDir: data,
      jobs: { redisUrl: REDIS_URL!, work: true, queueName, leaseMs: 600_000 },
    });
    try {
      await relay.cut();
      const id = await server.media.uploadMedia({
        filePath: png,
        projectId: 'RED',
        taskId: 'sh020',
        author: 'qa',
      });
      const queued = await server.jobs!.list({ mediaId: id });
      expect(queued.length).toBeGreaterThan(0);
      expect(queued.every((j) => j.state === 'queued')).toBe(true);
      await relay.restore();
      await waitFor(
        async () => (await server.jobs!.list({ mediaId: id, type: 'probe' }))[0]?.state === 'done',
        60_000,
        'the probe job after Redis came back',
      );
    } finally {
      await worker.close();
      await server.close();
      await relay.close();
    }
  });

  it('a worker on another database logs the job it cannot find', async () => {
    const queueName = uniqueQueueName();
    const logged: string[] = [];
    // The "server" queues on its database; the "worker" shares the Redis queue, not the database.
    const server = await openMontu({
      dataDir: path.join(dir, 'server'),
      jobs: { redisUrl: REDIS_URL!, work: false, queueName },
    });
    const worker = await openMontu({
      dataDir: path.join(dir, 'worker'),
      jobs: { redisUrl: REDIS_URL!, work: true, queueName, log: (_l, m) => logged.push(m) },
    });
    try {
      const id = await server.media.uploadMedia({
        filePath: png,
        projectId: 'RED',
        taskId: 'sh010',
        author: 'qa',
      });
      const job = (await server.jobs!.list({ mediaId: id }))[0]!;
      await waitFor(async () => logged.some((m) => m.includes(job.id)), 30_000);
      expect(logged.find((m) => m.includes(job.id))).toMatch(
        /delivered job \S+, which this process's database does not know: is this worker on the same database/,
      );
    } finally {
      await worker.close();
      await server.close();
    }
  });
});

import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMontu, verifySignature, type WebhookPayload } from '../../src/index.js';
import { WEBHOOK_LIST_TTL_MS } from '../../src/webhooks/webhook-service.js';
import { embeddedIpv4, isForbiddenWebhookAddress, WebhookTargets } from '../../src/webhooks/webhook-send.js';
import { DATABASES } from '../helpers/env.js';
import { reviewFixture, type ReviewFixture } from './helpers.js';

interface Received {
  path: string;
  delivery: string;
  signature: string;
  body: string;
  payload: WebhookPayload;
}

async function receiver(handler: (r: Received, n: number) => number = () => 200) {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = {
        path: req.url ?? '',
        delivery: String(req.headers['montu-delivery']),
        signature: String(req.headers['montu-signature']),
        body,
        payload: JSON.parse(body) as WebhookPayload,
      };
      got.push(r);
      const status = handler(r, got.filter((g) => g.path === r.path).length);
      if (status >= 300 && status < 400) res.setHeader('location', `${url}/redirected`);
      res.statusCode = status;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, got, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const LOOPBACK = ['127.0.0.1/32', '::1'];

async function until(cond: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const kind of DATABASES) {
  describe(`webhooks (${kind})`, () => {
    let fx: ReviewFixture;
    let rx: Awaited<ReturnType<typeof receiver>>;
    beforeAll(async () => {
      rx = await receiver((r, n) =>
        r.path === '/flaky' && n <= 3 ? 500 : r.path === '/redirect' ? 302 : 200,
      );
      fx = await reviewFixture(kind);
      // The receiver is on loopback: these tests name it on the allow-list, as a studio names its
      // pipeline services.
      await fx.lib.reopen({
        jobs: false,
        webhooks: { baseDelayMs: 20, pollMs: 50, allowNetworks: LOOPBACK },
      });
    });
    afterAll(async () => {
      await fx.lib.cleanup();
      await rx.close();
    });

    it('refuses non-http(s) URLs', async () => {
      await expect(
        fx.lib.montu.webhooks.createWebhook({ url: 'ftp://x/y', createdBy: 'root' }),
      ).rejects.toMatchObject({ code: 'validation_error' });
      await expect(
        fx.lib.montu.webhooks.createWebhook({ url: 'file:///etc/passwd', createdBy: 'root' }),
      ).rejects.toMatchObject({ code: 'validation_error' });
    });

    it('refuses link-local, multicast and unspecified addresses, whatever the allow-list says', async () => {
      for (const url of [
        'http://169.254.169.254/latest/meta-data/',
        'http://[::ffff:169.254.169.254]/',
        'http://[fe80::1]/hook',
        'http://[fd00:ec2::254]/',
        'http://0.0.0.0:8080/',
        'http://0/',
        'http://2852039166/', // 169.254.169.254 written as one number
        'http://239.1.2.3/',
      ]) {
        await expect(
          fx.lib.montu.webhooks.createWebhook({ url, createdBy: 'root' }),
          url,
        ).rejects.toMatchObject({
          code: 'validation_error',
          message: expect.stringMatching(/may not reach/),
        });
      }
      expect(isForbiddenWebhookAddress('169.254.10.20')).toBe(true);
      expect(isForbiddenWebhookAddress('::ffff:a9fe:a9fe')).toBe(true);
      // The allow-list never opens link-local addresses.
      expect(isForbiddenWebhookAddress('169.254.169.254', new WebhookTargets(['169.254.0.0/16']))).toBe(true);
      for (const ok of ['8.8.8.8', '2001:4860:4860::8888', '64:ff9b::808:808', '192.0.2.10']) {
        expect(isForbiddenWebhookAddress(ok), ok).toBe(false);
      }
      expect(embeddedIpv4('64:ff9b::7f00:1')).toBe('127.0.0.1');
      expect(embeddedIpv4('::127.0.0.1')).toBe('127.0.0.1');
      expect(embeddedIpv4('::ffff:10.0.0.1')).toBe('10.0.0.1');
      expect(embeddedIpv4('64:ff9b:1::a00:1')).toBe('10.0.0.1');
      expect(embeddedIpv4('::1')).toBeNull();
    });

    it('refuses loopback and private addresses, in every IPv6 form, unless the allow-list names them', async () => {
      // Regression (issue 20, item 7): these were allowed by default.
      const internal = [
        '127.0.0.1',
        '::1',
        '10.1.2.3',
        '172.16.5.5',
        '192.168.0.10',
        '100.64.0.1',
        'fd12::5',
        '::ffff:127.0.0.1',
        '::7f00:1', // IPv4-compatible ::/96
        '64:ff9b::7f00:1', // NAT64 64:ff9b::/96 → 127.0.0.1
        '64:ff9b::a01:203', // NAT64 → 10.1.2.3
        '64:ff9b:1::c0a8:a', // local-use NAT64 → 192.168.0.10
      ];
      for (const a of internal) expect(isForbiddenWebhookAddress(a), a).toBe(true);
      const studio = new WebhookTargets(['10.0.0.0/8', '127.0.0.1']);
      for (const a of ['10.1.2.3', '64:ff9b::a01:203', '127.0.0.1', '::ffff:127.0.0.1'])
        expect(isForbiddenWebhookAddress(a, studio), a).toBe(false);
      for (const a of ['192.168.0.10', '::1', '172.16.5.5'])
        expect(isForbiddenWebhookAddress(a, studio), a).toBe(true);
      expect(() => new WebhookTargets(['10.0.0.0/33'])).toThrow(/not an address or a CIDR range/);
      expect(() => new WebhookTargets(['intranet'])).toThrow(/not an address or a CIDR range/);

      // This library allows loopback only: a private URL is refused when saved, naming the setting.
      await expect(
        fx.lib.montu.webhooks.createWebhook({ url: 'http://10.1.2.3/montu', createdBy: 'root' }),
      ).rejects.toMatchObject({
        code: 'validation_error',
        message: expect.stringMatching(/MONTU_WEBHOOK_ALLOW_NETWORKS/),
      });
      await expect(
        fx.lib.montu.webhooks.createWebhook({ url: 'http://[64:ff9b::a01:203]/montu', createdBy: 'root' }),
      ).rejects.toMatchObject({ code: 'validation_error' });
      const hook = await fx.lib.montu.webhooks.createWebhook({
        url: 'http://127.0.0.1:1/montu',
        active: false,
        createdBy: 'root',
      });
      await fx.lib.montu.webhooks.deleteWebhook(hook.id, { actor: 'root' });
    });

    it('records the same lastError for a closed port and an open one that is not HTTP', async () => {
      // Regression (issue 20, item 7): "ECONNREFUSED" against "socket hang up" told which ports
      // are open on hosts the server can reach.
      const silent = net.createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const open = (silent.address() as AddressInfo).port;
      const { webhooks, events } = fx.lib.montu;
      try {
        const hooks = await Promise.all(
          [`http://127.0.0.1:${open}/x`, 'http://127.0.0.1:1/x'].map((url) =>
            webhooks.createWebhook({ url, events: ['media.archived'], createdBy: 'root' }),
          ),
        );
        events.publish({ type: 'media.archived', projectId: 'SWA', data: {} });
        await webhooks.drain();
        const errors = async () =>
          Promise.all(hooks.map(async (h) => (await webhooks.listDeliveries(h.id))[0]?.lastError ?? null));
        await until(async () => (await errors()).every((e) => e !== null));
        const [a, b] = await errors();
        expect(a).toBe(b);
        expect(a).not.toMatch(/ECONNREFUSED|hang up|reset|127\.0\.0\.1|:\d+/);
        for (const h of hooks) await webhooks.deleteWebhook(h.id, { actor: 'root' });
      } finally {
        silent.close();
      }
    });

    it('delivers to a host name, resolved and checked at connection time', async () => {
      const { webhooks, events } = fx.lib.montu;
      const hook = await webhooks.createWebhook({
        url: `${rx.url.replace('127.0.0.1', 'localhost')}/by-name`,
        events: ['media.updated'],
        createdBy: 'root',
      });
      events.publish({ type: 'media.updated', projectId: 'SWA', data: { byName: true } });
      await webhooks.drain();
      await until(async () => (await webhooks.listDeliveries(hook.id))[0]?.state === 'delivered');
      expect(rx.got.filter((g) => g.path === '/by-name')).toHaveLength(1);
      await webhooks.deleteWebhook(hook.id, { actor: 'root' });
    });

    it('delivers every review and ingest event exactly once with a valid signature', async () => {
      const { webhooks, review, events, notes } = fx.lib.montu;
      const hook = await webhooks.createWebhook({ url: `${rx.url}/all`, createdBy: 'root' });
      const id = await fx.upload();
      await review.submitForReview(id, 'ann', { role: 'artist' });
      await notes.addNote(id, { content: 'n', author: 'sue', frame: 3 });
      // The job code publishes these; webhooks subscribe generically.
      events.publish({
        type: 'processing.finished',
        projectId: 'SWA',
        mediaId: id,
        data: { job: 'thumbnail' },
      });
      events.publish({ type: 'processing.failed', projectId: 'SWA', mediaId: id, data: { error: 'boom' } });
      events.publish({ type: 'job.progress', projectId: 'SWA', mediaId: id, data: { progress: 0.5 } });
      await webhooks.drain();
      const mine = rx.got.filter((g) => g.path === '/all');
      // Delivery order is not guaranteed (concurrent sends, retries): each event arrives exactly once.
      expect(mine.map((g) => g.payload.type).sort()).toEqual([
        'annotation.created',
        'media.created',
        'media.status_changed',
        'processing.failed',
        'processing.finished',
      ]);
      for (const g of mine) {
        expect(verifySignature(hook.secret, g.body, g.signature)).toBe(true);
        expect(verifySignature('wrong-secret-wrong-secret', g.body, g.signature)).toBe(false);
        expect(verifySignature(hook.secret, g.body + ' ', g.signature)).toBe(false);
      }
      expect(new Set(mine.map((g) => g.delivery)).size).toBe(mine.length);
      expect(new Set(mine.map((g) => g.payload.id)).size).toBe(mine.length);
      const status = mine.find((g) => g.payload.type === 'media.status_changed')!.payload;
      expect(status).toMatchObject({
        mediaId: id,
        actor: 'ann',
        data: { from: 'wip', to: 'pending_review' },
      });
      const log = await webhooks.listDeliveries(hook.id);
      expect(log.every((d) => d.state === 'delivered' && d.attempts === 1)).toBe(true);
      await webhooks.updateWebhook(hook.id, { active: false, actor: 'root' });
    });

    it('retries with backoff: a receiver failing three times then succeeding gets it once more', async () => {
      const { webhooks, notes } = fx.lib.montu;
      const hook = await webhooks.createWebhook({
        url: `${rx.url}/flaky`,
        events: ['annotation.*'],
        projectId: 'SWA',
        createdBy: 'root',
      });
      const id = await fx.upload();
      await notes.addNote(id, { content: 'retry me', author: 'sue' });
      await until(async () => (await webhooks.listDeliveries(hook.id))[0]?.state === 'delivered');
      const hits = rx.got.filter((g) => g.path === '/flaky');
      expect(hits).toHaveLength(4);
      expect(new Set(hits.map((h) => h.delivery)).size).toBe(1);
      expect(hits.every((h) => h.payload.type === 'annotation.created')).toBe(true);
      const [d] = await webhooks.listDeliveries(hook.id);
      expect(d).toMatchObject({ state: 'delivered', attempts: 4, lastStatus: 200 });
      await webhooks.updateWebhook(hook.id, { active: false, actor: 'root' });
    });

    it('does not follow redirects', async () => {
      await fx.lib.reopen({
        jobs: false,
        webhooks: { baseDelayMs: 10, pollMs: 50, maxAttempts: 2, allowNetworks: LOOPBACK },
      });
      const hook = await fx.lib.montu.webhooks.createWebhook({
        url: `${rx.url}/redirect`,
        events: ['annotation.created'],
        createdBy: 'root',
      });
      const id = await fx.upload();
      await fx.lib.montu.notes.addNote(id, { content: 'x', author: 'sue' });
      await until(async () => (await fx.lib.montu.webhooks.listDeliveries(hook.id))[0]?.state === 'failed');
      expect(rx.got.some((g) => g.path === '/redirected')).toBe(false);
      const [d] = await fx.lib.montu.webhooks.listDeliveries(hook.id);
      expect(d!.lastError).toMatch(/redirect 302 not followed/);
      await fx.lib.montu.webhooks.deleteWebhook(hook.id, { actor: 'root' });
    });

    it('applies a webhook another process created within WEBHOOK_LIST_TTL_MS', async () => {
      const { webhooks, events, db } = fx.lib.montu;
      // An event first, so this process holds a fresh list of active webhooks.
      events.publish({ type: 'media.updated', projectId: 'SWA', data: { warm: true } });
      await webhooks.drain();
      // Another API process (the same database) adds a webhook: a row this process never saw written.
      const now = new Date().toISOString();
      await db
        .insertInto('webhook')
        .values({
          id: 'hook-from-elsewhere',
          url: `${rx.url}/elsewhere`,
          secret: 'another-process-secret-0123456789',
          events: JSON.stringify(['media.updated']),
          project_id: null,
          active: 1,
          description: '',
          created_by: 'root',
          created_at: now,
          updated_at: now,
        })
        .execute();
      await new Promise((r) => setTimeout(r, WEBHOOK_LIST_TTL_MS + 50));
      events.publish({ type: 'media.updated', projectId: 'SWA', data: { after: true } });
      await webhooks.drain();
      await until(() => rx.got.some((g) => g.path === '/elsewhere' && g.payload.data['after'] === true));
      await db.deleteFrom('webhook_delivery').where('webhook_id', '=', 'hook-from-elsewhere').execute();
      await db.deleteFrom('webhook').where('id', '=', 'hook-from-elsewhere').execute();
    });

    it('keeps pending deliveries across a restart', async () => {
      await fx.lib.reopen({ jobs: false, webhooks: { deliver: false, allowNetworks: LOOPBACK } });
      const hook = await fx.lib.montu.webhooks.createWebhook({
        url: `${rx.url}/durable`,
        events: ['media.created'],
        createdBy: 'root',
      });
      await fx.upload();
      await fx.upload();
      await fx.lib.montu.webhooks.drain();
      expect(rx.got.filter((g) => g.path === '/durable')).toHaveLength(0);
      expect((await fx.lib.montu.webhooks.listDeliveries(hook.id, { state: 'pending' })).length).toBe(2);
      await fx.lib.reopen({
        jobs: false,
        webhooks: { baseDelayMs: 20, pollMs: 50, allowNetworks: LOOPBACK },
      });
      await until(() => rx.got.filter((g) => g.path === '/durable').length === 2);
      await new Promise((r) => setTimeout(r, 200));
      expect(rx.got.filter((g) => g.path === '/durable')).toHaveLength(2);
    });
  });
}

// Deliveries are `webhook.deliver` jobs: in scale mode they travel through BullMQ (a queue of their
// own) to whichever process works them; an API process that works no jobs only records them.
const REDIS_URL = process.env['MONTU_TEST_REDIS_URL'];
describe.runIf(REDIS_URL)('webhooks over BullMQ', () => {
  it('an API process records a delivery, a worker process sends it, retrying a failure', async () => {
    const rx = await receiver((r, n) => (r.path === '/scale' && n <= 1 ? 503 : 200));
    const queueName = `montu-test-${Math.random().toString(36).slice(2, 10)}`;
    const jobs = { redisUrl: REDIS_URL!, queueName };
    const fx = await reviewFixture('sqlite');
    const api = await fx.lib.reopen({
      jobs: { ...jobs, work: false },
      webhooks: { baseDelayMs: 20, allowNetworks: LOOPBACK },
    });
    const worker = await openMontu({
      dataDir: fx.lib.dir,
      databaseUrl: fx.lib.databaseUrl,
      storage: { type: 'local', root: fx.lib.storageRoot },
      jobs: { ...jobs, work: true },
      webhooks: { baseDelayMs: 20, allowNetworks: LOOPBACK },
    });
    try {
      const hook = await api.webhooks.createWebhook({
        url: `${rx.url}/scale`,
        events: ['media.updated'],
        createdBy: 'root',
      });
      api.events.publish({ type: 'media.updated', projectId: 'SWA', data: { scale: true } });
      await until(async () => (await api.webhooks.listDeliveries(hook.id))[0]?.state === 'delivered');
      const hits = rx.got.filter((g) => g.path === '/scale');
      expect(hits).toHaveLength(2);
      expect(new Set(hits.map((h) => h.delivery)).size).toBe(1);
      const [d] = await api.webhooks.listDeliveries(hook.id);
      expect(d).toMatchObject({ state: 'delivered', attempts: 2, lastStatus: 200 });
    } finally {
      await worker.close();
      await fx.lib.cleanup();
      await rx.close();
    }
  });
});

/**
 * S3 faults: a fault-injecting TCP proxy (node:net, loopback) between the S3 backend and a real
 * s3rver drops connections in the middle of request bodies. A few drops: the SDK retries and the
 * object arrives intact (single PutObject and multipart). Drops on every connection: a clean
 * `StorageError`, and nothing visible in the bucket (listed on s3rver directly, not through the
 * proxy).
 */
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, MontuError, StorageError } from '@montu/core';
import { startS3rver, type S3rverHandle } from '../../packages/core/test/helpers/s3rver.js';

interface FaultProxy {
  endpoint: string;
  /** Connections still to be cut (Infinity: every one). */
  dropNext: number;
  /** Bytes a client may send on a connection before it is cut (past the request head). */
  dropAfterBytes: number;
  drops: number;
  connections: number;
  close(): Promise<void>;
}

async function startFaultProxy(target: string): Promise<FaultProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const proxy: FaultProxy = {
    endpoint: '',
    dropNext: 0,
    dropAfterBytes: 64 * 1024,
    drops: 0,
    connections: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = net.createServer((client) => {
    proxy.connections++;
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let sent = 0;
    let armed = false; // a connection is cut only once it carries a body bigger than the threshold
    client.on('data', (d: Buffer) => {
      sent += d.length;
      if (!armed && sent > proxy.dropAfterBytes && proxy.dropNext > 0) {
        armed = true;
        proxy.dropNext--;
        proxy.drops++;
        // Forward only part of this chunk, then reset both sides: a body cut mid-stream.
        upstream.write(d.subarray(0, Math.floor(d.length / 2)));
        client.resetAndDestroy();
        upstream.resetAndDestroy();
        return;
      }
      if (!upstream.write(d)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (d: Buffer) => {
      if (!client.write(d)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy.endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return proxy;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('S3 faults: connections dropped mid-upload (fault proxy in front of s3rver)', () => {
  let s3: S3rverHandle;
  let proxy: FaultProxy;
  const direct = () => createStorage(s3.storageConfig());
  const viaProxy = () =>
    createStorage({
      ...s3.storageConfig(),
      endpoint: proxy.endpoint,
      maxAttempts: 4,
      partSizeBytes: 5 * 1024 * 1024,
      queueSize: 2,
    });

  beforeAll(async () => {
    s3 = await startS3rver();
    proxy = await startFaultProxy(s3.endpoint);
  });
  afterAll(async () => {
    await proxy?.close();
    await s3?.close();
  });

  async function listed(): Promise<string[]> {
    const keys: string[] = [];
    for await (const o of direct().list()) keys.push(o.key);
    return keys;
  }

  it('retries a single PutObject cut twice and stores it intact', async () => {
    const body = randomBytes(1024 * 1024);
    proxy.dropNext = 2;
    proxy.drops = 0;
    const stored = await viaProxy().put('SWA/sh010/v001/single.bin', Readable.from([body]));
    expect(proxy.drops).toBe(2);
    expect(stored.sha256).toBe(sha(body));
    const chunks: Buffer[] = [];
    for await (const c of await direct().get('SWA/sh010/v001/single.bin')) chunks.push(c as Buffer);
    expect(sha(Buffer.concat(chunks))).toBe(sha(body));
  });

  it('retries multipart parts cut mid-body and completes the object intact', async () => {
    const body = randomBytes(12 * 1024 * 1024); // three 5 MiB parts
    proxy.dropNext = 3;
    proxy.drops = 0;
    proxy.dropAfterBytes = 1024 * 1024;
    const stored = await viaProxy().put(
      'SWA/sh010/v002/multi.bin',
      Readable.from([body.subarray(0, 7e6), body.subarray(7e6)]),
    );
    expect(proxy.drops).toBe(3);
    expect(stored.sha256).toBe(sha(body));
    const chunks: Buffer[] = [];
    for await (const c of await direct().get('SWA/sh010/v002/multi.bin')) chunks.push(c as Buffer);
    expect(sha(Buffer.concat(chunks))).toBe(sha(body));
    proxy.dropAfterBytes = 64 * 1024;
  });

  it('gives a clean StorageError after the retries when every connection drops, and leaves nothing in the bucket', async () => {
    const before = await listed();
    for (const [key, size] of [
      ['SWA/sh020/v001/never.bin', 1024 * 1024],
      ['SWA/sh020/v002/never-multi.bin', 11 * 1024 * 1024],
    ] as const) {
      proxy.dropNext = Infinity;
      proxy.drops = 0;
      const started = Date.now();
      const err = await viaProxy()
        .put(key, Readable.from([randomBytes(size)]))
        .then(
          () => null,
          (e: unknown) => e,
        );
      proxy.dropNext = 0;
      expect(err, key).toBeInstanceOf(StorageError);
      expect((err as MontuError).code).toBe('storage_error');
      expect((err as Error).message).toMatch(/S3|object store|bucket|store/i);
      expect(proxy.drops, 'the SDK retried').toBeGreaterThanOrEqual(4);
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(await direct().stat(key)).toBeNull();
    }
    expect(await listed()).toEqual(before);
  });
});

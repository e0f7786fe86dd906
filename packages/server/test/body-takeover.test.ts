/**
 * Large bodies read straight from the socket (body-takeover.ts), on a plain Node HTTP server
 * over loopback: the bytes arrive whole and in order whether the consumer copies them at once
 * or pauses in the middle and copies later; bytes that came with the head are not lost; bytes
 * past the declared length are not part of the body; a connection cut early fails the stream;
 * small bodies, chunked bodies and MONTU_SOCKET_READS=off are left to Node's parser.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { takeOverBody, TAKEOVER_MIN_BYTES } from '../src/body-takeover.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  delete process.env.MONTU_SOCKET_READS;
});

async function serve(handler: Handler): Promise<number> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Reads `body` the way sinkToFile does: copies in 'data', or pauses and copies later. */
function collect(body: Readable, pauseEvery = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    let n = 0;
    body.on('data', (chunk: Buffer) => {
      if (pauseEvery > 0 && ++n % pauseEvery === 0) {
        body.pause();
        // Hold the chunk (not a copy) across the pause: no read may overwrite it meanwhile.
        setTimeout(() => {
          out.push(Buffer.from(chunk));
          body.resume();
        }, 2);
        return;
      }
      out.push(Buffer.from(chunk));
    });
    body.on('end', () => resolve(Buffer.concat(out)));
    body.on('error', reject);
  });
}

/**
 * Sends a raw HTTP request — `first`, then (once `gate` settles) `rest` — and returns the
 * answer's text once the connection closes. With `cutAt`, the client goes after that many
 * bytes of `rest`.
 */
function rawRequest(
  port: number,
  first: Buffer,
  rest: Buffer,
  opts: { gate?: Promise<unknown>; cutAt?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', (e) => (opts.cutAt !== undefined ? resolve(answer) : reject(e)));
    socket.write(first);
    const end = opts.cutAt ?? rest.length;
    let off = 0;
    const pump = () => {
      while (off < end) {
        const piece = rest.subarray(off, Math.min(end, off + (1 << 20)));
        off += piece.length;
        if (!socket.write(piece)) return void socket.once('drain', pump);
      }
      if (opts.cutAt !== undefined) socket.end();
    };
    void Promise.resolve(opts.gate).then(pump, reject);
  });
}

const putHead = (length: number) =>
  `PUT /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${length}\r\nContent-Type: application/octet-stream\r\n\r\n`;

describe('reading a large body from the socket', () => {
  it.each([
    ['lending views, copied at once', true, 0],
    ['lending views, every 7th held across a pause', true, 7],
    ['handing out copies, every 7th held across a pause', false, 7],
  ])('delivers every byte in order, %s', async (_label, lend, pauseEvery) => {
    const payload = randomBytes(3 * TAKEOVER_MIN_BYTES + 12_345);
    let taken = false;
    const port = await serve((req, res) => {
      const body = takeOverBody(req, { lend });
      taken = body !== undefined;
      if (!body) return void res.end('not taken');
      // What early-answers.ts does for every taken-over request in the service.
      res.setHeader('connection', 'close');
      void collect(body, pauseEvery).then(
        (got) => res.end(`${got.length} ${sha(got)}`),
        (e: Error) => res.end(`error ${e.message}`),
      );
    });
    const res = await fetch(`http://127.0.0.1:${port}/x`, { method: 'PUT', body: payload });
    expect(await res.text()).toBe(`${payload.length} ${sha(payload)}`);
    expect(taken).toBe(true);
  });

  it('keeps body bytes that came with the head and drops bytes past the declared length', async () => {
    const payload = randomBytes(2 * TAKEOVER_MIN_BYTES);
    let parsed!: () => void;
    const gate = new Promise<void>((r) => (parsed = r));
    const port = await serve((req, res) => {
      // Let the parser hand the first body bytes to the request before taking over.
      setTimeout(() => {
        const body = takeOverBody(req);
        if (!body) return void res.end('not taken');
        parsed();
        void collect(body).then((got) => {
          // What early-answers.ts does for every taken-over request in the service.
          res.setHeader('connection', 'close');
          res.end(`${got.length} ${sha(got)}`);
        });
      }, 20);
    });
    // The head and 1000 body bytes in one write, the rest after, then a second request's bytes.
    const answer = await rawRequest(
      port,
      Buffer.concat([Buffer.from(putHead(payload.length)), payload.subarray(0, 1000)]),
      Buffer.concat([payload.subarray(1000), Buffer.from(putHead(5) + 'hello')]),
      { gate },
    );
    expect(answer).toContain(`${payload.length} ${sha(payload)}`);
    // Only one answer: the connection closed after the taken-over request.
    expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(answer).toMatch(/connection: close/i);
  });

  it('fails the stream and drops the connection when the peer stops mid-body', async () => {
    const payload = randomBytes(2 * TAKEOVER_MIN_BYTES);
    let outcome: Promise<string> | undefined;
    const port = await serve((req) => {
      const body = takeOverBody(req)!;
      outcome = collect(body).then(
        (got) => `ended with ${got.length}`,
        (e: NodeJS.ErrnoException) => `${e.code}`,
      );
    });
    const head = Buffer.from(putHead(payload.length));
    await rawRequest(port, head, payload, { cutAt: TAKEOVER_MIN_BYTES + 5 });
    await expect.poll(() => outcome).toBeDefined();
    expect(await outcome).toBe('ERR_STREAM_PREMATURE_CLOSE');
  });

  it('leaves small bodies, chunked bodies and a switched-off server to the parser', async () => {
    const seen: string[] = [];
    const port = await serve((req, res) => {
      seen.push(takeOverBody(req) ? 'taken' : 'parser');
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const url = `http://127.0.0.1:${port}/x`;
    await (await fetch(url, { method: 'PUT', body: randomBytes(TAKEOVER_MIN_BYTES / 2) })).text();
    // A stream body without a length goes out chunked.
    const chunked = new ReadableStream({
      start(c) {
        c.enqueue(randomBytes(TAKEOVER_MIN_BYTES * 2));
        c.close();
      },
    });
    await (await fetch(url, { method: 'PUT', body: chunked, duplex: 'half' } as RequestInit)).text();
    process.env.MONTU_SOCKET_READS = 'off';
    await (await fetch(url, { method: 'PUT', body: randomBytes(TAKEOVER_MIN_BYTES * 2) })).text();
    expect(seen).toEqual(['parser', 'parser', 'parser']);
  });
});

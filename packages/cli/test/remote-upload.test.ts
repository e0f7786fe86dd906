/**
 * Uploads of the remote backend against a small local server: an early answer is the error.
 * (The streamed request itself — head, file, tail, Content-Length, token, progress — is tested
 * where it lives: packages/client/test/node-upload.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../src/errors.js';
import { RemoteBackend } from '../src/remote.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

function tempFile(bytes: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-upload-'));
  const file = path.join(dir, 'f.bin');
  fs.writeFileSync(file, bytes);
  return file;
}

describe('RemoteBackend.uploadFile', () => {
  it('an answer before the body is read is the error, even if the server keeps the connection open', async () => {
    const url = await serve((req, res) => {
      // A file this large first asks whether direct-to-S3 uploads are offered (decision 160):
      // not here, and that answer closes its connection, so only the upload's is left to watch.
      if (req.method === 'GET' && req.url === '/api/v1/uploads/direct') {
        res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify({ offered: false }));
        return;
      }
      // Never reads the body and never closes the connection.
      res.writeHead(422, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ title: 'Unsupported', detail: 'not a media file', code: 'validation_error' }));
    });
    const started = Date.now();
    const err = await new RemoteBackend(url, undefined)
      .uploadFile({ filePath: tempFile(randomBytes(32 << 20)), projectId: 'P', taskId: 't', author: 'a' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).message).toBe('not a media file (HTTP 422)');
    expect((err as CliError).exitCode).toBe(EXIT.validation);
    expect(Date.now() - started).toBeLessThan(5000);
    // The client let go of the connection (an unfinished request cannot be reused, and an open
    // socket would keep the CLI process alive).
    const server = servers[0]!;
    const open = async () => new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
    for (let i = 0; i < 40 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await open()).toBe(0);
  });
});

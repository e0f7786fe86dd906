/**
 * Starts a real S3 protocol server (`s3rver`) on loopback for tests, in a child process of its
 * own: its event loop does not compete with the code under test, a test may SIGKILL workers
 * without touching it, and a crashed test cannot leave it bound to a port (the child dies with
 * its parent's stdin pipe).
 *
 *   const s3 = await startS3rver();
 *   // { endpoint: 'http://127.0.0.1:PORT', bucket, region, accessKeyId, secretAccessKey, forcePathStyle }
 *   await s3.close();
 *
 * s3rver accepts the fixed credentials S3RVER / S3RVER and path-style addressing. It does not
 * implement ListMultipartUploads, AbortMultipartUpload, UploadPartCopy or S3 checksums.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export interface S3rverHandle {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: true;
  /** The folder s3rver keeps its buckets in (removed by close unless keepDirectory). */
  directory: string;
  /** The s3rver process id (tests that want to kill the store itself). */
  pid: number;
  /** A plain config for `createStorage` / `new S3Storage`. */
  storageConfig(extra?: { prefix?: string }): {
    type: 's3';
    bucket: string;
    prefix?: string;
    region: string;
    endpoint: string;
    forcePathStyle: true;
    accessKeyId: string;
    secretAccessKey: string;
  };
  /** Creates another bucket on the same server. */
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface S3rverOptions {
  /** Bucket to create; a random `montu-test-…` name by default. */
  bucket?: string;
  /** Keep data here instead of a fresh temporary folder. */
  directory?: string;
  keepDirectory?: boolean;
  /** Print s3rver's request log to stderr (for debugging a test). */
  verbose?: boolean;
  startTimeoutMs?: number;
  /** A bucket CORS configuration (S3's XML), for a browser that PUTs to presigned URLs. */
  cors?: string;
}

const require = createRequire(import.meta.url);

/** The child: runs s3rver on 127.0.0.1:0, reports its port on stdout, exits when stdin closes. */
const CHILD_SOURCE = `
const S3rver = require(process.env.S3RVER_MODULE);
const buckets = JSON.parse(process.env.S3RVER_BUCKETS);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: process.env.S3RVER_VERBOSE !== '1',
  directory: process.env.S3RVER_DIR,
  configureBuckets: buckets.map((name) => ({ name, configs: process.env.S3RVER_CORS ? [process.env.S3RVER_CORS] : [] })),
  vhostBuckets: false,
});
server.run().then(
  (addr) => process.stdout.write(JSON.stringify({ port: addr.port }) + '\\n'),
  (err) => { process.stderr.write(String(err && err.stack || err) + '\\n'); process.exit(1); },
);
process.stdin.on('data', async (d) => {
  if (String(d).includes('close')) { try { await server.close(); } finally { process.exit(0); } }
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function randomBucketName(): string {
  return `montu-test-${randomBytes(5).toString('hex')}`;
}

export async function startS3rver(options: S3rverOptions = {}): Promise<S3rverHandle> {
  const bucket = options.bucket ?? randomBucketName();
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? fs.mkdtempSync(path.join(os.tmpdir(), 'montu-s3rver-'));
  fs.mkdirSync(directory, { recursive: true });

  // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers
  // through its legacy provider: without it, every paginated listing fails with HTTP 500.
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD_SOURCE], {
    env: {
      ...process.env,
      S3RVER_MODULE: require.resolve('s3rver'),
      S3RVER_BUCKETS: JSON.stringify([bucket]),
      S3RVER_DIR: directory,
      S3RVER_VERBOSE: options.verbose ? '1' : '0',
      S3RVER_CORS: options.cors ?? '',
    },
    stdio: ['pipe', 'pipe', options.verbose ? 'inherit' : 'pipe'],
  });
  live.add(child);
  installExitHook();

  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });

  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`s3rver did not start within ${options.startTimeoutMs ?? 20_000} ms. ${stderr}`));
    }, options.startTimeoutMs ?? 20_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      try {
        resolve((JSON.parse(out.slice(0, nl)) as { port: number }).port);
      } catch (e) {
        reject(new Error(`s3rver printed something unexpected: ${out.slice(0, 200)} (${String(e)})`));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited before it was ready (code ${code}, signal ${signal}). ${stderr}`));
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  }).catch((e: unknown) => {
    live.delete(child);
    if (ownDirectory && !options.keepDirectory) fs.rmSync(directory, { recursive: true, force: true });
    throw e;
  });
  // Drain further output so a chatty child never blocks on a full pipe.
  child.stdout?.resume();

  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  let closed: Promise<void> | undefined;

  const handle: S3rverHandle = {
    endpoint,
    bucket,
    region: 'us-east-1',
    ...credentials,
    forcePathStyle: true,
    directory,
    pid: child.pid ?? -1,
    storageConfig: (extra = {}) => ({
      type: 's3',
      bucket,
      ...(extra.prefix === undefined ? {} : { prefix: extra.prefix }),
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      ...credentials,
    }),
    async createBucket(name: string) {
      // s3rver accepts anonymous path-style requests; CreateBucket is a plain PUT /<name>.
      const res = await fetch(`${endpoint}/${encodeURIComponent(name)}`, { method: 'PUT' });
      if (!res.ok && res.status !== 409) {
        throw new Error(`s3rver refused to create bucket ${name}: ${res.status} ${await res.text()}`);
      }
      await res.arrayBuffer().catch(() => undefined);
    },
    close() {
      closed ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.stdin?.write('close\n');
          child.stdin?.end();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        }
        live.delete(child);
        if (ownDirectory && !options.keepDirectory) {
          await fs.promises.rm(directory, { recursive: true, force: true }).catch(() => undefined);
        }
      })();
      return closed;
    },
  };
  return handle;
}

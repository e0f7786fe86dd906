#!/usr/bin/env node
// Direct-to-S3 uploads against the proxied path, to the same S3 protocol server (s3rver on
// loopback) in the same run (decision 160). Each round uploads the same file twice with
// @montu/client/node: once through the API server (multipart below 128 MiB, tus above; the server streaming into its own
// multipart upload to the bucket) and once straight to the bucket (presigned parts in parallel;
// the server then reads the object back to verify it and copies it into place). The time is
// from the first byte read to the media record answered, so both include verification.
// Env: BENCH_DIRECT_MB (default 96), BENCH_ROUNDS (default 3). Needs `npm run build`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, startServer } from '@montu/server';
import { MontuNodeClient } from '@montu/client/node';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const MB = Number(process.env.BENCH_DIRECT_MB ?? 96);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BUCKET = 'montu-bench-direct';

/** s3rver in a child process (as the tests run it): its event loop is not the server's. */
async function startS3rver(dir) {
  const source = `
const S3rver = require(process.env.S3RVER_MODULE);
new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3RVER_DIR,
  configureBuckets: [{ name: '${BUCKET}', configs: [] }], vhostBuckets: false })
  .run().then((a) => process.stdout.write(JSON.stringify({ port: a.port }) + '\\n'));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();`;
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', source], {
    env: { ...process.env, S3RVER_MODULE: require.resolve('s3rver'), S3RVER_DIR: dir },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(JSON.parse(String(d)).port));
    child.once('exit', () => reject(new Error('s3rver exited')));
  });
  return { child, endpoint: `http://127.0.0.1:${port}` };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-bench-direct-'));
const s3 = await startS3rver(path.join(work, 's3'));
const config = loadConfig({
  dataDir: path.join(work, 'data'),
  port: 0,
  host: '127.0.0.1',
  logLevel: 'silent',
});
config.storage = {
  type: 's3',
  bucket: BUCKET,
  endpoint: s3.endpoint,
  forcePathStyle: true,
  region: 'us-east-1',
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
};
const server = await startServer(config, { print: () => undefined });
const client = new MontuNodeClient({ baseUrl: server.url, token: server.firstRun.token });
await client.createProject({ id: 'BENCH', name: 'Bench' });
const file = path.join(work, 'plate.png');
// A whole (tiny) PNG, then noise: sniffed as a PNG, incompressible.
const sharp = require('sharp');
const head = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
  .png()
  .toBuffer();
fs.writeFileSync(file, Buffer.concat([head, randomBytes(MB * 1024 * 1024 - head.length)]));

const times = { proxied: [], direct: [] };
let n = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of ['proxied', 'direct']) {
    const t0 = performance.now();
    const media = await client.uploadFile(file, {
      projectId: 'BENCH',
      taskId: `r${round}_${mode}`,
      direct: mode === 'direct',
    });
    times[mode].push((performance.now() - t0) / 1000);
    if (media.size !== MB * 1024 * 1024) throw new Error(`${mode}: stored ${media.size} bytes`);
    n++;
  }
}
await server.close();
s3.child.stdin.end();
fs.rmSync(work, { recursive: true, force: true });

const proxied = median(times.proxied);
const direct = median(times.direct);
const out = {
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    node: process.version,
    loadavgAtEnd: os.loadavg(),
  },
  sizeMiB: MB,
  rounds: ROUNDS,
  seconds: times,
  median: { proxied, direct },
  ratioDirectToProxied: direct / proxied,
};
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results/s3-direct.json'), JSON.stringify(out, null, 2) + '\n');
const f = (x, d = 2) => x.toFixed(d);
const mibs = (s) => f(MB / s, 0);
fs.writeFileSync(
  path.join(here, 'results/s3-direct.md'),
  `# s3-direct

${out.date} · ${out.machine.cpus} × ${out.machine.model} · Node ${out.machine.node} · SQLite + s3rver on loopback · load average at the end ${out.machine.loadavgAtEnd.map((x) => x.toFixed(2)).join(' ')} (a shared, busy machine). Produced by \`node bench/s3-direct-bench.mjs\`.

A ${MB} MiB file, ${ROUNDS} rounds, each uploading it through the API server (multipart \`POST /media\` below 128 MiB, tus above; the server streams it into its own upload to the bucket) and then straight to the bucket (decision 160: presigned parts, 4 at a time; the server then reads the object back to verify size and sha256 and copies it into place). Time from the start of the upload to the media record answered.

| path | median s | best s | MiB/s (median) |
|---|---:|---:|---:|
| proxied (through \`montu serve\`) | ${f(proxied)} | ${f(Math.min(...times.proxied))} | ${mibs(proxied)} |
| direct to S3 | ${f(direct)} | ${f(Math.min(...times.direct))} | ${mibs(direct)} |

**Direct / proxied: ${f(direct / proxied)}×** by the median (lower is faster; best rounds ${f(Math.min(...times.direct))} s direct against ${f(Math.min(...times.proxied))} s proxied). On loopback nothing is saved by not crossing a network, and s3rver, which shares the two cores, handles every byte of a direct upload four times (part writes, the concatenation on completion, the server's verifying read, the copy into place) against three for the proxied path; on S3 the concatenation and the copy happen inside the store, and what the direct path saves is the API server receiving every byte.
`,
);
console.log(`direct ${f(direct)} s, proxied ${f(proxied)} s: ${f(direct / proxied)}× (${n} uploads)`);

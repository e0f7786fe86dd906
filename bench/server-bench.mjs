#!/usr/bin/env node
// HTTP service benchmarks: upload throughput (multipart and tus) against `cp` of the same file
// on the same disk (goal ≥ 0.6×), and GET /api/v1/media/:id throughput with autocannon
// (goal ≥ 3,000 requests/s, SQLite). The server runs in its own process, as in production.
// Build first: npx tsc -b packages/server.  Run: node bench/server-bench.mjs
// Env: BENCH_UPLOAD_MB (default 1024), BENCH_GET_SECONDS (default 10), BENCH_CONNECTIONS (default 32).
// Writes bench/results/server.json and bench/results/server.md.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

const exec = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const tmp = path.join(here, 'tmp', 'server');
const results = path.join(here, 'results');
const corpus = process.env.MONTU_CORPUS ?? path.resolve(root, '../shared/corpus');
const MB = Number(process.env.BENCH_UPLOAD_MB ?? 1024);
const GET_SECONDS = Number(process.env.BENCH_GET_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

fs.rmSync(tmp, { recursive: true, force: true });
fs.mkdirSync(tmp, { recursive: true });
fs.mkdirSync(results, { recursive: true });

// The payload: a real JPEG (so it is recognised) padded with incompressible-looking filler.
const src = path.join(tmp, 'payload.jpg');
{
  const jpeg = fs.readFileSync(path.join(corpus, 'media/image/ExifTool.jpg'));
  const fd = fs.openSync(src, 'w');
  fs.writeSync(fd, jpeg);
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let i = 0; i < MB; i++) fs.writeSync(fd, block);
  fs.closeSync(fd);
}
const size = fs.statSync(src).size;
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

async function cpOnce(i) {
  const dst = path.join(tmp, `cp-${i}.jpg`);
  const t0 = process.hrtime.bigint();
  await exec('cp', [src, dst]);
  await exec('sync', [dst]).catch(() => exec('sync'));
  const s = seconds(t0);
  fs.rmSync(dst);
  return s;
}

// The server, in a child process, its data on the same disk as the cp copies.
const dataDir = path.join(tmp, 'data');
const child = spawn(
  process.execPath,
  [path.join(root, 'packages/server/test/fixtures/serve-child.mjs'), dataDir],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const { url, token } = JSON.parse(
  await new Promise((r) => readline.createInterface({ input: child.stdout }).once('line', r)),
);
const auth = { authorization: `Bearer ${token}` };

async function multipartOnce(i) {
  const boundary = 'bench-boundary-5c2e';
  const pre = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="projectId"\r\n\r\nBIG\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="taskId"\r\n\r\nbench_multipart_${i}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="payload.jpg"\r\n\r\n`,
  );
  const post = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* gen() {
    yield pre;
    for await (const chunk of fs.createReadStream(src, { highWaterMark: 1 << 20 })) yield chunk;
    yield post;
  }
  const t0 = process.hrtime.bigint();
  const r = await fetch(`${url}/api/v1/media`, {
    method: 'POST',
    headers: {
      ...auth,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(pre.length + size + post.length),
    },
    body: Readable.toWeb(Readable.from(gen())),
    duplex: 'half',
  });
  const body = await r.json();
  if (r.status !== 201) throw new Error(`multipart upload failed: ${r.status} ${JSON.stringify(body)}`);
  return { s: seconds(t0), id: body.id };
}

async function tusOnce(i) {
  const meta = (o) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
      .join(',');
  const t0 = process.hrtime.bigint();
  const c = await fetch(`${url}/api/v1/uploads`, {
    method: 'POST',
    headers: {
      ...auth,
      'tus-resumable': '1.0.0',
      'upload-length': String(size),
      'upload-metadata': meta({ filename: 'payload.jpg', projectId: 'BIG', taskId: `bench_tus_${i}` }),
    },
  });
  const r = await fetch(new URL(c.headers.get('location'), url), {
    method: 'PATCH',
    headers: {
      ...auth,
      'tus-resumable': '1.0.0',
      'upload-offset': '0',
      'content-type': 'application/offset+octet-stream',
      'content-length': String(size),
    },
    body: Readable.toWeb(fs.createReadStream(src, { highWaterMark: 1 << 20 })),
    duplex: 'half',
  });
  if (r.status !== 204) throw new Error(`tus upload failed: ${r.status} ${await r.text()}`);
  return { s: seconds(t0), id: r.headers.get('montu-media-id') };
}

const best = (xs) => Math.min(...xs);
const mbps = (s) => size / 1024 ** 2 / s;
try {
  const cp = [await cpOnce(0), await cpOnce(1)];
  const mp = [await multipartOnce(0), await multipartOnce(1)];
  const tus = [await tusOnce(0), await tusOnce(1)];
  const mediaId = mp[0].id;

  // Warm up, then measure GET /api/v1/media/:id.
  const cannon = (duration) =>
    autocannon({
      url: `${url}/api/v1/media/${mediaId}`,
      connections: CONNECTIONS,
      duration,
      headers: auth,
      pipelining: 1,
    });
  await cannon(2);
  const get = await cannon(GET_SECONDS);

  const out = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    upload: {
      bytes: size,
      cp: { seconds: best(cp), MBps: mbps(best(cp)) },
      multipart: {
        seconds: best(mp.map((x) => x.s)),
        MBps: mbps(best(mp.map((x) => x.s))),
        ratioToCp: best(cp) / best(mp.map((x) => x.s)),
      },
      tus: {
        seconds: best(tus.map((x) => x.s)),
        MBps: mbps(best(tus.map((x) => x.s))),
        ratioToCp: best(cp) / best(tus.map((x) => x.s)),
      },
      goalRatio: 0.6,
    },
    getMedia: {
      connections: CONNECTIONS,
      seconds: GET_SECONDS,
      requestsPerSecond: get.requests.average,
      latencyMs: { p50: get.latency.p50, p99: get.latency.p99 },
      non2xx: get.non2xx,
      errors: get.errors,
      goal: 3000,
    },
  };
  fs.writeFileSync(path.join(results, 'server.json'), JSON.stringify(out, null, 2) + '\n');
  const f = (n, d = 1) => n.toFixed(d);
  const md = `# Server benchmarks

${out.date} · ${out.machine.cpus} × ${out.machine.model} · Node ${out.machine.node} · SQLite, local storage, server in its own process

## Uploads (${f(size / 1024 ** 2, 0)} MiB file, best of 2, same disk)

| path | seconds | MB/s | × cp |
|---|---:|---:|---:|
| \`cp\` + sync | ${f(out.upload.cp.seconds, 2)} | ${f(out.upload.cp.MBps)} | 1.00 |
| multipart \`POST /api/v1/media\` | ${f(out.upload.multipart.seconds, 2)} | ${f(out.upload.multipart.MBps)} | ${f(out.upload.multipart.ratioToCp, 2)} |
| tus \`POST\` + one \`PATCH /api/v1/uploads/:id\` | ${f(out.upload.tus.seconds, 2)} | ${f(out.upload.tus.MBps)} | ${f(out.upload.tus.ratioToCp, 2)} |

Goal: ≥ 0.6 × cp. Uploads hash (sha256), sniff and fsync while streaming; tus writes the bytes
twice (the resumable partial file, then storage), which is the price of resumability.

## \`GET /api/v1/media/:id\` (autocannon, ${CONNECTIONS} connections, ${GET_SECONDS} s, bearer token)

| requests/s | p50 ms | p99 ms | non-2xx | errors |
|---:|---:|---:|---:|---:|
| ${f(out.getMedia.requestsPerSecond, 0)} | ${out.getMedia.latencyMs.p50} | ${out.getMedia.latencyMs.p99} | ${out.getMedia.non2xx} | ${out.getMedia.errors} |

Goal: ≥ 3,000 requests/s. Client and server share the same 2 cores.
`;
  fs.writeFileSync(path.join(results, 'server.md'), md);
  console.log(md);
} finally {
  child.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}

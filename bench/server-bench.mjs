#!/usr/bin/env node
// HTTP service benchmarks: upload throughput (multipart and tus) against `cp` + sync of the same
// file on the same disk (goal ≥ 0.6×), and GET /api/v1/media/:id throughput with autocannon
// (goal ≥ 3,000 requests/s, SQLite). The server runs in its own process, as in production.
// Build first: npm run build.  Run: node bench/server-bench.mjs
//
// Uploads are timed in rounds — cp, then each client × path — so every comparison is made in
// the same minute of a shared machine; the table gives the median and the best round, and the
// CPU time each side used (server: /proc/<pid>/stat of the server process, all threads).
// Clients: `curl` (what pipeline scripts use; a C client that costs ~0.3 core-s per GiB) and
// Node's `http.request` piping a file stream; the async-generator `fetch` body our CLI sends
// is measured too when BENCH_FETCH=1 (it costs the client >1 core-s per GiB by itself).
// `cli` is `montu ingest --server … --token …` of the file (a tus row: the CLI sends files of
// 128 MiB or more by tus): what a user of the CLI gets, its CPU including Node's start
// (BENCH_CLI=0 to skip).
//
// BENCH_BUDGET=1 also measures the CPU cost per GiB of each stage an upload needs (sha256, the
// copy into slabs, direct and buffered writes, a loopback receive) for
// docs/decisions/072-upload-throughput.md.
// Env: BENCH_UPLOAD_MB (default 1024), BENCH_ROUNDS (default 5), BENCH_COLD=1 (also a cold-cache
// series: drop_caches before every copy and upload, needs root), BENCH_FETCH=1, BENCH_BUDGET=1,
// BENCH_GET_SECONDS (default 10), BENCH_CONNECTIONS (default 32), BENCH_CLI=0,
// BENCH_CLIENTS (comma list, e.g. `node,cli`: only these clients, for experiments),
// BENCH_RESULTS (another results directory, so experiments leave bench/results alone),
// BENCH_GET_ROUNDS (default 3: Montu and the bare Fastify route alternate), BENCH_GET_ONLY=1
// (only the GET comparison, written to server-get.{json,md}).
// Writes bench/results/server.json and bench/results/server.md.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
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
const results = process.env.BENCH_RESULTS ?? path.join(here, 'results');
// The repository's own test media (test/corpus/README.md).
const corpus = path.join(root, 'test/corpus');
const MB = process.env.BENCH_GET_ONLY === '1' ? 1 : Number(process.env.BENCH_UPLOAD_MB ?? 1024);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const COLD = process.env.BENCH_COLD === '1';
const GET_SECONDS = Number(process.env.BENCH_GET_SECONDS ?? 10);
const GET_ROUNDS = Number(process.env.BENCH_GET_ROUNDS ?? 3);
/** Only the GET comparison (one small upload for a media id): results in server-get.{json,md}. */
const GET_ONLY = process.env.BENCH_GET_ONLY === '1';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const TICK = 100; // clock ticks per second in /proc/<pid>/stat (getconf CLK_TCK)

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
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}
const size = fs.statSync(src).size;
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const hasCurl = spawnSync('curl', ['--version']).status === 0;
const hasTime = fs.existsSync('/usr/bin/time');

function dropCaches() {
  if (!COLD) return;
  spawnSync('sync');
  fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
}

/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuOf(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

async function cpOnce(i) {
  const dst = path.join(tmp, `cp-${i}.jpg`);
  dropCaches();
  const t0 = process.hrtime.bigint();
  await exec('cp', [src, dst]);
  await exec('sync', [dst]).catch(() => exec('sync'));
  const s = seconds(t0);
  fs.rmSync(dst);
  return { s };
}

// The server, in a child process, its data on the same disk as the cp copies.
const dataDir = path.join(tmp, 'data');
const child = spawn(
  process.execPath,
  [path.join(root, 'packages/server/test/fixtures/serve-child.mjs'), dataDir],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const { url, token } = JSON.parse(
  await new Promise((r) => readline.createInterface({ input: child.stdout }).once('line', r)),
);
const auth = { authorization: `Bearer ${token}` };
const origin = new URL(url);

/** Runs a command; returns its stdout and its own CPU seconds (undefined without /usr/bin/time). */
async function timedExec(cmd, argv) {
  if (!hasTime) return { stdout: (await exec(cmd, argv)).stdout, cpu: undefined };
  const cpuFile = path.join(tmp, 'child-cpu');
  const { stdout } = await exec('/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, cmd, ...argv]);
  const [user, system] = fs.readFileSync(cpuFile, 'utf8').trim().split(/\s+/).map(Number);
  return { stdout, cpu: user + system };
}

/** Runs curl; returns status, body and curl's own CPU seconds (when /usr/bin/time exists). */
async function curl(args) {
  const out = path.join(tmp, 'curl-out');
  const argv = ['-sS', '-o', out, '-w', '%{http_code}\n%header{montu-media-id}', '-H', 'Expect:', ...args];
  const { stdout, cpu } = await timedExec('curl', argv);
  const [status, mediaId] = stdout.split('\n');
  return { status: Number(status), body: fs.readFileSync(out, 'utf8'), mediaId, cpu };
}

/** `montu ingest` of the file over the REST API; returns what the bench's other clients return. */
async function cliIngest(task) {
  const argv = [
    path.join(root, 'packages/cli/dist/bin.js'),
    'ingest',
    '--server',
    url,
    '--token',
    token,
    '-p',
    'BIG',
    '-t',
    task,
    src,
    '--json',
  ];
  let stdout;
  let cpu;
  try {
    ({ stdout, cpu } = await timedExec(process.execPath, argv));
  } catch (e) {
    return { status: 0, body: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
  const report = JSON.parse(stdout);
  const id = report.items?.[0]?.mediaId;
  return { status: report.ok === 1 && id ? 201 : 0, body: JSON.stringify({ id }), cpu };
}

/** Node http.request with a file stream piped into it; returns status, body, headers, client CPU. */
function nodeRequest({ method, pathname, headers, pre = Buffer.alloc(0), post = Buffer.alloc(0) }) {
  const u0 = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: origin.hostname,
        port: origin.port,
        method,
        path: pathname,
        headers: { ...headers, 'content-length': String(pre.length + size + post.length) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          const u = process.cpuUsage(u0);
          resolve({
            status: res.statusCode,
            body,
            mediaId: res.headers['montu-media-id'],
            cpu: (u.user + u.system) / 1e6,
          });
        });
      },
    );
    req.on('error', reject);
    req.write(pre);
    const file = fs.createReadStream(src, { highWaterMark: 1 << 20 });
    file.pipe(req, { end: false });
    file.on('end', () => req.end(post));
    file.on('error', reject);
  });
}

/** Node fetch with an async-generator body, as packages/cli sent uploads before 072. */
async function fetchRequest({ method, pathname, headers, pre = Buffer.alloc(0), post = Buffer.alloc(0) }) {
  const u0 = process.cpuUsage();
  async function* gen() {
    yield pre;
    for await (const chunk of fs.createReadStream(src, { highWaterMark: 1 << 20 })) yield chunk;
    yield post;
  }
  const r = await fetch(new URL(pathname, url), {
    method,
    headers: { ...headers, 'content-length': String(pre.length + size + post.length) },
    body: Readable.toWeb(Readable.from(gen())),
    duplex: 'half',
  });
  const body = await r.text();
  const u = process.cpuUsage(u0);
  return { status: r.status, body, mediaId: r.headers.get('montu-media-id'), cpu: (u.user + u.system) / 1e6 };
}

// As long as curl's (40 characters): the server's boundary search costs less per byte the longer
// the boundary (decision 072), and the 19-character one used before was shorter than any
// common client's (curl 40, browsers 38, the CLI 70).
const boundary = '------------------------bench5c2e0a1b7f9';
const multipartParts = (task) => ({
  pre: Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="projectId"\r\n\r\nBIG\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="taskId"\r\n\r\n${task}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="payload.jpg"\r\n\r\n`,
  ),
  post: Buffer.from(`\r\n--${boundary}--\r\n`),
});

async function multipartOnce(client, i) {
  const task = `bench_mp_${client}_${i}`;
  dropCaches();
  const cpu0 = cpuOf(child.pid);
  const t0 = process.hrtime.bigint();
  let r;
  if (client === 'curl') {
    r = await curl([
      '-H',
      `authorization: ${auth.authorization}`,
      '-F',
      'projectId=BIG',
      '-F',
      `taskId=${task}`,
      '-F',
      `file=@${src};filename=payload.jpg`,
      `${url}/api/v1/media`,
    ]);
  } else {
    const send = client === 'node' ? nodeRequest : fetchRequest;
    r = await send({
      method: 'POST',
      pathname: '/api/v1/media',
      headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
      ...multipartParts(task),
    });
  }
  const s = seconds(t0);
  if (r.status !== 201) throw new Error(`multipart upload failed: ${r.status} ${r.body}`);
  return { s, serverCpu: cpuOf(child.pid) - cpu0, clientCpu: r.cpu, id: JSON.parse(r.body).id };
}

const meta = (o) =>
  Object.entries(o)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');

async function tusOnce(client, i) {
  dropCaches();
  const cpu0 = cpuOf(child.pid);
  const t0 = process.hrtime.bigint();
  if (client === 'cli') {
    const r = await cliIngest(`bench_tus_${client}_${i}`);
    const s = seconds(t0);
    if (r.status !== 201) throw new Error(`cli upload failed: ${r.body}`);
    return { s, serverCpu: cpuOf(child.pid) - cpu0, clientCpu: r.cpu, id: JSON.parse(r.body).id };
  }
  const c = await fetch(`${url}/api/v1/uploads`, {
    method: 'POST',
    headers: {
      ...auth,
      'tus-resumable': '1.0.0',
      'upload-length': String(size),
      'upload-metadata': meta({
        filename: 'payload.jpg',
        projectId: 'BIG',
        taskId: `bench_tus_${client}_${i}`,
      }),
    },
  });
  if (c.status !== 201) throw new Error(`tus creation failed: ${c.status} ${await c.text()}`);
  const location = new URL(c.headers.get('location'), url);
  const headers = {
    ...auth,
    'tus-resumable': '1.0.0',
    'upload-offset': '0',
    'content-type': 'application/offset+octet-stream',
  };
  let r;
  if (client === 'curl') {
    r = await curl([
      '-X',
      'PATCH',
      ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
      '-T',
      src,
      location.href,
    ]);
  } else {
    const send = client === 'node' ? nodeRequest : fetchRequest;
    r = await send({ method: 'PATCH', pathname: location.pathname, headers });
  }
  const s = seconds(t0);
  if (r.status !== 204) throw new Error(`tus upload failed: ${r.status} ${r.body}`);
  return { s, serverCpu: cpuOf(child.pid) - cpu0, clientCpu: r.cpu, id: r.mediaId };
}

/** Removes an uploaded item and its file (outside the timing), so 1 GiB copies do not pile up. */
async function forget(id) {
  const r = await fetch(`${url}/api/v1/media/${id}`, { method: 'DELETE', headers: auth });
  if (!r.ok) throw new Error(`could not delete ${id}: ${r.status} ${await r.text()}`);
}

/** CPU seconds per GiB of each stage of an upload, measured here (best of 3). */
async function budget() {
  const GiB = 1 << 30;
  const scale = GiB / size;
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const best = async (f) => {
    const xs = [];
    for (let i = 0; i < 3; i++) {
      const c0 = cpu();
      const r = await f();
      xs.push(r ?? cpu() - c0);
    }
    return Number((Math.min(...xs) * scale).toFixed(3));
  };
  const out = {};
  const mb = Buffer.alloc(1 << 20, 7);
  const chunks = Math.round(size / (1 << 20));
  out.sha256 = await best(() => {
    const h = createHash('sha256');
    for (let i = 0; i < chunks; i++) h.update(mb);
    h.digest();
  });
  // Shared WebAssembly memory, as the write path uses (page-aligned, for O_DIRECT).
  const slab = new Uint8Array(new WebAssembly.Memory({ initial: 64, maximum: 64, shared: true }).buffer);
  const pieces = Array.from({ length: 256 }, () => Buffer.alloc(65536, 3));
  out.copyIntoSlabs = await best(() => {
    for (let i = 0; i < chunks * 16; i++) slab.set(pieces[i % 256], (i % 64) * 65536);
  });
  const writeFile = (flags, keep) => {
    const f = path.join(tmp, `budget-${Math.random()}`);
    const fd = fs.openSync(f, flags, 0o644);
    for (let i = 0; i < chunks / 4; i++) fs.writeSync(fd, slab, 0, slab.length, i * slab.length);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    if (keep) keep.push(f);
    else fs.rmSync(f);
  };
  const { O_WRONLY, O_CREAT, O_DIRECT } = fs.constants;
  out.directWrite = await best(() => writeFile(O_WRONLY | O_CREAT | O_DIRECT));
  out.bufferedWriteRecycledPages = await best(() => writeFile(O_WRONLY | O_CREAT));
  // Files kept: the kernel must take pages it has not just freed.
  const kept = [];
  out.bufferedWriteFreshPages = await best(() => writeFile(O_WRONLY | O_CREAT, kept));
  for (const f of kept) fs.rmSync(f);
  // A loopback receive into a Node HTTP server that discards the body, sent by curl.
  if (hasCurl && hasTime) {
    const srv = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    let curlCpu = Infinity;
    out.receive = await best(async () => {
      const c0 = cpu();
      const { cpu: c } = await timedExec('curl', [
        '-s',
        '-o',
        '/dev/null',
        '-T',
        src,
        `http://127.0.0.1:${srv.address().port}/`,
      ]);
      curlCpu = Math.min(curlCpu, c);
      return cpu() - c0;
    });
    out.curlSend = Number((curlCpu * scale).toFixed(3));
    srv.close();
  }
  return out;
}

const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};
const mbps = (s) => size / 1e6 / s;

async function series(label) {
  const clients = [
    ...(hasCurl ? ['curl'] : []),
    'node',
    ...(process.env.BENCH_FETCH === '1' ? ['fetch'] : []),
    ...(process.env.BENCH_CLI === '0' ? [] : ['cli']),
  ];
  if (process.env.BENCH_CLIENTS) {
    const only = process.env.BENCH_CLIENTS.split(',');
    clients.splice(0, clients.length, ...clients.filter((c) => only.includes(c)));
  }
  // The CLI picks tus for a file this large; the others are timed on both paths.
  const hasMultipart = (c) => c !== 'cli';
  const runs = { cp: [], 'cp again': [] };
  for (const c of clients) {
    if (hasMultipart(c)) runs[`multipart/${c}`] = [];
    runs[`tus/${c}`] = [];
  }
  for (let i = 0; i < ROUNDS; i++) {
    runs.cp.push(await cpOnce(i));
    // A second copy right after the first finds the pages the first one freed: on the
    // reference VM a buffered copy into fresh pages costs up to 4× more (decision 072), and
    // uploads (O_DIRECT) do not pay that, so the faster cp is the stricter baseline.
    runs['cp again'].push(await cpOnce(`${i}b`));
    for (const c of clients) {
      if (hasMultipart(c)) {
        const mp = await multipartOnce(c, `${label}${i}`);
        runs[`multipart/${c}`].push(mp);
        if (i < ROUNDS - 1) await forget(mp.id);
      }
      const tus = await tusOnce(c, `${label}${i}`);
      runs[`tus/${c}`].push(tus);
      await forget(tus.id);
    }
    process.stderr.write(`${label} round ${i + 1}/${ROUNDS} done\n`);
  }
  const cpMedian = median(runs.cp.map((r) => r.s));
  const cpBest = Math.min(...runs.cp.map((r) => r.s));
  const rows = {};
  for (const [name, rs] of Object.entries(runs)) {
    const med = median(rs.map((r) => r.s));
    const best = Math.min(...rs.map((r) => r.s));
    rows[name] = {
      secondsMedian: med,
      secondsBest: best,
      MBpsMedian: mbps(med),
      ratioMedian: cpMedian / med,
      ratioBest: cpBest / best,
      // Each round against its own cp: a round disturbed by other work on the machine moves
      // one ratio, not the medians of both sides.
      ratioPerRoundMedian: median(rs.map((r, i) => runs.cp[i].s / r.s)),
      // The same against the second copy of each round (recycled page-cache pages).
      ratioAgainPerRoundMedian: median(rs.map((r, i) => runs['cp again'][i].s / r.s)),
      ...(!name.startsWith('cp')
        ? {
            serverCpuSeconds: median(rs.map((r) => r.serverCpu)),
            ...(rs[0].clientCpu !== undefined
              ? { clientCpuSeconds: median(rs.map((r) => r.clientCpu)) }
              : {}),
          }
        : {}),
      all: rs.map((r) => Number(r.s.toFixed(3))),
    };
  }
  return { rows, lastMediaId: runs[`multipart/${clients[0]}`].at(-1).id };
}

/**
 * GET /api/v1/media/:id against a bare Fastify route serving the same JSON from memory, in rounds
 * (Montu, bare, Montu, bare, …) so both see the same minute of a shared machine.
 */
async function getVersusBare(id) {
  const bodyFile = path.join(tmp, 'media.json');
  const res = await fetch(`${url}/api/v1/media/${id}`, { headers: auth });
  if (res.status !== 200) throw new Error(`GET /media/${id}: ${res.status}`);
  fs.writeFileSync(bodyFile, Buffer.from(await res.arrayBuffer()));
  const bareChild = spawn(process.execPath, [path.join(here, 'bare-fastify-child.mjs'), bodyFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const { url: bareUrl } = JSON.parse(
      await new Promise((r) => readline.createInterface({ input: bareChild.stdout }).once('line', r)),
    );
    const cannon = (base, duration, headers) =>
      autocannon({
        url: `${base}/api/v1/media/${id}`,
        connections: CONNECTIONS,
        duration,
        headers,
        pipelining: 1,
      });
    await cannon(url, 2, auth);
    await cannon(bareUrl, 2, {});
    const rounds = [];
    for (let r = 0; r < GET_ROUNDS; r++) {
      const m = await cannon(url, GET_SECONDS, auth);
      const b = await cannon(bareUrl, GET_SECONDS, {});
      rounds.push({ montu: m, bare: b, ratio: m.requests.average / b.requests.average });
    }
    const mid = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)];
    return { get: mid.montu, bare: mid.bare, rounds };
  } finally {
    bareChild.kill('SIGTERM');
  }
}

/** One small upload, for BENCH_GET_ONLY=1 (no upload series). */
async function oneMedia() {
  const jpeg = fs.readFileSync(path.join(corpus, 'media/image/ExifTool.jpg'));
  const form = new FormData();
  form.set('projectId', 'BIG');
  form.set('taskId', 'bench_get');
  form.set('file', new Blob([jpeg]), 'payload.jpg');
  const r = await fetch(`${url}/api/v1/media`, { method: 'POST', headers: auth, body: form });
  if (r.status !== 201) throw new Error(`upload failed: ${r.status} ${await r.text()}`);
  return (await r.json()).id;
}

if (GET_ONLY) {
  try {
    const { get, bare, rounds } = await getVersusBare(await oneMedia());
    const out = {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model,
        node: process.version,
        loadavgAtEnd: os.loadavg(),
      },
      getMedia: getMediaResult(get, bare, rounds),
    };
    fs.writeFileSync(path.join(results, 'server-get.json'), JSON.stringify(out, null, 2) + '\n');
    const md = `# Server: GET /api/v1/media/:id against a bare Fastify route

${out.date} · ${out.machine.cpus} × ${out.machine.model} · Node ${out.machine.node} · SQLite · load average at the end ${out.machine.loadavgAtEnd.map((x) => x.toFixed(2)).join(' ')} (a shared, busy machine). Produced by \`BENCH_GET_ONLY=1 node bench/server-bench.mjs\` (the upload series left out).

${getMediaTable(out.getMedia)}
`;
    fs.writeFileSync(path.join(results, 'server-get.md'), md);
    console.log(md);
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(0);
}

function getMediaResult(get, bare, rounds) {
  return {
    connections: CONNECTIONS,
    seconds: GET_SECONDS,
    rounds: rounds.length,
    requestsPerSecond: get.requests.average,
    latencyMs: { p50: get.latency.p50, p99: get.latency.p99 },
    non2xx: get.non2xx,
    errors: get.errors,
    bareFastify: {
      requestsPerSecond: bare.requests.average,
      latencyMs: { p50: bare.latency.p50, p99: bare.latency.p99 },
      non2xx: bare.non2xx,
      errors: bare.errors,
    },
    ratioToBare: get.requests.average / bare.requests.average,
    ratioPerRound: rounds.map((r) => Number(r.ratio.toFixed(3))),
    goal: 3000,
    goalRatioToBare: 0.5,
  };
}

function getMediaTable(g) {
  const f = (n, d = 1) => (n === undefined ? '–' : n.toFixed(d));
  return `| route | requests/s | p50 ms | p99 ms | non-2xx | errors |
|---|---:|---:|---:|---:|---:|
| Montu \`GET /api/v1/media/:id\` (bearer token, SQLite) | ${f(g.requestsPerSecond, 0)} | ${g.latencyMs.p50} | ${g.latencyMs.p99} | ${g.non2xx} | ${g.errors} |
| bare Fastify route, same JSON from memory | ${f(g.bareFastify.requestsPerSecond, 0)} | ${g.bareFastify.latencyMs.p50} | ${g.bareFastify.latencyMs.p99} | ${g.bareFastify.non2xx} | ${g.bareFastify.errors} |
| **ratio** (median of ${g.rounds} rounds: ${g.ratioPerRound.join(', ')}) | **${f(g.ratioToBare, 2)}×** | | | | |

autocannon, ${g.connections} connections, ${g.seconds} s per side per round, the two servers alternating.
Goal: ≥ 0.5× the bare route (and ≥ 3,000 requests/s). Client and both servers share the same 2 cores.`;
}

try {
  const warm = await series('warm');
  const costs = process.env.BENCH_BUDGET === '1' ? await budget() : undefined;
  let cold;
  if (COLD) {
    if (process.getuid?.() !== 0) throw new Error('BENCH_COLD=1 needs root (drop_caches)');
    cold = await series('cold');
  }

  const { get, bare, rounds } = await getVersusBare(warm.lastMediaId);

  const out = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadavgAtEnd: os.loadavg(),
    },
    upload: {
      bytes: size,
      rounds: ROUNDS,
      clients: {
        curl: hasCurl ? 'curl (C)' : 'absent',
        node: 'Node http.request + fs.createReadStream (1 MiB)',
        cli: 'montu ingest --server (packages/cli), whole process',
      },
      warm: warm.rows,
      ...(cold ? { cold: cold.rows } : {}),
      ...(costs ? { cpuSecondsPerGiB: costs } : {}),
      goalRatio: 0.6,
    },
    getMedia: getMediaResult(get, bare, rounds),
  };
  fs.writeFileSync(path.join(results, 'server.json'), JSON.stringify(out, null, 2) + '\n');
  const f = (n, d = 1) => (n === undefined ? '–' : n.toFixed(d));
  const table = (rows) =>
    `| path / client | median s | best s | MB/s (median) | × cp (medians) | × cp (best) | × cp (median of rounds) | × cp again (median of rounds) | server CPU s | client CPU s |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${Object.entries(rows)
  .map(
    ([name, r]) =>
      `| ${name === 'cp' ? '`cp` + `sync`' : name === 'cp again' ? '`cp` + `sync` again' : name} | ${f(r.secondsMedian, 2)} | ${f(r.secondsBest, 2)} | ${f(r.MBpsMedian, 0)} | ${f(r.ratioMedian, 2)} | ${f(r.ratioBest, 2)} | ${f(r.ratioPerRoundMedian, 2)} | ${f(r.ratioAgainPerRoundMedian, 2)} | ${f(r.serverCpuSeconds, 2)} | ${f(r.clientCpuSeconds, 2)} |`,
  )
  .join('\n')}`;
  const md = `# Server benchmarks

${out.date} · ${out.machine.cpus} × ${out.machine.model} · Node ${out.machine.node} · SQLite, local storage, server in its own process · load average at the end ${out.machine.loadavgAtEnd.map((x) => x.toFixed(2)).join(' ')}

## Uploads (${f(size / 1024 ** 2, 0)} MiB file, ${ROUNDS} rounds, warm page cache)

Each round copies the file with \`cp\` + \`sync\` twice, then uploads it through each path with
each client, so ratios compare runs from the same minute. The first copy often finds no free
page-cache pages at hand and pays for fresh ones (up to 4× slower on this VM); the second
(\`cp again\`) reuses the pages the first one freed — the stricter baseline, since uploads
write with O_DIRECT and pay for neither. Multipart is \`POST /api/v1/media\`; tus is
\`POST /api/v1/uploads\` + one \`PATCH\`. The server reads both bodies through Node's HTTP parser
(decision 117; straight from the socket before, decision 076), the form with its own parser
(077). Both hash (sha256), sniff, write and fsync
the file before answering. Clients: \`curl\`; \`node\` = \`http.request\` piping \`fs.createReadStream\`;
\`cli\` = \`montu ingest --server … --token …\` of the file (the whole process, Node's start included;
by tus, as the CLI sends files of 128 MiB or more).
CPU columns: median CPU seconds (user + system) per upload.

${table(warm.rows)}
${
  cold
    ? `
## Uploads, cold page cache (\`drop_caches\` before every copy and upload)

${table(cold.rows)}
`
    : ''
}
${
  costs
    ? `
CPU seconds per GiB of each stage (best of 3): ${Object.entries(costs)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.
`
    : ''
}
Goal: ≥ 0.6 × cp. Client and server share the same 2 cores; see
docs/decisions/072-upload-throughput.md for the CPU budget per GiB, 076 and 077 for the socket
reads and the form parser, 080 for where the time goes now: an upload takes as long as sha256 of
the file on one core (the hash thread), plus ~0.1 s; the \`node\` client spends ~1 core-s per GiB
of its own.

## \`GET /api/v1/media/:id\` (autocannon, ${CONNECTIONS} connections, ${GET_SECONDS} s, bearer token)

${getMediaTable(out.getMedia)}
`;
  fs.writeFileSync(path.join(results, 'server.md'), md);
  console.log(md);
} finally {
  child.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}

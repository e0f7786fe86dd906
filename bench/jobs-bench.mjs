// Job queue benchmarks (issue 5):
//  1. queue overhead: empty jobs per second, embedded (SQLite; PostgreSQL when given) and BullMQ (Redis);
//  2. processing throughput: files/s with 1, 2 and 4 `montu worker` processes (PostgreSQL + Redis + local storage).
// Usage: npx tsc -b packages/cli && MONTU_BENCH_DATABASE_URL=postgres://… MONTU_BENCH_REDIS_URL=redis://… node bench/jobs-bench.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import sharp from 'sharp';
import { openMontu, JobStore, EmbeddedQueue, EventBus, DEFAULT_RETRY } from '../packages/core/dist/index.js';
import { BullmqQueue } from '../packages/core/dist/jobs/bullmq-queue.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'packages/cli/dist/bin.js');
const PG = process.env.MONTU_BENCH_DATABASE_URL ?? process.env.MONTU_TEST_DATABASE_URL;
const REDIS = process.env.MONTU_BENCH_REDIS_URL ?? process.env.MONTU_TEST_REDIS_URL;
const EMPTY_JOBS = Number(process.env.EMPTY_JOBS ?? 2000);
const FILES = Number(process.env.FILES ?? 60);
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'montu-bench-'));

async function pgSchema() {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const url = new URL(PG);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

async function emptyJobs(mode, dbKind) {
  const dir = tmp();
  const db =
    dbKind === 'postgres'
      ? await pgSchema()
      : { url: path.join(dir, 'montu.db'), drop: async () => undefined };
  const montu = await openMontu({
    dataDir: dir,
    databaseUrl: db.url,
    jobs: false,
    webhooks: { deliver: false },
  });
  const store = new JobStore(montu.db, montu.dialect, DEFAULT_RETRY);
  const events = new EventBus();
  let settled = 0;
  let resolve;
  const all = new Promise((r) => (resolve = r));
  const common = {
    store,
    events,
    handlers: { cleanup: async () => undefined },
    worker: `bench~${process.pid}~x`,
    concurrency: 4,
    leaseMs: 30_000,
    pollMs: 50,
    onSettled: async () => {
      if (++settled === EMPTY_JOBS) resolve();
    },
  };
  const queue =
    mode === 'embedded'
      ? new EmbeddedQueue(common)
      : new BullmqQueue({
          ...common,
          retry: DEFAULT_RETRY,
          redisUrl: REDIS,
          queueName: `bench-${randomBytes(4).toString('hex')}`,
          work: true,
        });
  await queue.start();
  const t0 = performance.now();
  for (let i = 0; i < EMPTY_JOBS; i += 200)
    await queue.enqueue(Array.from({ length: Math.min(200, EMPTY_JOBS - i) }, () => ({ type: 'cleanup' })));
  await all;
  const ms = performance.now() - t0;
  await queue.stop();
  await montu.close();
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    mode,
    database: dbKind,
    jobs: EMPTY_JOBS,
    seconds: +(ms / 1000).toFixed(2),
    jobsPerSecond: Math.round(EMPTY_JOBS / (ms / 1000)),
    msPerJob: +(ms / EMPTY_JOBS).toFixed(3),
  };
}

async function makeFiles(dir) {
  const files = [];
  const clip = path.join(dir, 'clip.mov');
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x360:rate=24:duration=2',
    '-c:v',
    'mpeg4',
    '-y',
    clip,
  ]);
  for (let i = 0; i < FILES; i++) {
    if (i % 3 === 2) {
      const f = path.join(dir, `clip_${i}.mov`);
      execFileSync('ffmpeg', ['-v', 'error', '-i', clip, '-c', 'copy', '-metadata', `title=${i}`, '-y', f]);
      files.push(f);
    } else {
      const f = path.join(dir, `still_${i}.png`);
      await sharp({
        create: { width: 1920, height: 1080, channels: 3, background: { r: i, g: 100, b: 200 - i } },
      })
        .png()
        .toFile(f);
      files.push(f);
    }
  }
  return files;
}

async function throughput(workers, files) {
  const dir = tmp();
  const db = await pgSchema();
  const queueName = `bench-${randomBytes(4).toString('hex')}`;
  const env = {
    ...process.env,
    MONTU_DATA_DIR: dir,
    MONTU_DATABASE_URL: db.url,
    MONTU_REDIS_URL: REDIS,
    MONTU_QUEUE_NAME: queueName,
    MONTU_STORAGE_ROOT: path.join(dir, 'storage'),
  };
  const montu = await openMontu({
    dataDir: dir,
    databaseUrl: db.url,
    storage: { type: 'local', root: path.join(dir, 'storage') },
    jobs: { redisUrl: REDIS, work: false, queueName },
    webhooks: { deliver: false },
  });
  const ids = [];
  for (const [i, f] of files.entries())
    ids.push(
      await montu.media.uploadMedia({
        filePath: f,
        projectId: 'BEN',
        taskId: `sh${i}_comp`,
        author: 'bench',
      }),
    );
  const t0 = performance.now();
  const procs = Array.from({ length: workers }, () =>
    spawn(process.execPath, [BIN, 'worker'], { env, stdio: 'ignore' }),
  );
  for (;;) {
    const c = await montu.jobs.counts();
    if (c.queued === 0 && c.running === 0 && c.done + c.failed >= ids.length * 3) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const ms = performance.now() - t0;
  const counts = await montu.jobs.counts();
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => new Promise((r) => p.on('exit', r))));
  await montu.close();
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
  // Includes worker start-up (about a second), as a real scale-out would.
  return {
    workers,
    files: ids.length,
    seconds: +(ms / 1000).toFixed(2),
    filesPerSecond: +(ids.length / (ms / 1000)).toFixed(2),
    failed: counts.failed,
  };
}

const results = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
  at: new Date().toISOString(),
  emptyJobs: [],
  ingest: [],
};
results.emptyJobs.push(await emptyJobs('embedded', 'sqlite'));
if (PG) results.emptyJobs.push(await emptyJobs('embedded', 'postgres'));
if (REDIS) results.emptyJobs.push(await emptyJobs('bullmq', PG ? 'postgres' : 'sqlite'));
console.log(results.emptyJobs);
if (PG && REDIS) {
  const src = tmp();
  const files = await makeFiles(src);
  for (const w of [1, 2, 4]) {
    const r = await throughput(w, files);
    console.log(r);
    results.ingest.push(r);
  }
  fs.rmSync(src, { recursive: true, force: true });
}
fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, 'bench/results/jobs.json'), JSON.stringify(results, null, 2) + '\n');
const md = [
  '# Job queue benchmarks',
  '',
  `${results.at} · ${results.machine.cpus} cores (${results.machine.model}) · Node ${results.machine.node}. Produced by \`node bench/jobs-bench.mjs\`.`,
  '',
  '## Queue overhead (empty jobs, concurrency 4, one process)',
  '',
  '| mode | database | jobs | seconds | jobs/s | ms/job |',
  '|---|---|---:|---:|---:|---:|',
  ...results.emptyJobs.map(
    (r) => `| ${r.mode} | ${r.database} | ${r.jobs} | ${r.seconds} | ${r.jobsPerSecond} | ${r.msPerJob} |`,
  ),
  '',
  `## Processing throughput (${FILES} files: 2/3 1080p PNG stills, 1/3 2 s 640×360 clips; PostgreSQL + Redis + local storage)`,
  '',
  'Time from starting the workers until every job settled (metadata, thumbnail, proxy/web image), start-up included.',
  '',
  '| worker processes | files | seconds | files/s |',
  '|---:|---:|---:|---:|',
  ...results.ingest.map((r) => `| ${r.workers} | ${r.files} | ${r.seconds} | ${r.filesPerSecond} |`),
  '',
  'Each worker runs as many jobs at once as the machine has cores; on a 2-core machine more',
  'processes only add contention — the point of more workers is more machines.',
  '',
];
fs.writeFileSync(path.join(ROOT, 'bench/results/jobs.md'), md.join('\n'));
console.log('written bench/results/jobs.{json,md}');
process.exit(0);

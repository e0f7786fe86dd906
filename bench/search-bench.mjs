#!/usr/bin/env node
// searchMedia over seeded records on SQLite or PostgreSQL: median and p95 per query shape.
// Run after `npm run build`:
//   node bench/search-bench.mjs [--records 1000000] [--runs 50]                        (SQLite under /tmp)
//   node bench/search-bench.mjs --database-url 'postgres://…/db?schema=search_bench'   (PostgreSQL)
//   KEEP=1 … keeps the database; --data-dir <kept folder> (SQLite) or the same URL searches it again
// Seeding uses core's bulk import (insertMediaRecords: the rows uploads write, in multi-row
// statements, 5,000 items per transaction), then finishBulkImport (statistics; --no-vacuum skips
// it, to measure a library straight after an import). A database that already holds the records (KEEP=1 on
// an earlier run) is searched without seeding again. Without KEEP the SQLite folder or the
// PostgreSQL schema is removed at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { openMontu, newId } from '../packages/core/dist/index.js';
import { finishBulkImport, insertMediaRecords } from '../packages/core/dist/media/media-records.js';
import { parseTaskId } from '../packages/domain/dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const RECORDS = Number(arg('records', 1_000_000));
const RUNS = Number(arg('runs', 50));
const DATABASE_URL = arg('database-url', undefined);
const dialectName = DATABASE_URL && /^postgres/.test(DATABASE_URL) ? 'postgres' : 'sqlite';
const loadAtStart = os.loadavg();

// --data-dir: an earlier run's SQLite folder (kept with KEEP=1), searched without seeding again.
const dir = arg('data-dir', undefined) ?? fs.mkdtempSync(path.join(os.tmpdir(), 'montu-search-bench-'));
const montu = await openMontu({
  dataDir: dir,
  jobs: false,
  ...(DATABASE_URL ? { databaseUrl: DATABASE_URL } : {}),
});
const steps = ['comp', 'lighting', 'anim', 'fx', 'layout', 'lookdev'];
const authors = Array.from({ length: 40 }, (_, i) => `artist${i}`);
const words = [
  'explosion',
  'rim light',
  'hero',
  'crowd',
  'debris',
  'smoke',
  'rain',
  'neon',
  'plate',
  'matte',
  'retime',
  'grade',
];
const statuses = ['wip', 'pending_review', 'approved', 'changes_requested', 'rejected', 'on_hold'];
const types = ['image', 'video', 'sequence', 'audio'];

const existing = Number(
  (
    await montu.db
      .selectFrom('media')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow()
  ).n,
);
let seedSeconds = null;
if (existing !== RECORDS) {
  if (existing !== 0) throw new Error(`the database holds ${existing} media, not 0 or ${RECORDS}`);
  seedSeconds = await seed();
  console.error(`seeded in ${seedSeconds.toFixed(1)} s`);
} else {
  console.error(`the database already holds ${RECORDS} records: not seeding`);
  // The seed time of the run that filled it, when given (--seeded-in <seconds>).
  if (arg('seeded-in', undefined)) seedSeconds = Number(arg('seeded-in', undefined));
}
// The tables as the bulk import leaves them: finishBulkImport brings the planner's statistics and
// (PostgreSQL) the visibility map up to date, dropping the dead row versions of the seed's status
// updates, whose index entries doubled the rows a search visited (decisions 220, 240). Run again on
// a kept database (cheap once done). --no-vacuum skips it, to measure a library straight after a
// bulk import, before autovacuum has visited it.
let refreshSeconds = null;
if (process.argv.includes('--no-vacuum')) console.error('statistics not refreshed (--no-vacuum)');
else {
  const t0 = performance.now();
  await finishBulkImport(montu.db, dialectName);
  refreshSeconds = (performance.now() - t0) / 1000;
  console.error(`finishBulkImport in ${refreshSeconds.toFixed(1)} s`);
}

async function seed() {
  console.error(`seeding ${RECORDS} media records (${dialectName}) …`);
  const t0 = performance.now();
  const rng = mulberry32(42);
  const pick = (a) => a[Math.floor(rng() * a.length)];
  for (let p = 0; p < 3; p++) await montu.projects.createProject({ id: `P${p}` });
  const versionOf = new Map();
  const BATCH = 5000;
  for (let start = 0; start < RECORDS; start += BATCH) {
    const records = [];
    const statusOf = new Map(statuses.map((s) => [s, []]));
    const newTasks = [];
    for (let i = start; i < Math.min(RECORDS, start + BATCH); i++) {
      const projectId = `P${i % 3}`;
      const ep = 1 + Math.floor(rng() * 5);
      const sq = 10 * (1 + Math.floor(rng() * 30));
      const sh = 10 * (1 + Math.floor(rng() * 40));
      const taskId = `ep${String(ep).padStart(2, '0')}_sq${String(sq).padStart(3, '0')}_sh${String(sh).padStart(3, '0')}_${pick(steps)}`;
      const vk = `${projectId}/${taskId}`;
      const v = (versionOf.get(vk) ?? 0) + 1;
      versionOf.set(vk, v);
      if (v === 1) newTasks.push([projectId, taskId]);
      const id = newId();
      records.push({
        id,
        projectId,
        taskId,
        versionNumber: v,
        mediaType: pick(types),
        fileName: `${taskId}_v${String(v).padStart(3, '0')}.${pick(['exr', 'mov', 'jpg', 'wav'])}`,
        mimeType: 'image/x-exr',
        size: Math.floor(rng() * 5e8),
        sha256: 'f'.repeat(64),
        author: pick(authors),
        description: `${pick(words)} ${pick(words)} pass ${i}`,
        tags: [...new Set([pick(words).split(' ')[0], pick(['hero', 'bg', 'fg'])])],
        processing: false,
        metadata: {},
        customProperties: {},
        files: [
          {
            role: 'original',
            frame: null,
            backend: 'local',
            key: `${projectId}/${taskId}/v${v}/${id}`,
            size: 1,
            sha256: 'f'.repeat(64),
            contentType: 'image/x-exr',
          },
        ],
      });
      statusOf.get(pick(statuses)).push(id);
    }
    await montu.db.transaction().execute(async (trx) => {
      // The task rows ensureTask writes, in one statement (one round trip each cost minutes on PostgreSQL).
      const now = new Date().toISOString();
      for (let t = 0; t < newTasks.length; t += 2000) {
        await trx
          .insertInto('task')
          .values(
            newTasks
              .slice(t, t + 2000)
              .map(([projectId, id]) => ({ project_id: projectId, id, ...parseTaskId(id), created_at: now })),
          )
          .onConflict((oc) => oc.columns(['project_id', 'id']).doNothing())
          .execute();
      }
      await insertMediaRecords(trx, records);
      // A review status per item, as status changes leave it (one UPDATE per status word).
      for (const [status, ids] of statusOf) {
        if (status === 'wip' || ids.length === 0) continue;
        await trx.updateTable('media').set({ status }).where('id', 'in', ids).execute();
      }
    });
    if ((start / BATCH) % 20 === 19)
      console.error(`  ${start + BATCH} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  return (performance.now() - t0) / 1000;
}

const first = await montu.media.searchMedia({ projectId: 'P1', limit: 50 });
const queries = {
  'newest 50 (no filter)': {},
  'project filter': { projectId: 'P1' },
  'page 2 by cursor': { projectId: 'P1', cursor: first.nextCursor },
  'full text, common word': { query: 'explosion' },
  'full text, rare word': { query: 'pass 77777' },
  'full text + project + status': { query: 'rim', projectId: 'P2', status: 'approved' },
  'task prefix words': { query: 'sq120 sh040' },
  'author + type': { author: 'artist7', mediaType: 'video' },
  'tag filter': { tags: ['hero'], projectId: 'P0' },
  'date range': { dateFrom: '2000-01-01', dateTo: '2100-01-01', projectId: 'P0' },
};
const results = [];
for (const [name, q] of Object.entries(queries)) {
  for (let i = 0; i < 3; i++) await montu.media.searchMedia(q);
  const times = [];
  let count = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const page = await montu.media.searchMedia(q);
    times.push(performance.now() - t);
    count = page.items.length;
  }
  times.sort((a, b) => a - b);
  results.push({
    query: name,
    median_ms: round(times[Math.floor(times.length / 2)]),
    p95_ms: round(times[Math.floor(times.length * 0.95)]),
    items: count,
  });
}
const loadAtEnd = os.loadavg();
if (!process.env.KEEP && dialectName === 'postgres') {
  const schema = new URL(DATABASE_URL).searchParams.get('schema');
  if (schema) await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(montu.db);
}
await montu.close();
if (!process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true });
else console.error('kept', DATABASE_URL ?? dir);

const out = {
  bench: 'searchMedia',
  date: new Date().toISOString(),
  records: RECORDS,
  runs: RUNS,
  database: dialectName === 'postgres' ? 'PostgreSQL' : 'SQLite (WAL)',
  machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`,
  load_average_start: loadAtStart.map(round),
  load_average_end: loadAtEnd.map(round),
  seed_seconds: seedSeconds === null ? null : round(seedSeconds),
  statistics_refresh_seconds: refreshSeconds === null ? null : round(refreshSeconds),
  goal: 'p50 < 20 ms and p95 < 100 ms',
  results,
};
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, `results/search-${dialectName}.json`), JSON.stringify(out, null, 2) + '\n');
const md = markdown();
fs.writeFileSync(path.join(here, 'results/search.md'), md + '\n');
console.log(md);

/** One table for both dialects, from whichever results files exist. */
function markdown() {
  const runs = ['sqlite', 'postgres']
    .map((d) => path.join(here, `results/search-${d}.json`))
    .filter((f) => fs.existsSync(f))
    .map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  const names = runs[0].results.map((r) => r.query);
  const lines = [
    `searchMedia (\`MediaService.searchMedia\`, a page of 50 with its files) over seeded media, ${RUNS} runs per query. Goal: p50 < 20 ms and p95 < 100 ms on both databases.`,
    '',
    ...runs.map(
      (r) =>
        `- ${r.database}: ${r.records.toLocaleString('en')} records, ${r.date.slice(0, 16).replace('T', ' ')} UTC, seeded in ${r.seed_seconds === null ? '(an earlier run)' : `${r.seed_seconds} s`}, load average ${r.load_average_start.join(' ')} at the start, ${r.load_average_end.join(' ')} at the end (${r.machine}, shared).`,
    ),
    '',
    `| query | ${runs.map((r) => `${r.database} p50 ms | p95 ms`).join(' | ')} | items |`,
    `|---|${runs.map(() => '---:|---:').join('|')}|---:|`,
    ...names.map((n) => {
      const cells = runs.map((r) => {
        const x = r.results.find((y) => y.query === n);
        return x ? `${x.median_ms} | ${x.p95_ms}` : '– | –';
      });
      return `| ${n} | ${cells.join(' | ')} | ${runs[0].results.find((y) => y.query === n).items} |`;
    }),
  ];
  return lines.join('\n');
}

function round(x) {
  return Math.round(x * 100) / 100;
}
function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

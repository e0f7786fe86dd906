#!/usr/bin/env node
// searchMedia on 100,000 seeded records (SQLite, embedded defaults): median and p95 per query.
// Run after `npm run build`: node bench/search-bench.mjs [--records 100000] [--runs 50]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMontu, newId } from '../packages/core/dist/index.js';
import { insertMediaRecord } from '../packages/core/dist/media/media-records.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RECORDS = arg('records', 100_000);
const RUNS = arg('runs', 50);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-search-bench-'));
const montu = await openMontu({ dataDir: dir, jobs: false });
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

console.error(`seeding ${RECORDS} media records into ${dir} …`);
const t0 = performance.now();
const rng = mulberry32(42);
const pick = (a) => a[Math.floor(rng() * a.length)];
for (let p = 0; p < 3; p++) await montu.projects.createProject({ id: `P${p}` });
const versionOf = new Map();
for (let start = 0; start < RECORDS; start += 2000) {
  await montu.db.transaction().execute(async (trx) => {
    for (let i = start; i < Math.min(RECORDS, start + 2000); i++) {
      const projectId = `P${i % 3}`;
      const ep = 1 + Math.floor(rng() * 5);
      const sq = 10 * (1 + Math.floor(rng() * 30));
      const sh = 10 * (1 + Math.floor(rng() * 40));
      const taskId = `ep${String(ep).padStart(2, '0')}_sq${String(sq).padStart(3, '0')}_sh${String(sh).padStart(3, '0')}_${pick(steps)}`;
      await trx
        .insertInto('task')
        .values({
          project_id: projectId,
          id: taskId,
          episode: null,
          sequence: null,
          shot: null,
          step: null,
          created_at: new Date().toISOString(),
        })
        .onConflict((oc) => oc.columns(['project_id', 'id']).doNothing())
        .execute();
      const vk = `${projectId}/${taskId}`;
      const v = (versionOf.get(vk) ?? 0) + 1;
      versionOf.set(vk, v);
      const id = newId();
      await insertMediaRecord(trx, {
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
      await trx
        .updateTable('media')
        .set({ status: pick(statuses) })
        .where('id', '=', id)
        .execute();
    }
  });
}
const seedSeconds = (performance.now() - t0) / 1000;
console.error(`seeded in ${seedSeconds.toFixed(1)} s`);

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
await montu.close();
if (!process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true });
else console.error('kept', dir);

const out = {
  bench: 'searchMedia',
  records: RECORDS,
  runs: RUNS,
  database: 'SQLite (WAL)',
  machine: `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`,
  seed_seconds: round(seedSeconds),
  goal: 'median < 50 ms',
  results,
};
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results/search.json'), JSON.stringify(out, null, 2) + '\n');
const md = [
  `searchMedia over ${RECORDS.toLocaleString('en')} records on SQLite, ${RUNS} runs each (goal: median < 50 ms)`,
  '',
  '| query | median ms | p95 ms | items |',
  '|---|---:|---:|---:|',
  ...results.map((r) => `| ${r.query} | ${r.median_ms} | ${r.p95_ms} | ${r.items} |`),
].join('\n');
fs.writeFileSync(path.join(here, 'results/search.md'), md + '\n');
console.log(md);

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

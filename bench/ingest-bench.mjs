#!/usr/bin/env node
// Whole still ingest: Montu (store + sha256 + metadata + thumbnail + record, waiting for
// processing) against the same work done by the reference tools on the same files in the same
// run: cp, sha256sum, one batched `exiftool -json` and vipsthumbnail.
// Run after `npm run build`: node bench/ingest-bench.mjs [--files 60]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openMontu } from '../packages/core/dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const i = process.argv.indexOf('--files');
const N = i > 0 ? Number(process.argv[i + 1]) : 60;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-ingest-bench-'));
const src = path.join(work, 'src');
fs.mkdirSync(src);
console.error(`making ${N} 4K JPEG stills in ${src} …`);
for (let k = 0; k < N; k++) {
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=3840x2160:rate=1,hue=h=${k * 7}`,
    '-frames:v',
    '1',
    '-q:v',
    '3',
    '-y',
    path.join(src, `plate_${String(k).padStart(4, '0')}.jpg`),
  ]);
}
const files = fs.readdirSync(src).map((f) => path.join(src, f));
const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);

function reference() {
  const dest = fs.mkdtempSync(path.join(work, 'ref-'));
  const thumbs = path.join(dest, 'thumbs');
  fs.mkdirSync(thumbs);
  const t = performance.now();
  execFileSync('cp', [...files, dest]);
  execFileSync('sha256sum', files, { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('exiftool', ['-json', '-q', ...files], {
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  execFileSync('vipsthumbnail', ['--size', '256x256', '-o', path.join(thumbs, '%s.jpg'), ...files]);
  const s = (performance.now() - t) / 1000;
  fs.rmSync(dest, { recursive: true, force: true });
  return s;
}

async function montu(webImages) {
  const dir = fs.mkdtempSync(path.join(work, 'montu-'));
  const m = await openMontu({ dataDir: dir, processing: { webImages } });
  const t = performance.now();
  await Promise.all(
    files.map((f, k) =>
      m.media.uploadMedia({
        filePath: f,
        projectId: 'BENCH',
        taskId: `shot_${k}`,
        author: 'bench',
        wait: true,
      }),
    ),
  );
  const s = (performance.now() - t) / 1000;
  const { items } = await m.media.searchMedia({ projectId: 'BENCH', limit: 500 });
  const ready = items.filter(
    (x) => x.processingState === 'ready' && x.files.some((f) => f.role === 'thumbnail'),
  ).length;
  await m.close();
  fs.rmSync(dir, { recursive: true, force: true });
  if (ready !== files.length) throw new Error(`only ${ready}/${files.length} items ready`);
  return s;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs = { reference: [], needed: [], always: [] };
for (let r = 0; r < 3; r++) {
  runs.reference.push(reference());
  runs.needed.push(await montu('needed'));
  runs.always.push(await montu('always'));
}
fs.rmSync(work, { recursive: true, force: true });
const ref = median(runs.reference);
const rows = [
  { name: 'still ingest, web image only where needed', montu: median(runs.needed) },
  { name: 'still ingest, plus full-resolution web image (default)', montu: median(runs.always) },
].map((r) => ({ ...r, reference: ref, ratio: Math.round((r.montu / ref) * 100) / 100 }));
const out = {
  bench: 'still ingest',
  files: N,
  megabytes: Math.round(bytes / 1e6),
  cores: os.cpus().length,
  reference: 'cp + sha256sum + exiftool -json (batched) + vipsthumbnail',
  goal: '≤ 0.8×',
  rows,
  runs,
};
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results/ingest.json'), JSON.stringify(out, null, 2) + '\n');
const md = [
  `Still ingest of ${N} 4K JPEGs (${out.megabytes} MB), median of 3 runs; reference = cp + sha256sum + one batched exiftool -json + vipsthumbnail (goal ≤ 0.8×)`,
  '',
  '| benchmark | Montu s | reference s | ratio |',
  '|---|---:|---:|---:|',
  ...rows.map((r) => `| ${r.name} | ${r.montu.toFixed(2)} | ${r.reference.toFixed(2)} | ${r.ratio}× |`),
].join('\n');
fs.writeFileSync(path.join(here, 'results/ingest.md'), md + '\n');
console.log(md);

#!/usr/bin/env node
// Per-format cost of the in-process container readers against one ffprobe call, on the same
// corpus files in the same run (decision 190). Build first: npx tsc -b packages/core.
// Run: node bench/container-read-bench.mjs   (prints JSON; MONTU_CORPUS selects the corpus)
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const corpus = process.env.MONTU_CORPUS ?? path.resolve(root, '../shared/corpus');
const tools = path.join(root, 'packages/core/dist/processing/tools');
const readers = {
  isobmff: [/\.(mov|mp4|m4v|m4a)$/i, (await import(`${tools}/isobmff.js`)).probeIsobmff],
  wav: [/\.wav$/i, (await import(`${tools}/wav.js`)).probeWav],
  flac: [/\.flac$/i, (await import(`${tools}/flac.js`)).probeFlac],
  aiff: [/\.(aiff?|aifc)$/i, (await import(`${tools}/aiff.js`)).probeAiff],
  mp3: [/\.mp3$/i, (await import(`${tools}/mp3.js`)).probeMp3],
};
const files = JSON.parse(fs.readFileSync(path.join(corpus, 'manifest.json'), 'utf8')).files.map((e) =>
  path.join(corpus, e.path),
);
// The corpus has no MP3 with a Xing header: three LAME files are generated next to it.
const gen = path.join(root, 'bench', 'tmp', 'container-read');
fs.mkdirSync(gen, { recursive: true });
for (const [name, args] of [
  ['cbr.mp3', ['-ac', '2', '-b:a', '192k']],
  ['vbr.mp3', ['-ac', '2', '-q:a', '2']],
  ['mono.mp3', ['-ac', '1', '-b:a', '64k']],
]) {
  const f = path.join(gen, name);
  await exec('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'sine=duration=30',
    ...args,
    '-c:a',
    'libmp3lame',
    f,
  ]);
  files.push(f);
}
const RUNS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const out = { date: new Date().toISOString(), loadavg_start: os.loadavg()[0], formats: {} };
for (const [name, [re, read]] of Object.entries(readers)) {
  const set = files.filter((f) => re.test(f));
  const answered = [];
  for (const f of set) if (await read(f)) answered.push(f);
  const inProc = [];
  const ff = [];
  for (let r = 0; r < RUNS; r++) {
    let t0 = performance.now();
    for (const f of answered) await read(f);
    inProc.push((performance.now() - t0) / Math.max(1, answered.length));
    t0 = performance.now();
    for (const f of answered)
      await exec('ffprobe', [
        '-v',
        'error',
        '-hide_banner',
        '-show_format',
        '-show_streams',
        '-of',
        'json=compact=1',
        f,
      ]);
    ff.push((performance.now() - t0) / Math.max(1, answered.length));
  }
  out.formats[name] = {
    files: set.length,
    answered: answered.length,
    in_process_ms_per_file: +median(inProc).toFixed(3),
    ffprobe_ms_per_file: +median(ff).toFixed(1),
  };
}
out.loadavg_end = os.loadavg()[0];
console.log(JSON.stringify(out, null, 2));

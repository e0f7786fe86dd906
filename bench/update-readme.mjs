#!/usr/bin/env node
// Writes the benchmark and reliability tables from bench/results/*.md into README.md, between
// the <!-- benchmarks:start/end --> and <!-- reliability:start/end --> markers (with each
// section's bench/results/<name>-notes.md after its table).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const results = path.join(root, 'bench/results');
const order = ['ingest', 'media', 'search', 'server', 'server-get', 's3-direct', 'jobs', 'web', 'player'];
const read = (name) => {
  const p = path.join(results, `${name}.md`);
  return fs.existsSync(p)
    ? fs
        .readFileSync(p, 'utf8')
        .trim()
        .replace(/^# .*\n+/, '')
    : null;
};
// A section is its bench's generated table, then its hand-written notes (re-runs, context) from
// bench/results/<name>-notes.md, which no bench script overwrites.
const sections = order
  .map((name) => [name, read(name), read(`${name}-notes`)])
  .filter(([, text]) => text)
  .map(([name, text, notes]) => `### ${name}\n\n${text}${notes ? `\n\n${notes}` : ''}`);
const reliability = read('reliability') ?? read('soak');
let readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const put = (marker, body) => {
  const re = new RegExp(`(<!-- ${marker}:start -->)[\\s\\S]*?(<!-- ${marker}:end -->)`);
  readme = readme.replace(re, `$1\n${body}\n$2`);
};
put('benchmarks', sections.join('\n\n') || '_No results yet: run `npm run bench`._');
if (reliability) put('reliability', reliability);
fs.writeFileSync(path.join(root, 'README.md'), readme);
console.log(
  `README updated with ${sections.length} benchmark section(s)${reliability ? ' and the reliability table' : ''}.`,
);

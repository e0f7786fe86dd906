#!/usr/bin/env node
// Runs every benchmark in turn (each writes bench/results/<name>.{json,md}), then the README tables.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const scripts = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('-bench.mjs'))
  .sort();
let failed = 0;
for (const s of scripts) {
  console.log(`\n== ${s}`);
  const r = spawnSync(process.execPath, [path.join(here, s)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
spawnSync(process.execPath, [path.join(here, 'update-readme.mjs')], { stdio: 'inherit' });
process.exit(failed ? 1 : 0);

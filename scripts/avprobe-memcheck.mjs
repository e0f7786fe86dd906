#!/usr/bin/env node
// Runs montu-avprobe under valgrind memcheck over every corpus file (broken ones included) and,
// with --hostile, cut and overwrite-corrupted copies of its video files, all in ONE process
// (decision 246). Usage: node scripts/avprobe-memcheck.mjs [binary] [--hostile] [--log FILE]
// Needs valgrind and a built @montu/core (dist). Prints valgrind's leak summary and error count.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Avprobe } from '../packages/core/dist/processing/tools/avprobe.js';
import { AVPROBE_BUILD_PATH } from '../packages/core/dist/processing/tools/avprobe-binary.js';
import { ffmpegInput } from '../packages/core/dist/processing/tools/ffmpeg-input.js';
import { sniffFile } from '../packages/core/dist/processing/tools/sniff.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const hostile = args.includes('--hostile');
const logAt = args.indexOf('--log');
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'montu-memcheck-'));
const log = logAt >= 0 ? path.resolve(args[logAt + 1]) : path.join(tmp, 'valgrind.log');
const binary = path.resolve(
  args.find((a, i) => !a.startsWith('--') && i !== logAt + 1) ?? AVPROBE_BUILD_PATH,
);
const corpus = path.resolve(root, process.env.MONTU_CORPUS ?? '../shared/corpus', 'media');

async function walk(dir) {
  const out = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

const files = await walk(corpus);
if (hostile) {
  // Cut at a spread of lengths and with 16 bytes overwritten in the header area (the approach of
  // container-reader.test.ts), for every video file.
  for (const f of files.filter((f) => /\/video\//.test(f))) {
    const src = await fs.readFile(f);
    for (let k = 1; k <= 6; k++) {
      const ext = path.extname(f);
      const cut = path.join(tmp, `${path.basename(f, ext)}-cut${k}${ext}`);
      await fs.writeFile(cut, src.subarray(0, Math.floor((src.length * k) / 7)));
      const bad = Buffer.from(src);
      const at = Math.floor((Math.min(src.length, 4096) * k) / 7);
      bad.fill(0xff, at, at + 16);
      const corrupt = path.join(tmp, `${path.basename(f, ext)}-bad${k}${ext}`);
      await fs.writeFile(corrupt, bad);
      files.push(cut, corrupt);
    }
  }
}

const wrapper = path.join(tmp, 'avprobe-under-valgrind.sh');
await fs.writeFile(
  wrapper,
  `#!/bin/sh\nexec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --track-origins=yes --num-callers=30 --log-file=${JSON.stringify(log)} ${JSON.stringify(binary)}\n`,
  { mode: 0o755 },
);
const prober = new Avprobe(wrapper, { maxProcs: 1, memoryBytes: 0 });
let answered = 0;
let failed = 0;
const t0 = Date.now();
for (const f of files) {
  const format = (await sniffFile(f, f).catch(() => null))?.format ?? '';
  try {
    await prober.probe({ ...ffmpegInput(f, format), timeoutMs: 120_000 });
    answered++;
  } catch (e) {
    failed++;
    if (/killed|exited|timed out/.test(e.message)) console.log(`process failure on ${f}: ${e.message}`);
  }
}
await prober.close();
// The cut and corrupted copies go; the wrapper and (unless --log names another place) the log stay.
await Promise.all(files.filter((f) => f.startsWith(tmp)).map((f) => fs.rm(f, { force: true })));
console.log(
  `${files.length} files in one process: ${answered} answered, ${failed} failed, ${Date.now() - t0} ms`,
);
const text = await fs.readFile(log, 'utf8');
console.log(
  text
    .split('\n')
    .filter((l) =>
      /ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|Invalid|uninitialised/.test(
        l,
      ),
    )
    .join('\n'),
);
console.log(`valgrind log: ${log}`);

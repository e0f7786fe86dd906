/**
 * Commands that talk to a server must not load the core library (database drivers, sharp, the
 * AWS SDK): it cost every `montu … --server` invocation ~0.5 s of start-up (decision 072).
 * A preload lists, at exit, the CommonJS modules the process loaded (ESM-imported CommonJS
 * packages such as better-sqlite3 and sharp land in require.cache too).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, ensureBuilt, tempDir } from './helpers/cli.js';

const run = promisify(execFile);
const HEAVY = /node_modules\/(better-sqlite3|sharp|@img|pg|@aws-sdk|exiftool-vendored|bullmq|ioredis)\//;

let preload: string;
let report: string;

beforeAll(() => {
  ensureBuilt();
  const dir = tempDir('montu-startup-');
  report = path.join(dir, 'modules.json');
  preload = path.join(dir, 'preload.cjs');
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify(Object.keys(require.cache))));\n`,
  );
});

/** The CommonJS modules a run of `node <args>` loaded. */
async function loadedBy(args: string[]): Promise<string[]> {
  fs.rmSync(report, { force: true });
  await run(process.execPath, ['--require', preload, ...args], { cwd: ROOT }).catch(() => undefined);
  return JSON.parse(fs.readFileSync(report, 'utf8')) as string[];
}

describe('CLI start-up', () => {
  it('the check sees the core library when it is loaded', async () => {
    const mods = await loadedBy(['--input-type=module', '-e', "await import('@montu/core')"]);
    expect(mods.filter((m) => HEAVY.test(m)).length).toBeGreaterThan(0);
  });

  it('--version and a remote ingest do not load the core library', async () => {
    const file = path.join(tempDir('montu-startup-file-'), 'a.jpg');
    fs.writeFileSync(file, 'x');
    for (const args of [
      [BIN, '--version'],
      [BIN, 'ingest', '--server', 'http://127.0.0.1:9', '--token', 't', '-p', 'P', '-t', 'T', file],
      [BIN, 'search', '--server', 'http://127.0.0.1:9', '--token', 't'],
    ]) {
      const heavy = (await loadedBy(args)).filter((m) => HEAVY.test(m));
      expect(heavy, args.slice(1).join(' ')).toEqual([]);
    }
  });
});

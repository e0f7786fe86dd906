/**
 * Importing the core must not load the drivers of the scale mode (PostgreSQL, Redis, BullMQ) or
 * the AWS SDK: together they took ~150–250 ms of every `montu` command on a local data directory.
 * They load when a PostgreSQL URL, Redis or an S3 bucket is actually used.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../dist/index.js');
const HEAVY = String.raw`node_modules/(pg|ioredis|bullmq|@aws-sdk/[^/]+)/`;

/** The heavy packages loaded after running `body` in a fresh process (ESM imports of these CommonJS packages go through require's cache). */
function heavyLoadedAfter(body: string): string[] {
  const script = `
    const core = await import(${JSON.stringify(DIST)});
    ${body}
    const { createRequire } = await import('node:module');
    const names = new Set();
    for (const k of Object.keys(createRequire(import.meta.url).cache)) {
      const m = new RegExp(${JSON.stringify(HEAVY)}).exec(k);
      if (m) names.add(m[1]);
    }
    console.log(JSON.stringify([...names].sort()));`;
  return JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
  );
}

describe('core start-up', () => {
  it('loads no PostgreSQL, Redis, BullMQ or AWS module on import', () => {
    expect(heavyLoadedAfter('')).toEqual([]);
  });

  it('loads the AWS SDK once an S3 backend talks to its bucket (so the check above can see it)', () => {
    const loaded = heavyLoadedAfter(`
      const s3 = core.createStorage({ type: 's3', bucket: 'montu-test', endpoint: 'http://127.0.0.1:9' });
      if (s3.client === undefined) throw new Error('no client');`);
    expect(loaded).toEqual(expect.arrayContaining(['@aws-sdk/client-s3']));
    expect(loaded).not.toContain('pg');
  });
});

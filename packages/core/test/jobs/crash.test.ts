/**
 * Crash recovery: a worker process is SIGKILLed (with its ffmpeg children) in the middle of
 * proxy jobs; a new worker takes the jobs over once their leases lapse. Every job finishes,
 * none is lost, and no half-written rendition is ever recorded or visible.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MontuEvent } from '../../src/index.js';
import { DATABASES, makePng, tempDir } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';
import { MODES, REDIS_URL, uniqueQueueName, waitFor } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'fixtures/worker-child.mjs');
const LEASE_MS = 1500;

export function startChild(options: Record<string, unknown>): Promise<ChildProcess> {
  // Its own process group, so a SIGKILL of the group takes its ffmpeg children too (a crashed machine).
  const child = spawn(process.execPath, [CHILD], {
    env: { ...process.env, MONTU_CHILD: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

const cases = DATABASES.flatMap((db) => MODES.map((mode) => [mode, db] as const));

describe.each(cases)('crash of a %s worker on %s', (mode, kind) => {
  let lib: TestLibrary;
  let work: string;
  const children: ChildProcess[] = [];
  const queueName = uniqueQueueName();
  const events: MontuEvent[] = [];

  beforeAll(async () => {
    // This process only enqueues (an API server); the children work.
    lib = await openTestLibrary(kind, {
      jobs:
        mode === 'bullmq'
          ? { redisUrl: REDIS_URL!, work: false, queueName, leaseMs: LEASE_MS }
          : { work: false },
    });
    lib.montu.events.subscribe((e) => events.push(e));
    work = tempDir();
  });
  afterAll(async () => {
    for (const c of children) killGroup(c, 'SIGKILL');
    await lib.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('finishes every job after a SIGKILL mid-proxy, without half-written renditions', async () => {
    const { media } = lib.montu;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const mov = path.join(work, `clip${i}.mov`);
      execFileSync('ffmpeg', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=960x540:rate=24:duration=${6 + 2 * i}`,
        '-c:v',
        'mpeg4',
        '-q:v',
        '5',
        '-y',
        mov,
      ]);
      ids.push(
        await media.uploadMedia({ filePath: mov, projectId: 'CRS', taskId: `sh0${i}0_anim`, author: 'x' }),
      );
      ids.push(
        await media.uploadMedia({
          filePath: await makePng(path.join(work, `s${i}.png`), 320, 200),
          projectId: 'CRS',
          taskId: `sh0${i}0_comp`,
          author: 'x',
        }),
      );
    }
    const childOptions = {
      dataDir: lib.dir,
      databaseUrl: lib.databaseUrl,
      storageRoot: lib.storageRoot,
      leaseMs: LEASE_MS,
      concurrency: 2,
      ...(mode === 'bullmq' ? { redisUrl: REDIS_URL, queueName } : {}),
    };
    const first = await startChild(childOptions);
    children.push(first);
    // Wait until a proxy is being written, then crash the worker.
    const victim = await waitFor(
      async () => (await lib.montu.jobs!.list({ type: 'proxy', state: 'running' }))[0],
      90_000,
      'a proxy job in progress',
    );
    killGroup(first, 'SIGKILL');
    const orphaned = (await lib.montu.jobs!.list({ state: 'running' })).map((j) => j.id);
    expect(orphaned).toContain(victim.id);
    expect((await lib.montu.jobs!.get(victim.id)).state).toBe('running');

    const second = await startChild(childOptions);
    children.push(second);
    await waitFor(
      async () => {
        const all = await lib.montu.jobs!.list({ limit: 1000 });
        // Movies: probe, thumbnail, proxy; PNG stills: probe, thumbnail (the PNG is the web image).
        return all.length === (ids.length / 2) * 5 && all.every((j) => j.state === 'done');
      },
      120_000,
      'every job done',
    );
    killGroup(second, 'SIGTERM');

    // Every job done exactly once; the orphaned ones took a second attempt.
    const all = await lib.montu.jobs!.list({ limit: 1000 });
    for (const j of all) expect(j.attempts).toBe(orphaned.includes(j.id) ? 2 : 1);
    // Every item ready with a thumbnail (and a proxy and sprite sheet for movies) whose bytes
    // match the record.
    const recorded = new Set<string>();
    for (const id of ids) {
      const m = await media.getMediaById(id);
      expect(m.processingState).toBe('ready');
      const roles = m.files.map((f) => f.role).sort();
      expect(roles).toEqual(
        m.mediaType === 'video' ? ['original', 'proxy', 'sprite', 'thumbnail'] : ['original', 'thumbnail'],
      );
      for (const f of m.files) {
        recorded.add(f.key);
        const bytes = fs.readFileSync(path.join(lib.storageRoot, f.key));
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
        expect(bytes.length).toBe(f.size);
        if (f.role === 'proxy') {
          const d = execFileSync(
            'ffprobe',
            [
              '-v',
              'error',
              '-show_entries',
              'format=duration',
              '-of',
              'csv=p=0',
              path.join(lib.storageRoot, f.key),
            ],
            { encoding: 'utf8' },
          );
          expect(Number(d)).toBeGreaterThan(2.5);
        }
      }
    }
    // Nothing else visible under the renditions: no partial or stray files.
    const visible: string[] = [];
    for await (const o of lib.montu.storage.list('CRS/')) visible.push(o.key);
    expect(visible.sort()).toEqual([...recorded].sort());
    if (mode === 'bullmq') {
      // The event bridge carried the workers' progress to this (API) process, with the project.
      const progress = events.filter((e) => e.type === 'job.progress');
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.every((e) => e.projectId === 'CRS')).toBe(true);
      expect(events.some((e) => e.type === 'processing.finished' && e.mediaId === ids[0])).toBe(true);
    }
  }, 360_000); // two worker processes, ffmpeg and a crash: minutes on a loaded 2-core machine
});

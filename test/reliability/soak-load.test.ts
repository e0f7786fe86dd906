/**
 * Load soak (`npm run test:soak` only; excluded from `npm test` in vitest.config.ts): a real
 * `montu serve` (SQLite + local storage, embedded processing) seeded with 300 processed images,
 * then, from a second process (helpers/load-runner.mjs), 200 autocannon connections for 60 s
 * mixing searches (30 %), media gets (30 %) and thumbnail downloads (40 %), while 2 sequential
 * uploaders send 50 MB WAV files by multipart (at most 24: each is also processed — probe,
 * waveform, audio proxy — and the queue must drain before memory is read). autocannon keeps its 200
 * connections for the small GETs: it sends bodies from memory per connection, so 200 × 50 MB
 * uploads would measure the client, not the server.
 *
 * Checks: no connection errors, timeouts or non-2xx responses; every upload stored; server RSS
 * (from /proc, after the queue drained and a 15 s settle) grows by less than 200 MB. Writes
 * bench/results/soak.json and the load row of bench/results/reliability.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../packages/core/test/helpers/env.js';
import { prng, startServe, type ServeProcess } from './helpers/serve.js';

const PROJECT = 'LOAD';
const SEED_ITEMS = Number(process.env['MONTU_SOAK_ITEMS'] ?? 300);
const CONNECTIONS = Number(process.env['MONTU_SOAK_CONNECTIONS'] ?? 200);
const DURATION_S = Number(process.env['MONTU_SOAK_SECONDS'] ?? 60);
const UPLOADERS = 2;
const UPLOAD_BYTES = 50 * 1024 * 1024;
const MAX_UPLOADS = 24;
const WORDS = ['plate', 'comp', 'lighting', 'anim', 'fx', 'matte', 'roto', 'layout'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}
const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;

interface MediaLite {
  id: string;
  processingState: string;
}

describe('load soak: 200 connections × 60 s against montu serve', () => {
  let server: ServeProcess | undefined;
  let dir = '';
  afterAll(async () => {
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(
    'serves searches, gets, thumbnails and 50 MB uploads with no errors and bounded memory',
    { timeout: 20 * 60_000 },
    async () => {
      dir = tempDir('montu-soak-');
      server = await startServe(dir);
      const token = server.firstRunToken!;
      expect(token, server.stderr()).toMatch(/^montu_/);
      const auth = { authorization: `Bearer ${token}` };
      const api = server.api;
      const created = await fetch(`${api}/projects`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ id: PROJECT, name: 'Load' }),
      });
      expect(created.status, await created.clone().text()).toBe(201);

      // Seed: small noise PNGs, uploaded 6 at a time (under the per-user cap of 8), processed.
      const sharp = (await import('sharp')).default;
      const rnd = prng(7);
      const seedStart = Date.now();
      let next = 0;
      const ids: string[] = [];
      const seedOne = async (i: number) => {
        const side = 48 + (i % 5) * 16;
        const raw = Buffer.alloc(side * side * 3);
        for (let j = 0; j < raw.length; j++) raw[j] = Math.floor(rnd() * 256);
        const png = await sharp(raw, { raw: { width: side, height: side, channels: 3 } })
          .png()
          .toBuffer();
        const form = new FormData();
        form.append('projectId', PROJECT);
        form.append('taskId', `shot_${String(i % 30).padStart(3, '0')}`);
        form.append('description', `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} take ${i}`);
        form.append('file', new Blob([png]), `${WORDS[i % WORDS.length]}_${i}.png`);
        const r = await fetch(`${api}/media`, { method: 'POST', headers: auth, body: form });
        const j = (await r.json()) as { id?: string; detail?: string };
        expect(r.status, j.detail).toBe(201);
        ids.push(j.id!);
      };
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          while (next < SEED_ITEMS) await seedOne(next++);
        }),
      );
      const listAll = async (): Promise<MediaLite[]> => {
        const out: MediaLite[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < 100; page++) {
          const r = await fetch(
            `${api}/media?projectId=${PROJECT}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
            { headers: auth },
          );
          const j = (await r.json()) as { items: MediaLite[]; nextCursor?: string | null };
          out.push(...j.items);
          if (!j.nextCursor) break;
          cursor = j.nextCursor;
        }
        return out;
      };
      const drained = async (limitMs: number) => {
        const until = Date.now() + limitMs;
        let items: MediaLite[] = [];
        while (Date.now() < until) {
          items = await listAll();
          if (items.every((m) => m.processingState === 'ready' || m.processingState === 'failed'))
            return items;
          await sleep(1000);
        }
        throw new Error(`processing did not drain in ${limitMs} ms`);
      };
      const seeded = await drained(10 * 60_000);
      expect(seeded.filter((m) => m.processingState === 'ready').length).toBe(SEED_ITEMS);
      const seedSeconds = (Date.now() - seedStart) / 1000;
      const thumb = await fetch(`${api}/media/${ids[0]}/files/thumbnail`, { headers: auth });
      expect(thumb.status).toBe(200);
      await thumb.arrayBuffer();

      await sleep(15_000);
      const rssBefore = rssBytes(server.pid);

      // The load, from a second process. RSS sampled every second for the peak.
      let rssPeak = rssBefore;
      const sampler = setInterval(() => {
        try {
          rssPeak = Math.max(rssPeak, rssBytes(server!.pid));
        } catch {
          /* gone */
        }
      }, 1000);
      const runnerConfig = {
        api,
        token,
        projectId: PROJECT,
        ids,
        queries: [...WORDS, 'take 1', 'shot', 'nothing-matches-this'],
        connections: CONNECTIONS,
        durationSeconds: DURATION_S,
        uploaders: UPLOADERS,
        uploadBytes: UPLOAD_BYTES,
        maxUploads: MAX_UPLOADS,
      };
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [path.resolve('test/reliability/helpers/load-runner.mjs'), JSON.stringify(runnerConfig)],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stdout = '';
        let stderr = '';
        const kill = setTimeout(() => child.kill('SIGKILL'), (DURATION_S + 300) * 1000);
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-5000)));
        child.once('exit', (code) => {
          clearTimeout(kill);
          if (code === 0) resolve(stdout);
          else reject(new Error(`load runner exited ${code}: ${stderr}`));
        });
      });
      clearInterval(sampler);
      const load = JSON.parse(out) as {
        wallSeconds: number;
        autocannon: {
          requests: number;
          requestsPerSecond: number;
          throughputBytesPerSecond: number;
          latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
          errors: number;
          timeouts: number;
          non2xx: number;
          statusCodes: Record<string, { count: number }>;
          mix: Record<string, number>;
        };
        uploads: {
          ok: number;
          failed: number;
          bytes: number;
          latencyMs: { p50: number | null; p99: number | null };
          errors: string[];
        };
      };

      // After: let the upload processing jobs finish, settle, read RSS.
      const after = await drained(10 * 60_000);
      await sleep(15_000);
      const rssAfter = rssBytes(server.pid);
      const growth = rssAfter - rssBefore;
      const health = await fetch(`${server.url}/healthz`).catch(() => undefined);

      const result = {
        date: new Date().toISOString(),
        machine: {
          cores: (await import('node:os')).cpus().length,
          memoryGiB: Math.round((await import('node:os')).totalmem() / 2 ** 30),
        },
        setup: {
          database: 'sqlite',
          storage: 'local',
          processing: 'embedded (in the server process)',
          seededItems: SEED_ITEMS,
          seedSeconds,
          mix: 'autocannon: 30 % GET /media?projectId&query=<word>&limit=50, 30 % GET /media/:id, 40 % GET /media/:id/files/thumbnail; plus 2 sequential multipart uploaders of 50 MB WAV files (max 24), from the same second process',
        },
        connections: CONNECTIONS,
        durationSeconds: DURATION_S,
        requests: load.autocannon.requests,
        requestsPerSecond: load.autocannon.requestsPerSecond,
        throughputMBps: mb(load.autocannon.throughputBytesPerSecond),
        latencyMs: load.autocannon.latencyMs,
        errors: load.autocannon.errors,
        timeouts: load.autocannon.timeouts,
        non2xx: load.autocannon.non2xx,
        statusCodes: Object.fromEntries(
          Object.entries(load.autocannon.statusCodes).map(([k, v]) => [k, v.count]),
        ),
        requestMix: load.autocannon.mix,
        uploads: {
          ...load.uploads,
          fileMB: UPLOAD_BYTES / 2 ** 20,
          concurrent: UPLOADERS,
          mbStored: mb(load.uploads.bytes),
        },
        processingAfterRun: {
          items: after.length,
          ready: after.filter((m) => m.processingState === 'ready').length,
          failed: after.filter((m) => m.processingState === 'failed').length,
        },
        rssMB: { before: mb(rssBefore), peak: mb(rssPeak), after: mb(rssAfter), growth: mb(growth) },
        rssMethod:
          '/proc/<pid>/status VmRSS of the montu serve process; "before" after seeding, processing and a 15 s settle; "after" once the queue drained plus a 15 s settle (no forced GC: the server exposes none)',
      };
      fs.mkdirSync('bench/results', { recursive: true });
      fs.writeFileSync('bench/results/soak.json', JSON.stringify(result, null, 2) + '\n');
      console.log(JSON.stringify(result, null, 2));

      const ok =
        result.errors === 0 &&
        result.timeouts === 0 &&
        result.non2xx === 0 &&
        load.uploads.failed === 0 &&
        growth < 200 * 2 ** 20;
      const row = `| load (${CONNECTIONS} connections × ${DURATION_S} s, autocannon from a second process: searches, gets, thumbnails + ${UPLOADERS} × 50 MB uploaders) | ${ok ? 'yes' : 'NO'} | ${result.requests.toLocaleString('en-US')} requests (${Math.round(result.requestsPerSecond)}/s), ${result.errors + result.timeouts + result.non2xx} errors/non-2xx, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms; ${load.uploads.ok} uploads of 50 MB stored, ${load.uploads.failed} failed; server RSS ${result.rssMB.before} → ${result.rssMB.after} MB (${result.rssMB.growth >= 0 ? '+' : ''}${result.rssMB.growth} MB, peak ${result.rssMB.peak} MB) |`;
      const relPath = 'bench/results/reliability.md';
      const rel = fs.readFileSync(relPath, 'utf8');
      fs.writeFileSync(relPath, rel.replace(/^\| load .*$/m, row));

      expect(health?.status).toBe(200);
      expect(load.autocannon.requests).toBeGreaterThan(1000);
      expect(result.errors, JSON.stringify(result.statusCodes)).toBe(0);
      expect(result.timeouts).toBe(0);
      expect(result.non2xx, JSON.stringify(result.statusCodes)).toBe(0);
      expect(load.uploads.failed, load.uploads.errors.join('\n')).toBe(0);
      expect(load.uploads.ok).toBeGreaterThan(0);
      expect(result.processingAfterRun.items).toBe(SEED_ITEMS + load.uploads.ok);
      expect(growth, `RSS ${mb(rssBefore)} → ${mb(rssAfter)} MB`).toBeLessThan(200 * 2 ** 20);
    },
  );
});

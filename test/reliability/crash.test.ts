/**
 * Crash consistency: `montu serve` (the built CLI, a real child process) is SIGKILLed at seeded
 * random moments while clients drive mixed uploads (multipart, tus, image sequences), restarted
 * on the same data directory, and the clients carry on (tus and sequence uploads resume). At the
 * end:
 *  - every upload the server acknowledged is there, with the sha256 the client sent;
 *  - every media record's files exist in storage and re-hash to their recorded sha256;
 *  - nothing visible in storage lacks a record (partial writes only ever in `.montu-tmp`);
 *  - `cleanupOrphanedFiles` removes whatever crash leftovers remain and a second dry run is clean;
 *  - every queued job finished: all media `ready`, or `failed` with an error.
 *
 * Default: SQLite + local storage, ~60 uploads and 5 kills, and with MONTU_TEST_DATABASE_URL (CI)
 * PostgreSQL + S3 (s3rver), 40 uploads and 4 kills. Soak (`MONTU_SOAK=1`): 200 uploads and 12 kills each. A killed *worker* (scale
 * mode) is covered by packages/core/test/jobs/crash.test.ts (embedded and BullMQ queues).
 *
 * Seed: MONTU_CRASH_SEED (printed on failure).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createStorage, openMontu, type StorageBackend } from '@montu/core';
import { freshDatabase, tempDir } from '../../packages/core/test/helpers/env.js';
import { startS3rver, type S3rverHandle } from '../../packages/core/test/helpers/s3rver.js';
import { tusMetadata } from '../../packages/server/test/helpers.js';
import { prng, startServe, type ServeProcess } from './helpers/serve.js';

const SOAK = process.env['MONTU_SOAK'] === '1';
const SEED = Number(process.env['MONTU_CRASH_SEED'] ?? 20240917);
const PROJECT = 'CRA';

type Kind = 'multipart' | 'tus' | 'sequence';
interface Outcome {
  i: number;
  kind: Kind;
  /** Acknowledged by the server (201 / tus result complete). */
  mediaId?: string;
  sha256?: string;
  /** Interrupted by a kill and not (fully) resumed. */
  interrupted?: boolean;
  /** Times a sequence upload carried on after a restart with the frames still pending. */
  resumed?: number;
  /** Times a sequence upload started over (the kill cut its start request: no upload id). */
  restarted?: number;
  error?: string;
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Noise PNGs (incompressible, so uploads take long enough for a kill to land mid-stream). */
async function makeInputs(n: number, side: number): Promise<Buffer[]> {
  const sharp = (await import('sharp')).default;
  const rnd = prng(SEED);
  const out: Buffer[] = [];
  for (let k = 0; k < n; k++) {
    const s = side + k * 16;
    const raw = Buffer.alloc(s * s * 3);
    for (let j = 0; j < raw.length; j++) raw[j] = Math.floor(rnd() * 256);
    out.push(
      await sharp(raw, { raw: { width: s, height: s, channels: 3 } })
        .png({ compressionLevel: 1 })
        .toBuffer(),
    );
  }
  return out;
}

interface Variant {
  name: string;
  db: 'sqlite' | 'postgres';
  s3: boolean;
  uploads: number;
  kills: number;
}

const variants: Variant[] = [
  { name: 'sqlite + local', db: 'sqlite', s3: false, uploads: SOAK ? 200 : 60, kills: SOAK ? 12 : 5 },
];
// The issue asks for the same on PostgreSQL and S3: in CI (which sets the database URL) a shorter
// run, in the soak the long one.
if (process.env['MONTU_TEST_DATABASE_URL'])
  variants.push({
    name: 'postgres + s3',
    db: 'postgres',
    s3: true,
    uploads: SOAK ? 200 : 40,
    kills: SOAK ? 12 : 4,
  });

describe.each(variants)('crash consistency: SIGKILLed montu serve ($name)', (v) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it(
    `keeps every acknowledged upload and leaves nothing half-done (${v.uploads} uploads, ${v.kills} kills, seed ${SEED})`,
    { timeout: SOAK ? 30 * 60_000 : 240_000 },
    async () => {
      const dir = tempDir('montu-crash-');
      const db = await freshDatabase(v.db, dir);
      let s3: S3rverHandle | undefined;
      const env: Record<string, string> = {};
      const args = v.db === 'postgres' ? ['--database-url', db.url] : [];
      if (v.s3) {
        s3 = await startS3rver();
        Object.assign(env, {
          MONTU_STORAGE: 's3',
          MONTU_S3_BUCKET: s3.bucket,
          MONTU_S3_ENDPOINT: s3.endpoint,
          MONTU_S3_REGION: s3.region,
          MONTU_S3_ACCESS_KEY_ID: s3.accessKeyId,
          MONTU_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
          MONTU_S3_FORCE_PATH_STYLE: '1',
        });
      }
      let server: ServeProcess | undefined;
      cleanups.push(async () => {
        await server?.kill();
        await s3?.close();
        await db.drop();
        fs.rmSync(dir, { recursive: true, force: true });
      });

      const rnd = prng(SEED + v.uploads);
      const inputs = await makeInputs(6, 420); // ~0.5–1 MB each
      server = await startServe(dir, { args, env });
      const token = server.firstRunToken!;
      expect(token, server.stderr()).toMatch(/^montu_/);
      const auth = { authorization: `Bearer ${token}` };

      // The current server; requests wait here while it is being restarted.
      let up: Promise<ServeProcess> = Promise.resolve(server);
      const api = async () => (await up).api;
      const origin = async () => (await up).url;

      const created = await fetch(`${server.api}/projects`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ id: PROJECT, name: 'Crash' }),
      });
      expect(created.status, await created.clone().text()).toBe(201);

      const isNetErr = (e: unknown) =>
        e instanceof TypeError || (e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError';
      const timeout = () => AbortSignal.timeout(60_000);

      async function multipart(o: Outcome, body: Buffer, task: string): Promise<void> {
        const form = new FormData();
        form.append('projectId', PROJECT);
        form.append('taskId', task);
        form.append('sha256', o.sha256!);
        form.append('file', new Blob([body]), `plate_${o.i}.png`);
        const r = await fetch(`${await api()}/media`, {
          method: 'POST',
          headers: auth,
          body: form,
          signal: timeout(),
        });
        const j = (await r.json()) as { id?: string; detail?: string };
        if (r.status !== 201) throw new Error(`multipart ${r.status}: ${j.detail}`);
        o.mediaId = j.id!;
      }

      async function tus(o: Outcome, body: Buffer, task: string): Promise<void> {
        const c = await fetch(`${await api()}/uploads`, {
          method: 'POST',
          headers: {
            ...auth,
            'tus-resumable': '1.0.0',
            'upload-length': String(body.length),
            'upload-metadata': tusMetadata({
              filename: `tus_${o.i}.png`,
              projectId: PROJECT,
              taskId: task,
              sha256: o.sha256!,
            }),
          },
          signal: timeout(),
        });
        if (c.status !== 201) throw new Error(`tus create ${c.status}: ${await c.text()}`);
        const loc = c.headers.get('location')!;
        const id = loc.split('/').pop()!;
        for (let attempt = 0; attempt < 4; attempt++) {
          try {
            const h = await fetch(new URL(loc, await origin()), {
              method: 'HEAD',
              headers: { ...auth, 'tus-resumable': '1.0.0' },
              signal: timeout(),
            });
            if (h.status === 404 || h.status === 410) break; // finished (partial removed) or gone: ask for the result
            if (h.status !== 200) throw new Error(`tus HEAD ${h.status}`);
            let offset = Number(h.headers.get('upload-offset'));
            // Two PATCHes, so a kill can land between them as well as inside one.
            while (offset < body.length) {
              const end = Math.min(body.length, offset + Math.ceil(body.length / 2));
              const p = await fetch(new URL(loc, await origin()), {
                method: 'PATCH',
                headers: {
                  ...auth,
                  'tus-resumable': '1.0.0',
                  'upload-offset': String(offset),
                  'content-type': 'application/offset+octet-stream',
                },
                body: body.subarray(offset, end),
                signal: timeout(),
              });
              if (p.status !== 204) throw new Error(`tus PATCH ${p.status}: ${await p.text()}`);
              const mediaId = p.headers.get('montu-media-id');
              if (mediaId) {
                o.mediaId = mediaId;
                return;
              }
              offset = Number(p.headers.get('upload-offset'));
            }
            break;
          } catch (e) {
            if (!isNetErr(e)) throw e;
            await up;
          }
        }
        const res = await fetch(`${await api()}/uploads/${id}/result`, { headers: auth, signal: timeout() });
        const j = (await res.json()) as { state: string; mediaId?: string; error?: unknown };
        if (res.status === 200 && j.state === 'complete') o.mediaId = j.mediaId!;
        else if (
          res.status === 200 &&
          (j.error as { code?: string } | undefined)?.code === 'upload_interrupted'
        ) {
          // Killed between taking the file and recording the outcome: the version is there or not at all.
          const m = await fetch(`${await api()}/media?projectId=${PROJECT}&taskId=${task}`, {
            headers: auth,
            signal: timeout(),
          });
          const found = ((await m.json()) as { items: Array<{ id: string; sha256: string }> }).items.find(
            (x) => x.sha256 === o.sha256,
          );
          if (found) o.mediaId = found.id;
          else o.interrupted = true;
        } else throw new Error(`tus result ${res.status}: ${JSON.stringify(j)}`);
      }

      // A sequence upload belongs to the client, not to the server process that started it: after
      // a kill the client asks which frames are still pending and sends only those. It starts
      // over only when the start request itself was cut (it never learned the upload's id).
      async function sequence(o: Outcome, body: Buffer, task: string): Promise<void> {
        const frames = [1001, 1002, 1003];
        const committed = async (): Promise<string | undefined> => {
          const m = await fetch(`${await api()}/media?projectId=${PROJECT}&taskId=${task}`, {
            headers: auth,
            signal: timeout(),
          });
          return ((await m.json()) as { items: Array<{ id: string }> }).items[0]?.id;
        };
        let uploadId: string | undefined;
        for (let attempt = 0; attempt < 6; attempt++) {
          try {
            let pending = frames;
            if (uploadId) {
              const g = await fetch(`${await api()}/uploads/sequences/${uploadId}`, {
                headers: auth,
                signal: timeout(),
              });
              if (g.status === 404) {
                // Completed before the kill cut the answer.
                const id = await committed();
                if (!id) throw new Error(`sequence upload ${uploadId} vanished without an item`);
                o.mediaId = id;
                return;
              }
              if (g.status !== 200) throw new Error(`sequence status ${g.status}: ${await g.text()}`);
              pending = ((await g.json()) as { pendingFrames: number[] }).pendingFrames;
              o.resumed = (o.resumed ?? 0) + 1;
            } else {
              if (attempt > 0) {
                const id = await committed();
                if (id) {
                  o.mediaId = id;
                  return;
                }
                o.restarted = (o.restarted ?? 0) + 1;
              }
              const s = await fetch(`${await api()}/uploads/sequences`, {
                method: 'POST',
                headers: { ...auth, 'content-type': 'application/json' },
                body: JSON.stringify({
                  projectId: PROJECT,
                  taskId: task,
                  fileName: `seq_${o.i}.####.png`,
                  frames: frames.map((f) => ({ frame: f, fileName: `seq_${o.i}.${f}.png` })),
                }),
                signal: timeout(),
              });
              if (s.status !== 201) throw new Error(`sequence start ${s.status}: ${await s.text()}`);
              uploadId = ((await s.json()) as { uploadId: string }).uploadId;
            }
            for (const f of pending) {
              const r = await fetch(`${await api()}/uploads/sequences/${uploadId}/frames/${f}`, {
                method: 'PUT',
                headers: { ...auth, 'content-type': 'image/png' },
                body,
                signal: timeout(),
              });
              if (r.status !== 200) throw new Error(`frame ${f}: ${r.status} ${await r.text()}`);
            }
            const c = await fetch(`${await api()}/uploads/sequences/${uploadId}/complete`, {
              method: 'POST',
              headers: auth,
              signal: timeout(),
            });
            if (c.status !== 201) throw new Error(`sequence complete ${c.status}: ${await c.text()}`);
            o.mediaId = ((await c.json()) as { id: string }).id;
            return;
          } catch (e) {
            if (!isNetErr(e)) throw e;
            await up;
          }
        }
        throw new TypeError('sequence upload interrupted on every attempt');
      }

      // Plan: a seeded mix; kills after seeded numbers of finished uploads, plus a random delay so
      // they land inside requests.
      const kinds: Kind[] = ['multipart', 'tus', 'sequence'];
      const outcomes: Outcome[] = Array.from({ length: v.uploads }, (_, i) => ({
        i,
        kind: kinds[Math.floor(rnd() * 3)]!,
      }));
      const killAt = new Set<number>();
      while (killAt.size < v.kills) killAt.add(3 + Math.floor(rnd() * (v.uploads - 8)));
      const killDelays = [...killAt].map(() => Math.floor(rnd() * 400));
      let finished = 0;
      let kills = 0;
      let restarting: Promise<void> | null = null;

      async function crashAndRestart(delay: number): Promise<void> {
        await new Promise((r) => setTimeout(r, delay));
        const old = await up;
        let release!: (s: ServeProcess) => void;
        up = new Promise((r) => (release = r));
        await old.kill();
        kills++;
        server = await startServe(dir, { args, env });
        release(server);
      }

      let next = 0;
      const client = async () => {
        while (next < outcomes.length) {
          const o = outcomes[next++]!;
          const body = inputs[o.i % inputs.length]!;
          o.sha256 = sha(body);
          const task = `ep01_sq${String(10 + (o.i % 7) * 10).padStart(3, '0')}_sh${String(o.i).padStart(4, '0')}_comp`;
          try {
            if (o.kind === 'multipart') await multipart(o, body, task);
            else if (o.kind === 'tus') await tus(o, body, task);
            else await sequence(o, body, task);
          } catch (e) {
            if (isNetErr(e)) o.interrupted = true;
            else o.error = (e as Error).message;
            await up;
          }
          finished++;
          if (killAt.has(finished)) {
            killAt.delete(finished);
            restarting = crashAndRestart(killDelays[kills] ?? 0);
          }
        }
      };
      await Promise.all([client(), client(), client(), client()]);
      await restarting;
      expect(kills).toBe(v.kills);

      // Settle: every job finished (a restart picks up what the killed process was working on).
      const base = (await up).api;
      const jobCount = async (state: string) =>
        (
          (await (await fetch(`${base}/jobs?state=${state}&limit=500`, { headers: auth })).json()) as {
            items: unknown[];
          }
        ).items.length;
      type M = {
        id: string;
        sha256: string;
        processingState: string;
        processingError: string | null;
        mediaType: string;
        files: Array<{ key: string; sha256: string; size: number; state: string; role: string }>;
      };
      const allMedia = async (): Promise<M[]> => {
        const out: M[] = [];
        let cursor: string | null = null;
        for (let page = 0; page < 50; page++) {
          const r = await fetch(
            `${base}/media?projectId=${PROJECT}&archived=include&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
            { headers: auth },
          );
          const j = (await r.json()) as { items: M[]; nextCursor: string | null };
          out.push(...j.items);
          cursor = j.nextCursor;
          if (!cursor) break;
        }
        return out;
      };
      const deadline = Date.now() + (SOAK ? 600_000 : 120_000);
      let media = await allMedia();
      while (Date.now() < deadline) {
        media = await allMedia();
        const busy = media.filter(
          (m) => m.processingState === 'pending' || m.processingState === 'processing',
        ).length;
        if (busy === 0 && (await jobCount('queued')) === 0 && (await jobCount('running')) === 0) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      const report = `seed ${SEED}; outcomes: ${JSON.stringify(outcomes.filter((o) => o.error))}`;
      expect(await jobCount('queued'), report).toBe(0);
      expect(await jobCount('running'), report).toBe(0);
      for (const m of media) {
        expect(['ready', 'failed'], `${m.id} ${m.processingState}`).toContain(m.processingState);
        if (m.processingState === 'failed') expect(m.processingError, m.id).toBeTruthy();
      }
      // Acknowledged ⇒ durable, with the bytes the client sent.
      const byId = new Map(media.map((m) => [m.id, m]));
      const acked = outcomes.filter((o) => o.mediaId);
      for (const o of acked) {
        const m = byId.get(o.mediaId!);
        expect(m, `acknowledged ${o.kind} upload ${o.i} (${o.mediaId}) is gone; ${report}`).toBeDefined();
        if (o.kind !== 'sequence') expect(m!.sha256).toBe(o.sha256);
        else expect(m!.files.filter((f) => f.role === 'frame').length).toBe(3);
      }
      // Refusals other than interruptions are bugs (the inputs are valid).
      expect(outcomes.filter((o) => o.error).map((o) => `${o.kind} ${o.i}: ${o.error}`)).toEqual([]);
      // Most uploads got through; only those cut by a kill may be missing.
      expect(acked.length).toBeGreaterThanOrEqual(v.uploads - 3 * v.kills);

      // Storage agrees with the records: every file exists and re-hashes to its sha256.
      const storage: StorageBackend = s3
        ? createStorage(s3.storageConfig())
        : createStorage({ type: 'local', root: path.join(dir, 'storage') });
      const hashOf = async (key: string): Promise<string | null> => {
        if (!(await storage.stat(key))) return null;
        const h = createHash('sha256');
        for await (const chunk of await storage.get(key)) h.update(chunk as Buffer);
        return h.digest('hex');
      };
      const recorded = new Set<string>();
      const bad: string[] = [];
      for (const m of media) {
        for (const f of m.files) {
          recorded.add(f.key);
          const actual = await hashOf(f.key);
          if (actual !== f.sha256)
            bad.push(`${m.id} ${f.role} ${f.key} (${f.state}): ${actual ?? 'missing'}`);
        }
      }
      expect(bad, report).toEqual([]);

      // Nothing visible without a record; partial writes only in the temporary area.
      const visible: string[] = [];
      if (s3) for await (const o of storage.list()) visible.push(o.key);
      else visible.push(...walk(path.join(dir, 'storage')));
      // An original without a record (a kill between moving it into place and the commit) is
      // removed at the next start with its version claim. A rendition may be left by a job killed
      // between storing and recording it when that job then ends failed: complete (written
      // atomically), derived data, removed by cleanupOrphanedFiles below.
      const strays = visible.filter((k) => !recorded.has(k) && !k.startsWith('.montu-tmp/'));
      expect(
        strays.filter((k) => !k.includes('/_renditions/')),
        `files without a record after ${kills} kills`,
      ).toEqual([]);

      // Stop the server; the library's own cleanup removes the rest and then finds nothing.
      await server.stop();
      const montu = await openMontu({
        dataDir: dir,
        databaseUrl: db.url,
        storage: s3 ? createStorage(s3.storageConfig()) : { type: 'local', root: path.join(dir, 'storage') },
        jobs: false,
      });
      try {
        const fix = await montu.maintenance.cleanupOrphanedFiles({ dryRun: false, minOrphanAgeSeconds: 0 });
        expect([...fix.orphanFiles].sort()).toEqual([...strays].sort());
        expect(fix.missingFiles, JSON.stringify(fix)).toEqual([]);
        expect(fix.corruptFiles, JSON.stringify(fix)).toEqual([]);
        const again = await montu.maintenance.cleanupOrphanedFiles({ dryRun: true, minOrphanAgeSeconds: 0 });
        expect(again.clean, JSON.stringify(again)).toBe(true);
      } finally {
        await montu.close();
      }
      if (!s3) expect(walk(path.join(dir, 'storage')).filter((k) => k.startsWith('.montu-tmp/'))).toEqual([]);
      console.log(
        `crash (${v.name}): ${v.uploads} uploads, ${kills} SIGKILLs, ${acked.length} acknowledged, ${outcomes.filter((o) => o.interrupted).length} interrupted, ${media.length} records, 0 lost, ${outcomes.reduce((n, o) => n + (o.resumed ?? 0), 0)} sequence uploads resumed after a restart, ${strays.length} stray renditions cleaned`,
      );
    },
  );
});

function walk(dir: string, base = dir, out: string[] = []): string[] {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, base, out);
    else out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out;
}

/**
 * Live review sessions in scale mode (issue 22 item 1, decision 140): two real `montu serve`
 * processes on one PostgreSQL and one Redis. The driver talks to server A; a follower's event
 * stream on server B gets every update, in order; server B is killed and started again, and the
 * follower resumes from its Last-Event-ID without a gap.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMontu } from '@montu/core';
import { freshDatabase } from '../../core/test/helpers/env.js';
import { call, makePng, tempDir } from './helpers.js';
import { openSse, type SseEvent } from './sse-client.js';

const ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'packages/cli/dist/bin.js');
const PG = process.env['MONTU_TEST_DATABASE_URL'];
const REDIS = process.env['MONTU_TEST_REDIS_URL'];

interface Served {
  child: ChildProcess;
  url: string;
  port: number;
}

describe.runIf(PG && REDIS)('review sessions across two API servers (PostgreSQL + Redis)', () => {
  const dir = tempDir('montu-sessions-scale-');
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  const env: Record<string, string> = {};
  const running = new Set<ChildProcess>();
  let sup = '';
  let bea = '';
  let playlistId = '';
  const media: string[] = [];

  /** `montu serve` as its own process; resolves with its URL once it listens. */
  function serve(port = 0): Promise<Served> {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--log-level', 'info'], {
      env: { ...process.env, ...env } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    child.on('exit', () => running.delete(child));
    let out = '';
    return new Promise((resolve, reject) => {
      const seen = (d: Buffer) => {
        out += d.toString();
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m) resolve({ child, url: m[1]!, port: Number(new URL(m[1]!).port) });
      };
      child.stdout!.on('data', seen);
      child.stderr!.on('data', seen);
      child.on('exit', (code) => reject(new Error(`montu serve exited with ${code}: ${out}`)));
    });
  }

  function stop(s: Served, signal: NodeJS.Signals): Promise<void> {
    return new Promise((resolve) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
      s.child.once('exit', () => resolve());
      s.child.kill(signal);
    });
  }

  beforeAll(async () => {
    if (!fs.existsSync(BIN))
      execFileSync('npx', ['tsc', '-b', 'packages/cli'], { cwd: ROOT, stdio: 'inherit' });
    db = await freshDatabase('postgres', dir);
    const storageRoot = path.join(dir, 'storage');
    Object.assign(env, {
      MONTU_DATA_DIR: dir,
      MONTU_DATABASE_URL: db.url,
      MONTU_STORAGE_ROOT: storageRoot,
      MONTU_REDIS_URL: REDIS!,
      MONTU_QUEUE_NAME: `montu-test-${Math.random().toString(36).slice(2, 10)}`,
      MONTU_HOST: '127.0.0.1',
    });
    // The library set up in this process: users, media and a playlist, then closed.
    const montu = await openMontu({
      dataDir: dir,
      databaseUrl: db.url,
      storage: { type: 'local', root: storageRoot },
      jobs: false,
    });
    try {
      for (const [i, task] of ['ep01_sq010_sh010_comp', 'ep01_sq010_sh020_comp'].entries()) {
        const png = await makePng(path.join(dir, `p${i}.png`), 32, 16);
        media.push(
          await montu.media.uploadMedia({ filePath: png, projectId: 'SWA', taskId: task, author: 'ann' }),
        );
      }
      for (const name of ['sup', 'bea']) {
        const user = await montu.users.createUser({ username: name });
        await montu.users.setMembership('SWA', user.id, name === 'sup' ? 'supervisor' : 'artist');
        const { token } = await montu.users.createToken(user.id, { name: 'test' });
        if (name === 'sup') sup = token;
        else bea = token;
      }
      const playlist = await montu.playlists.createPlaylist({
        projectId: 'SWA',
        name: 'Dailies',
        owner: 'sup',
        mediaIds: media,
      });
      playlistId = playlist.id;
    } finally {
      await montu.close();
    }
  });

  afterAll(async () => {
    for (const child of [...running]) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a follower on server B gets every update of a driver on server A in order, across a restart of B', async () => {
    const [a, b] = await Promise.all([serve(), serve()]);
    const started = await call(`${a.url}/api/v1/review-sessions`, sup, {
      method: 'POST',
      json: { playlistId },
    });
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: string };
    expect((await call(`${b.url}/api/v1/review-sessions/${id}/join`, bea, { method: 'POST' })).status).toBe(
      200,
    );

    // Heartbeats 300 s apart: within this test only the Redis bridge's bell can wake B's stream.
    const follower = await openSse(`${b.url}/api/v1/review-sessions/${id}/events?heartbeat=300`, bea);
    expect(follower.status).toBe(200);
    const [snapshot] = await follower.until((e) => e.some((x) => x.event === 'snapshot'));
    const from = Number(snapshot!.id);

    const move = async (frame: number) => {
      const r = await call(`${a.url}/api/v1/review-sessions/${id}/state`, sup, {
        method: 'PATCH',
        json: frame % 5 === 0 ? { frame, mediaId: media[(frame / 5) % 2]! } : { frame },
      });
      expect(r.status).toBe(200);
      return ((await r.json()) as { seq: number }).seq;
    };
    let last = 0;
    for (let f = 1; f <= 20; f++) last = await move(f);
    const before = await follower.until((e) => e.some((x) => Number(x.id) === last));
    follower.close();

    // Server B dies; the driver goes on meanwhile; B comes back on its port.
    await stop(b, 'SIGKILL');
    for (let f = 21; f <= 30; f++) last = await move(f);
    const b2 = await serve(b.port);
    const lastSeen = before.at(-1)!.id!;
    const resumed = await openSse(`${b2.url}/api/v1/review-sessions/${id}/events?heartbeat=300`, bea, {
      'last-event-id': lastSeen,
    });
    expect(resumed.status).toBe(200);
    for (let f = 31; f <= 40; f++) last = await move(f);
    const after = await resumed.until((e) => e.some((x) => Number(x.id) === last));
    resumed.close();

    const all: SseEvent[] = [...before.filter((e) => e.event !== 'snapshot'), ...after];
    const seqs = all.map((e) => Number(e.id));
    expect(seqs).toEqual(Array.from({ length: last - from }, (_, i) => from + 1 + i));
    const frames = all.map(
      (e) => (JSON.parse(e.data) as { data: { state: { frame: number } } }).data.state.frame,
    );
    expect(frames).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // The stream's last state is the server's state, read through server A.
    const snap = (await (await call(`${a.url}/api/v1/review-sessions/${id}`, sup)).json()) as {
      seq: number;
      state: unknown;
    };
    expect(snap.seq).toBe(last);
    expect((JSON.parse(all.at(-1)!.data) as { data: { state: unknown } }).data.state).toEqual(snap.state);
    await stop(a, 'SIGINT');
    await stop(b2, 'SIGINT');
  });
});

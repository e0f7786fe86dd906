/**
 * `montu worker` tells an operator what it does (issue 20 item 10): a log line per job, and with
 * --health-port an HTTP /healthz and Prometheus /metrics. A real worker on a data directory's
 * database queue, fed by a local-mode `montu ingest`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, ensureBuilt, montu, spawnMontu, tempDir } from './helpers/cli.js';

let work: string;
beforeAll(() => {
  ensureBuilt();
  work = tempDir();
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('montu worker --health-port', () => {
  it('serves /healthz and /metrics and logs one line per job event', async () => {
    const data = path.join(work, 'data');
    const env = { MONTU_DATA_DIR: data, MONTU_REDIS_URL: undefined, MONTU_DATABASE_URL: undefined };
    // The library exists before the worker opens it (ingest creates it).
    const first = await montu(
      ['ingest', '-p', 'WRK', '-t', 'ep01_sq010_sh010_comp', path.join(CORPUS, 'media/image/basi2c08.png')],
      { env },
    );
    expect(first.code, first.stderr).toBe(0);
    const w = spawnMontu(['worker', '--concurrency', '1', '--health-port', '0'], /worker health on \S+/, env);
    try {
      const out = await w.started;
      const base = /worker health on (http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(out)![1]!;
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', jobsRunning: expect.any(Number) });

      const ing = await montu(
        ['ingest', '-p', 'WRK', '-t', 'ep01_sq010_sh020_comp', path.join(CORPUS, 'media/image/ExifTool.jpg')],
        { env },
      );
      expect(ing.code, ing.stderr).toBe(0);
      // Both items' jobs (probe, thumbnail, …) run here: a line as each starts and ends.
      for (let i = 0; i < 600 && !/job \S+ thumbnail done media \S+ after [\d.]+ s/.test(w.output()); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(w.output()).toMatch(/montu: job \S+ thumbnail started media \S+ attempt 1/);
      expect(w.output()).toMatch(/montu: job \S+ probe done media \S+/);
      expect(w.output()).toMatch(/montu: job \S+ thumbnail done media \S+ after [\d.]+ s/);

      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/^# TYPE montu_worker_jobs_total counter$/m);
      expect(
        Number(/montu_worker_jobs_total\{type="probe",outcome="done"\} (\d+)/.exec(metrics)?.[1]),
      ).toBeGreaterThanOrEqual(1);
      expect(metrics).toMatch(/^montu_worker_jobs_running \d+$/m);
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      w.child.kill('SIGTERM');
      await new Promise((r) => w.child.once('exit', r));
    }
    expect(w.output()).toMatch(/SIGTERM: handing running jobs back to the queue/);
  });
});

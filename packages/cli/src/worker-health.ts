/**
 * What a `montu worker` tells an operator: one log line per job event on standard error, and
 * (`--health-port`) an HTTP endpoint with `/healthz` and Prometheus `/metrics`. Takes the events
 * and a Redis check as plain callbacks, so it loads nothing of the library.
 */
import http from 'node:http';

/** The part of a library event a worker logs (`job.*` events of this process). */
export interface JobEventLike {
  type: string;
  mediaId?: string;
  data?: Record<string, unknown>;
}

const OUTCOMES = ['done', 'failed', 'retrying', 'released'] as const;

export class WorkerReport {
  private readonly started = new Map<string, number>();
  /** Finished jobs by `type outcome`. */
  private readonly totals = new Map<string, number>();

  constructor(private readonly write: (line: string) => void) {}

  get running(): number {
    return this.started.size;
  }

  /** Logs one line for a job event of this process and counts it. */
  onEvent(e: JobEventLike): void {
    if (!e.type.startsWith('job.') || e.type === 'job.progress') return;
    const d = e.data ?? {};
    const id = String(d['jobId'] ?? '?');
    const type = String(d['jobType'] ?? '?');
    const what = e.type.slice('job.'.length);
    const parts = [`montu: job ${id} ${type} ${what}`];
    if (e.mediaId) parts.push(`media ${e.mediaId}`);
    if (what === 'started') {
      this.started.set(id, Date.now());
      if (d['attempt'] !== undefined) parts.push(`attempt ${String(d['attempt'])}`);
    } else {
      const since = this.started.get(id);
      this.started.delete(id);
      if (since !== undefined) parts.push(`after ${((Date.now() - since) / 1000).toFixed(1)} s`);
      if ((OUTCOMES as readonly string[]).includes(what)) {
        const key = `${type} ${what}`;
        this.totals.set(key, (this.totals.get(key) ?? 0) + 1);
      }
      if (typeof d['error'] === 'string') parts.push(`: ${d['error']}`);
    }
    this.write(parts.join(' '));
  }

  /** The Prometheus text exposition of this worker's counters. */
  metrics(redisUp: boolean | null): string {
    const lines = [
      '# HELP montu_worker_jobs_total Jobs this worker process finished, by job type and outcome.',
      '# TYPE montu_worker_jobs_total counter',
      ...[...this.totals].map(([key, n]) => {
        const [type, outcome] = key.split(' ');
        return `montu_worker_jobs_total{type="${type}",outcome="${outcome}"} ${n}`;
      }),
      '# HELP montu_worker_jobs_running Jobs running in this worker process now.',
      '# TYPE montu_worker_jobs_running gauge',
      `montu_worker_jobs_running ${this.running}`,
    ];
    if (redisUp !== null)
      lines.push(
        '# HELP montu_worker_redis_up 1 when Redis answered a PING, 0 when it did not.',
        '# TYPE montu_worker_redis_up gauge',
        `montu_worker_redis_up ${redisUp ? 1 : 0}`,
      );
    return lines.join('\n') + '\n';
  }
}

/**
 * Serves `/healthz` (200, or 503 when Redis does not answer) and `/metrics` on host:port.
 * Resolves with the bound URL.
 */
export async function serveWorkerHealth(
  report: WorkerReport,
  redisCheck: (() => Promise<void>) | null,
  host: string,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const redis = async (): Promise<string | null> => {
    if (!redisCheck) return null;
    try {
      await redisCheck();
      return 'ok';
    } catch (e) {
      return (e as Error).message;
    }
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || (path !== '/healthz' && path !== '/metrics')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      const r = await redis();
      if (path === '/metrics') {
        res
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
          .end(report.metrics(r === null ? null : r === 'ok'));
        return;
      }
      const ok = r === null || r === 'ok';
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          status: ok ? 'ok' : 'unavailable',
          jobsRunning: report.running,
          ...(r === null ? {} : { redis: r }),
        }),
      );
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as { port: number };
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${addr.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

import client from 'prom-client';

/** Prometheus metrics of one server instance (its own registry, so tests can run several). */
export class ServerMetrics {
  readonly registry = new client.Registry();
  readonly requestDuration = new client.Histogram({
    name: 'montu_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [this.registry],
  });
  /** One histogram child per (method, route, status): finding it by labels hashes them every time. */
  private readonly durationChildren = new Map<
    string,
    client.Histogram.Internal<'method' | 'route' | 'status'>
  >();

  /** Records one request's duration (called on every response). */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let child = this.durationChildren.get(key);
    if (!child) {
      child = this.requestDuration.labels({ method, route, status: String(status) });
      this.durationChildren.set(key, child);
    }
    child.observe(seconds);
  }

  readonly uploads = new client.Counter({
    name: 'montu_uploads_total',
    help: 'Completed uploads by kind (multipart, tus, sequence) and result',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });
  readonly uploadBytes = new client.Counter({
    name: 'montu_upload_bytes_total',
    help: 'Bytes of completed uploads by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly downloadBytes = new client.Counter({
    name: 'montu_download_bytes_total',
    help: 'Bytes of file responses started (by rendition role)',
    labelNames: ['role'] as const,
    registers: [this.registry],
  });

  constructor(queueDepth?: () => Promise<Record<string, number>> | Record<string, number>) {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'montu_' });
    new client.Gauge({
      name: 'montu_job_queue_depth',
      help: 'Processing jobs by state (waiting, active, failed, …)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        if (!queueDepth) return;
        this.reset();
        for (const [state, n] of Object.entries(await queueDepth())) this.set({ state }, n);
      },
    });
  }
}

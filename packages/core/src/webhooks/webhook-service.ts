import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFound, ValidationError } from '@montu/domain';
import { newId, nowIso } from '../ids.js';
import { parseJson } from '../db/rows.js';
import { transaction } from '../db/connect.js';
import { isTickEvent, type MontuEvent } from '../events.js';
import type { ServiceContext } from '../context.js';
import { recordHistory } from '../history/history-service.js';
import { postWebhook, WebhookTargets } from './webhook-send.js';
import type { Scope } from '../media/media-service.js';
import type { JobSink } from '../jobs/queue.js';
import {
  activeWebhookRows,
  deleteWebhookRow,
  deliveryDue,
  deliveryRow,
  deliveryRows,
  insertDeliveries,
  insertWebhook,
  pendingWithoutJob,
  projectExists,
  recordAttempt,
  resetDelivery,
  updateWebhookRow,
  webhookRow,
  webhookRows,
  type WebhookRow,
} from './webhook-queries.js';
import {
  backoffDelay,
  type JobContext,
  type JobHandlers,
  type JobResult,
  type RetryPolicy,
} from '../jobs/types.js';

export interface Webhook {
  id: string;
  url: string;
  /** Event types to send (`media.created`, `annotation.*`, `*`); empty means all but `*.progress`. */
  events: string[];
  /** Only events of this project; null for all projects. */
  projectId: string | null;
  active: boolean;
  description: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDelivery {
  /** Sent as the `Montu-Delivery` header: receivers dedupe on it. */
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: string;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface WebhookOptions {
  /**
   * Send deliveries from this process (default true): it works `webhook.deliver` jobs.
   * Deliveries are recorded (as jobs) either way.
   */
  deliver?: boolean;
  /** First retry delay; doubles each attempt (default 5000 ms), capped at maxDelayMs (1 h). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Attempts before a delivery is marked failed (default 10). */
  maxAttempts?: number;
  /**
   * How often an idle library without media processing looks for due deliveries, also those
   * other processes recorded (default 2000 ms). With processing, the job queue's own poll applies.
   */
  pollMs?: number;
  /** Per-request timeout (default 10000 ms). */
  timeoutMs?: number;
  /**
   * Loopback and private addresses or CIDR ranges webhooks may reach (default none: public
   * addresses only). `MONTU_WEBHOOK_ALLOW_NETWORKS`, comma-separated, when not given here.
   */
  allowNetworks?: string[];
}

/** The retry policy of webhook deliveries (the job system retries them with it). */
export function webhookRetry(options: WebhookOptions = {}): RetryPolicy {
  return {
    maxAttempts: options.maxAttempts ?? 10,
    backoffMs: options.baseDelayMs ?? 5000,
    maxBackoffMs: options.maxDelayMs ?? 3_600_000,
  };
}

/** The JSON body of every webhook POST. */
export interface WebhookPayload {
  id: string;
  type: string;
  at: string;
  projectId: string | null;
  mediaId: string | null;
  actor: string | null;
  data: Record<string, unknown>;
}

/**
 * `Montu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>`.
 */
export function signPayload(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** Checks a `Montu-Signature` header against the raw body; rejects timestamps older than `toleranceSeconds`. */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  toleranceSeconds = 300,
  now = Date.now(),
): boolean {
  const parts = Object.fromEntries(
    header.split(',').map((kv) => kv.trim().split('=', 2) as [string, string]),
  );
  const t = Number(parts['t']);
  const v1 = parts['v1'];
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return false;
  if (Math.abs(now / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

/**
 * `*`, exact names, and `prefix.*` patterns; an empty list means every event but ticks (job
 * progress, live review-session updates: `isTickEvent`).
 */
export function eventMatches(filter: string[], type: string): boolean {
  if (filter.length === 0) return !isTickEvent(type);
  return filter.some((f) => f === '*' || f === type || (f.endsWith('.*') && type.startsWith(f.slice(0, -1))));
}

/**
 * How long the list of active webhooks is reused for events. Every item emits several events
 * (created, processing steps, renditions) and reading the table for each was a tenth of the
 * queries of an ingest. Changes made through this service apply at once; a webhook created,
 * changed or removed by another process applies to this process's events within this time.
 */
export const WEBHOOK_LIST_TTL_MS = 1000;

/**
 * Signed webhooks with a durable delivery log. Each delivery is sent by a `webhook.deliver` job:
 * the job system gives it its lease, retries with exponential backoff (webhookRetry) and crash
 * recovery, in the embedded queue and BullMQ alike. Redirects are not followed.
 */
export class WebhookService {
  private readonly deliver: boolean;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly targets: WebhookTargets;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;
  private readonly inflight = new Set<Promise<void>>();
  private activeHooks: { rows: Promise<WebhookRow[]>; until: number } | null = null;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly jobs: JobSink,
    options: WebhookOptions = {},
  ) {
    this.deliver = options.deliver ?? true;
    this.retry = webhookRetry(options);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.targets = new WebhookTargets(options.allowNetworks ?? []);
  }

  /** The job handler this process runs: deliveries, unless `deliver: false`. */
  handlers(): JobHandlers {
    return this.deliver ? { 'webhook.deliver': (c) => this.send(c) } : {};
  }

  /** Records a delivery (and its job) for every matching webhook of every event from now on. */
  async start(): Promise<void> {
    if (this.unsubscribe || this.stopped) return;
    await this.queueUnsent();
    this.unsubscribe = this.ctx.events.subscribe((e, origin) => {
      // An event is recorded once, by the process where it happened (not again where the
      // scale-mode event bridge relays it).
      if (origin.relayed) return;
      const p = this.record(e).catch(() => undefined);
      this.track(p);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  // ------------------------------------------------------------ configuration

  async createWebhook(input: {
    url: string;
    secret?: string;
    events?: string[];
    projectId?: string | null;
    active?: boolean;
    description?: string;
    createdBy: string;
  }): Promise<Webhook & { secret: string }> {
    const url = checkUrl(input.url, this.targets);
    const secret = input.secret ?? randomBytes(32).toString('hex');
    if (typeof secret !== 'string' || secret.length < 16 || secret.length > 512) {
      throw new ValidationError('A webhook secret must be 16–512 characters.', { field: 'secret' });
    }
    const createdBy = (input.createdBy ?? '').trim();
    if (!createdBy) throw new ValidationError('createdBy is required.', { field: 'createdBy' });
    const events = checkEvents(input.events);
    if (input.projectId && !(await projectExists(this.ctx.db, input.projectId)))
      throw new NotFound(`Project ${input.projectId} does not exist.`);
    const id = newId();
    const now = nowIso();
    await transaction(this.ctx.db, async (trx) => {
      await insertWebhook(trx, {
        id,
        url,
        secret,
        events: JSON.stringify(events),
        project_id: input.projectId ?? null,
        active: input.active === false ? 0 : 1,
        description: input.description ?? '',
        created_by: createdBy,
        created_at: now,
        updated_at: now,
      });
      await recordHistory(trx, {
        actor: createdBy,
        action: 'webhook.created',
        projectId: input.projectId ?? null,
        subjectType: 'webhook',
        subjectId: id,
        data: { url, events },
      });
    });
    // After the commit: an event racing the change must not cache the old list.
    this.activeHooks = null;
    return { ...(await this.getWebhook(id)), secret };
  }

  async getWebhook(id: string, scope: Scope = {}): Promise<Webhook> {
    const r = await webhookRow(this.ctx.db, id);
    if (!r || (scope.projectIds && (r.project_id === null || !scope.projectIds.includes(r.project_id)))) {
      throw new NotFound(`Webhook ${id} does not exist.`);
    }
    return webhookFromRow(r);
  }

  async listWebhooks(options: { projectId?: string } & Scope = {}): Promise<Webhook[]> {
    if (options.projectIds?.length === 0) return [];
    return (await webhookRows(this.ctx.db, options)).map(webhookFromRow);
  }

  async updateWebhook(
    id: string,
    patch: {
      url?: string;
      events?: string[];
      active?: boolean;
      description?: string;
      secret?: string;
      actor: string;
    },
    scope: Scope = {},
  ): Promise<Webhook> {
    const current = await this.getWebhook(id, scope);
    const changes = {
      ...(patch.url !== undefined ? { url: checkUrl(patch.url, this.targets) } : {}),
      ...(patch.events !== undefined ? { events: JSON.stringify(checkEvents(patch.events)) } : {}),
      ...(patch.active !== undefined ? { active: patch.active ? 1 : 0 } : {}),
      ...(patch.description !== undefined ? { description: String(patch.description) } : {}),
      ...(patch.secret !== undefined ? { secret: patch.secret } : {}),
    };
    await transaction(this.ctx.db, async (trx) => {
      await updateWebhookRow(trx, id, changes);
      await recordHistory(trx, {
        actor: patch.actor,
        action: 'webhook.updated',
        projectId: current.projectId,
        subjectType: 'webhook',
        subjectId: id,
      });
    });
    // After the commit: an event racing the change must not cache the old list.
    this.activeHooks = null;
    return this.getWebhook(id);
  }

  async deleteWebhook(id: string, options: { actor: string } & Scope): Promise<void> {
    const current = await this.getWebhook(id, options);
    await transaction(this.ctx.db, async (trx) => {
      await deleteWebhookRow(trx, id);
      await recordHistory(trx, {
        actor: options.actor,
        action: 'webhook.deleted',
        projectId: current.projectId,
        subjectType: 'webhook',
        subjectId: id,
      });
    });
    // After the commit: an event racing the change must not cache the old list.
    this.activeHooks = null;
  }

  async listDeliveries(
    webhookId: string,
    options: { state?: WebhookDelivery['state']; limit?: number } & Scope = {},
  ): Promise<WebhookDelivery[]> {
    await this.getWebhook(webhookId, options);
    const rows = await deliveryRows(this.ctx.db, webhookId, {
      ...(options.state ? { state: options.state } : {}),
      limit: Math.min(Math.max(options.limit ?? 100, 1), 1000),
    });
    return rows.map(deliveryFromRow);
  }

  /**
   * Sends a failed (or delivered) delivery again, with the same delivery id. A pending one is
   * left as it is: its job will send it.
   */
  async redeliver(deliveryId: string, scope: Scope = {}): Promise<WebhookDelivery> {
    const row = await deliveryRow(this.ctx.db, deliveryId);
    if (!row) throw new NotFound(`Delivery ${deliveryId} does not exist.`);
    await this.getWebhook(row.webhook_id, scope);
    if (row.state !== 'pending') {
      const jobs = await transaction(this.ctx.db, async (trx) => {
        // Another redeliver won the race: its job sends it.
        if (!(await resetDelivery(trx, deliveryId, row.state))) return [];
        return this.jobs.store.create([{ type: 'webhook.deliver', payload: { deliveryId } }], trx);
      });
      await this.jobs.wake(jobs);
    }
    const now = await deliveryRow(this.ctx.db, deliveryId);
    if (!now) throw new NotFound(`Delivery ${deliveryId} does not exist.`);
    return deliveryFromRow(now);
  }

  // ------------------------------------------------------------ delivery

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Records one delivery and its job for each matching active webhook, in one transaction. */
  private async record(e: MontuEvent): Promise<void> {
    if (this.stopped) return;
    const hooks = (await this.active()).filter(
      (h) =>
        (h.project_id === null || h.project_id === e.projectId) &&
        eventMatches(parseJson<string[]>(h.events, []), e.type),
    );
    if (hooks.length === 0) return;
    // The event's own id: the same in webhook bodies, the SSE stream and its replay.
    const eventId = e.id;
    const payload: WebhookPayload = {
      id: eventId,
      type: e.type,
      at: e.at,
      projectId: e.projectId,
      mediaId: e.mediaId ?? null,
      actor: e.actor ?? null,
      data: e.data ?? {},
    };
    const body = JSON.stringify(payload);
    const now = nowIso();
    const rows = hooks.map((h) => ({
      id: newId(),
      webhook_id: h.id,
      event_id: eventId,
      event_type: e.type,
      payload: body,
      state: 'pending',
      attempts: 0,
      next_attempt_at: now,
      lease_until: null,
      last_status: null,
      last_error: null,
      created_at: now,
      delivered_at: null,
    }));
    // Delivery jobs belong to no project, even for a project's webhook: webhooks are the instance
    // administrators', so project members do not see or retry their jobs (decision 203).
    const jobs = await transaction(this.ctx.db, async (trx) => {
      await insertDeliveries(trx, rows);
      return this.jobs.store.create(
        rows.map((r) => ({ type: 'webhook.deliver' as const, payload: { deliveryId: r.id } })),
        trx,
      );
    });
    await this.jobs.wake(jobs);
  }

  /**
   * Pending deliveries without an open job get one: those recorded before deliveries were jobs
   * (an upgraded library). Deliveries and their jobs are otherwise created together.
   */
  private async queueUnsent(): Promise<void> {
    const unsent = await pendingWithoutJob(this.ctx.db);
    if (unsent.length === 0) return;
    const jobs = await this.jobs.store.create(
      unsent.map((deliveryId) => ({ type: 'webhook.deliver' as const, payload: { deliveryId } })),
    );
    await this.jobs.wake(jobs);
  }

  /** The active webhooks, read at most once per WEBHOOK_LIST_TTL_MS (concurrent events share the read). */
  private active(): Promise<WebhookRow[]> {
    const now = Date.now();
    if (this.activeHooks && this.activeHooks.until > now) return this.activeHooks.rows;
    const rows = activeWebhookRows(this.ctx.db);
    const entry = { rows, until: now + WEBHOOK_LIST_TTL_MS };
    this.activeHooks = entry;
    // A failed read is not reused.
    rows.catch(() => {
      if (this.activeHooks === entry) this.activeHooks = null;
    });
    return rows;
  }

  /**
   * For tests and the CLI: waits until the deliveries this process records have been recorded
   * and, when it sends, until none is due now (retries waiting for their time may remain).
   */
  async drain(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      await Promise.allSettled([...this.inflight]);
      if (!this.deliver) return;
      const due = await deliveryDue(this.ctx.db);
      if (!due && this.inflight.size === 0) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * The `webhook.deliver` job: one attempt at sending. A failed attempt is recorded on the
   * delivery and thrown, so the job system retries it after its backoff; the last one marks the
   * delivery failed.
   */
  private async send({ job }: JobContext<'webhook.deliver'>): Promise<JobResult | void> {
    const id = job.payload.deliveryId;
    const d = await deliveryRow(this.ctx.db, id);
    // Gone with its webhook, or settled by an earlier job: nothing to send.
    if (!d || d.state !== 'pending') return;
    const hook = await webhookRow(this.ctx.db, d.webhook_id);
    if (!hook || hook.active !== 1) {
      await recordAttempt(this.ctx.db, id, { state: 'failed', last_error: 'webhook removed or inactive' });
      return;
    }
    const payload = JSON.parse(d.payload) as WebhookPayload;
    const t = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await postWebhook(
        hook.url,
        {
          'content-type': 'application/json',
          'user-agent': 'Montu-Webhooks/1',
          'montu-delivery': id,
          'montu-event': payload.type,
          'montu-signature': signPayload(hook.secret, d.payload, t),
        },
        d.payload,
        this.timeoutMs,
        this.targets,
      );
      if (status < 200 || status >= 300)
        error = status >= 300 && status < 400 ? `redirect ${status} not followed` : `HTTP ${status}`;
    } catch (e) {
      error = sendFailure(e);
    }
    if (error === null) {
      return {
        record: (trx) =>
          recordAttempt(trx, id, {
            state: 'delivered',
            attempts: job.attempts,
            last_status: status,
            last_error: null,
            delivered_at: nowIso(),
          }),
      };
    }
    const final = job.attempts >= job.maxAttempts;
    await recordAttempt(this.ctx.db, id, {
      state: final ? 'failed' : 'pending',
      attempts: job.attempts,
      last_status: status,
      last_error: error.slice(0, 1000),
      next_attempt_at: new Date(Date.now() + backoffDelay(this.retry, job.attempts)).toISOString(),
    });
    throw new Error(`delivery ${id}: ${error}`);
  }
}

/**
 * What a failed send records as `lastError`. Only the address policy's own refusals say more:
 * "connection refused" against "timed out" against "socket hang up" told an admin which ports
 * are open on hosts the server can reach (a port scanner through the webhook log).
 */
function sendFailure(e: unknown): string {
  if ((e as { code?: unknown } | null)?.code === 'EWEBHOOKADDRESS') return (e as Error).message;
  return 'no HTTP answer (the connection failed, was cut or timed out)';
}

function checkUrl(v: unknown, targets: WebhookTargets): string {
  let u: URL;
  try {
    u = new URL(String(v));
  } catch {
    throw new ValidationError(`${JSON.stringify(v)} is not a URL.`, { field: 'url' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ValidationError('Webhook URLs must be http:// or https://.', { field: 'url' });
  const refused = targets.hostRefusal(u);
  if (refused) throw new ValidationError(`Webhook URL refused: ${refused}.`, { field: 'url' });
  return u.toString();
}

function checkEvents(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (
    !Array.isArray(v) ||
    v.some((e) => typeof e !== 'string' || !/^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*(\.\*)?)$/.test(e))
  ) {
    throw new ValidationError(
      'events must be a list of event names such as media.created, annotation.* or *.',
      { field: 'events' },
    );
  }
  return [...new Set(v as string[])];
}

function webhookFromRow(r: {
  id: string;
  url: string;
  events: string;
  project_id: string | null;
  active: number;
  description: string;
  created_by: string;
  created_at: string;
  updated_at: string;
}): Webhook {
  return {
    id: r.id,
    url: r.url,
    events: parseJson<string[]>(r.events, []),
    projectId: r.project_id,
    active: r.active === 1,
    description: r.description,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function deliveryFromRow(r: {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  state: string;
  attempts: number;
  next_attempt_at: string;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}): WebhookDelivery {
  return {
    id: r.id,
    webhookId: r.webhook_id,
    eventId: r.event_id,
    eventType: r.event_type,
    state: r.state as WebhookDelivery['state'],
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  };
}

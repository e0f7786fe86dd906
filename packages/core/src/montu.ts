import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type DialectName } from './db/connect.js';
import type { LibraryDb } from './db/schema.js';
import { EventBus } from './events.js';
import { EventLog } from './event-log.js';
import { DEFAULT_LIMITS, type Limits } from './config/limits.js';
import { SpaceReserve } from './db/space-reserve.js';
import { readEnvironment, type ToolPaths } from './config/environment.js';
import type { StorageBackend } from './storage/backend.js';
import { LocalStorage } from './storage/local.js';
import type { ServiceContext } from './context.js';
import { JobsService, MediaProcessing } from './processing/processing.js';
import { ColourService } from './colour/colour-service.js';
import { FrameFloats } from './colour/frame-float.js';
import { resolveLimits } from './processing/tools/limits.js';
import { JobStore } from './jobs/job-store.js';
import type { JobQueue, JobSink, JobsOptions } from './jobs/queue.js';
import { startQueue } from './jobs/start-queue.js';
import { DEFAULT_RETRY, type JobHandlers } from './jobs/types.js';
import { OWNER } from './storage/owner.js';
import type { ProcessingOptions } from './processing/pipeline.js';
import { HistoryService } from './history/history-service.js';
import { MaintenanceService } from './maintenance/maintenance-service.js';
import { MediaService } from './media/media-service.js';
import { ProjectService } from './projects/project-service.js';
import { ReviewService } from './review/review-service.js';
import { NoteService } from './review/note-service.js';
import { PlaylistService } from './review/playlist-service.js';
import { ReviewSessionService, type ReviewSessionOptions } from './review-sessions/review-session-service.js';
import { WebhookService, webhookRetry, type WebhookOptions } from './webhooks/webhook-service.js';
import { IdempotencyKeys } from './uploads/idempotency-keys.js';
import { UploadSessions } from './uploads/upload-sessions.js';
import { SequenceIngest } from './uploads/sequence-ingest.js';
import { DirectUploads } from './uploads/s3-direct.js';
import { UserService } from './users/user-service.js';
import { MediaTools } from './processing/tools/media-tools.js';

/** Webhook deliveries sent at once by a library without media processing. */
const WEBHOOK_SENDS = 4;

export interface MontuOptions {
  /** Folder for the embedded defaults: `montu.db` (SQLite) and `storage/`. Default `./montu-data`. */
  dataDir?: string;
  /** `postgres://…` for PostgreSQL, or a SQLite file path. Default `<dataDir>/montu.db`. */
  databaseUrl?: string;
  /** A storage backend, or `{ type: 'local', root }`. Default local storage under `<dataDir>/storage`. */
  storage?: StorageBackend | { type: 'local'; root: string };
  limits?: Partial<Limits>;
  /**
   * Background jobs (media processing, webhook deliveries). Default: a durable queue in the
   * library's database, worked by this process. `{ redisUrl }` switches to BullMQ (scale mode);
   * `{ work: false }` only enqueues (API servers when workers run elsewhere); `false` turns media
   * processing off (webhook deliveries still run, on the embedded queue).
   */
  jobs?: JobsOptions | false;
  /** Thumbnail size and format, display transform, safety limits. */
  processing?: ProcessingOptions;
  /** Webhook delivery (retry base delay, attempts, whether this process sends). */
  webhooks?: WebhookOptions;
  /** Live review sessions: presence timeout (and a clock, for tests). */
  reviewSessions?: ReviewSessionOptions;
  /**
   * Paths of ffmpeg, ffprobe, oiiotool and vips for this library, over `MONTU_FFMPEG`,
   * `MONTU_FFPROBE`, `MONTU_OIIOTOOL`, `MONTU_VIPS` (libraries in one process may differ).
   */
  tools?: Partial<ToolPaths>;
}

/**
 * The Montu media library: everything the HTTP service, CLI and workers build on. Each member is
 * one service of one feature folder, as its class declares it.
 */
export interface Montu {
  /** Media items and their versions: upload, lookup, search, update, archive, delete, statistics. */
  media: MediaService;
  /** Image sequences uploaded frame by frame (resumable) or from a local folder. */
  sequences: SequenceIngest;
  /** Idempotency keys of uploads: a retried upload gets its first result, not a second version. */
  idempotency: IdempotencyKeys;
  /** Resumable (tus) upload sessions: owner, finishing lease, offset, outcome. */
  uploads: UploadSessions;
  /** Direct-to-S3 uploads: presigned multipart parts, verified and recorded on completion (decision 160). */
  directUploads: DirectUploads;
  /** The review workflow: status changes, the review queue, version comparison, old-version clean-up. */
  review: ReviewService;
  /** Notes on media: frames and ranges, drawings, threads, mentions, resolution, attachments. */
  notes: NoteService;
  /** Review sessions (playlists) and their exports. */
  playlists: PlaylistService;
  /** Live review sessions: shared state, ordered updates, presence, control, session notes. */
  reviewSessions: ReviewSessionService;
  /** Signed webhooks and their delivery log. */
  webhooks: WebhookService;
  projects: ProjectService;
  history: HistoryService;
  /** Users, project memberships, API tokens and login sessions. */
  users: UserService;
  /** Orphaned files, crash leftovers. */
  maintenance: MaintenanceService;
  events: EventBus;
  /** Recent events kept for SSE replay (`Last-Event-ID`), see event-log.ts. */
  eventLog: EventLog;
  storage: StorageBackend;
  db: LibraryDb;
  dialect: DialectName;
  /** Where the database and storage are (secrets masked), for logs and `montu config`. */
  describe(): { database: string; dialect: DialectName; storage: string; storageBackend: string };
  /** Background jobs: list, inspect, retry (null when media processing is off). */
  jobs: JobsService | null;
  /** Displays/views and baked LUTs for the colour-managed viewer (decision 148). */
  colour: ColourService;
  /** Float renditions of single sequence frames, made on demand (decision 217). */
  frameFloats: FrameFloats;
  /** This library's external tools (paths from its configuration) and image decoder processes. */
  tools: MediaTools;
  /** Free bytes on the volumes this process writes to: the SQLite file's and local storage's. */
  freeSpace(): Promise<VolumeSpace[]>;
  /**
   * A value that changes whenever anything in the database may have changed — a commit by this
   * process or by any other (a worker, the CLI) — so a read cached with the stamp it was made
   * under is current while the stamp is unchanged. Null where no cheap stamp exists
   * (PostgreSQL): do not cache. See decision 166.
   */
  changeStamp(): string | null;
  close(): Promise<void>;
}

/** Free space on one volume Montu writes to (no path: readiness answers are public). */
export interface VolumeSpace {
  volume: 'database' | 'storage';
  freeBytes: number;
}

async function volumeSpace(volume: VolumeSpace['volume'], dir: string): Promise<VolumeSpace> {
  const s = await fsp.statfs(dir);
  // Blocks an unprivileged writer may use (bavail), as the service does not run as root.
  return { volume, freeBytes: Number(s.bavail) * Number(s.bsize) };
}

export async function openMontu(options: MontuOptions = {}): Promise<Montu> {
  const dataDir = path.resolve(options.dataDir ?? './montu-data');
  // Read once, passed down: nothing below reads process.env.
  const environment = readEnvironment();
  const handle = await openDatabase({
    dataDir,
    ...(options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : {}),
  });
  const storage: StorageBackend =
    options.storage === undefined
      ? new LocalStorage(path.join(dataDir, 'storage'))
      : 'put' in options.storage
        ? options.storage
        : new LocalStorage(options.storage.root);
  // Tool paths and decoder processes: made once here and passed down (decision 157).
  const tools = new MediaTools({ ...environment, tools: { ...environment.tools, ...options.tools } });
  const ctx: ServiceContext = {
    tools,
    db: handle.db,
    dialect: handle.dialect,
    storage,
    events: new EventBus(),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    spaceReserve: new SpaceReserve(handle.file ? `${handle.file}.reserve` : null),
  };
  // Made when there is room; a library opened on a full disk still opens (deletes then free space).
  await ctx.spaceReserve.ensure();
  // Written from the start, so events of the start-up sweeps are replayable too.
  const eventLog = new EventLog(ctx.db, ctx.dialect, ctx.events);
  const projects = new ProjectService(ctx);
  const media = new MediaService(ctx, projects);
  const notes = new NoteService(ctx, media, projects);
  const review = new ReviewService(ctx, media, projects, notes);
  const playlists = new PlaylistService(ctx, media, notes);
  const processingOptions: ProcessingOptions = { ocio: environment.ocio, ...options.processing };
  // The thumbnails' view choice, also what a session's colour view is checked against.
  const colour = new ColourService(processingOptions, path.join(dataDir, 'cache', 'luts'), tools);
  const frameFloats = new FrameFloats(ctx, resolveLimits(processingOptions.limits));
  const reviewSessions = new ReviewSessionService(ctx, media, notes, playlists, {
    ...options.reviewSessions,
    colour,
  });
  const retry = { ...DEFAULT_RETRY, ...(options.jobs ? options.jobs.retry : {}) };
  const store = new JobStore(ctx.db, ctx.dialect, retry, {
    retryFor: { 'webhook.deliver': webhookRetry(options.webhooks) },
    ...(options.jobs !== false ? { onClaim: (trx, job) => MediaProcessing.onClaim(trx, job) } : {}),
  });
  // Services put jobs in the store and wake the queue; the queue starts once every handler exists.
  let queue: JobQueue | null = null;
  const sink: JobSink = { store, wake: async (jobs) => void (await queue?.requeue(jobs)) };
  const webhooks = new WebhookService(ctx, sink, {
    ...options.webhooks,
    allowNetworks: options.webhooks?.allowNetworks ?? environment.webhookAllowNetworks,
  });
  const sequences = new SequenceIngest(ctx, projects);
  const uploads = new UploadSessions(ctx.db);
  const maintenance = new MaintenanceService(ctx, uploads, sequences);
  // What a crashed process left (half-sent sequences, temporary files, version claims) can go
  // now, and upload sessions past their retention.
  await maintenance.sweepAfterCrash();
  const jobs: JobsOptions = options.jobs === false ? {} : (options.jobs ?? {});
  // One set of rendering options for thumbnails, web images and the viewer's LUTs (decision 148).
  const processing = options.jobs === false ? null : new MediaProcessing(ctx, sink, processingOptions);
  const handlers: JobHandlers = { ...processing?.handlers(), ...webhooks.handlers() };
  const work = Object.keys(handlers).length > 0 && (jobs.work ?? true);
  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  try {
    queue = await startQueue({
      store,
      events: ctx.events,
      handlers,
      worker: `${OWNER}~${Math.random().toString(36).slice(2, 8)}`,
      // Without media processing only webhook deliveries run: a few at once suffice.
      concurrency: processing ? (jobs.concurrency ?? (jobs.redisUrl ? cores : 2 * cores)) : WEBHOOK_SENDS,
      ...processing?.queueTuning(jobs),
      leaseMs: jobs.leaseMs ?? 30_000,
      pollMs: processing ? (jobs.pollMs ?? 1000) : (options.webhooks?.pollMs ?? 2000),
      retry,
      ...(processing ? { settleIn: (trx, job) => processing.pipeline.settleIn(trx, job) } : {}),
      queueName: jobs.queueName ?? environment.queueName ?? 'montu',
      work,
      ...(jobs.redisUrl ? { redisUrl: jobs.redisUrl } : {}),
      ...(jobs.log ? { log: jobs.log } : {}),
    });
    if (processing) {
      ctx.processing = processing.hook;
      if (work) await processing.startWorking();
    }
    await webhooks.start();
  } catch (e) {
    await queue?.stop().catch(() => undefined);
    await processing?.stop().catch(() => undefined);
    await eventLog.close().catch(() => undefined);
    await tools.close().catch(() => undefined);
    await handle.close();
    throw e;
  }
  const jobsService = processing && queue ? new JobsService(ctx.db, store, queue) : null;
  let closed = false;
  return {
    media,
    sequences,
    idempotency: new IdempotencyKeys(ctx.db),
    uploads,
    directUploads: new DirectUploads(ctx, uploads, media),
    review,
    notes,
    playlists,
    reviewSessions,
    webhooks,
    projects,
    history: new HistoryService(ctx),
    colour,
    frameFloats,
    users: new UserService(ctx),
    maintenance,
    events: ctx.events,
    eventLog,
    storage,
    db: handle.db,
    dialect: handle.dialect,
    describe: () => ({
      database: handle.location,
      dialect: handle.dialect,
      storage: storage.location,
      storageBackend: storage.name,
    }),
    jobs: jobsService,
    changeStamp: () => (closed ? null : handle.changeStamp()),
    tools,
    async freeSpace() {
      const out: VolumeSpace[] = [];
      if (handle.file) out.push(await volumeSpace('database', path.dirname(handle.file)));
      // A storage root not made yet (nothing stored) is on the database's volume or reported later.
      if (storage instanceof LocalStorage && fs.existsSync(storage.root))
        out.push(await volumeSpace('storage', storage.root));
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      await webhooks.stop();
      await queue?.stop();
      await processing?.stop();
      await tools.close();
      await eventLog.close();
      await storage.close?.();
      await handle.close();
    },
  };
}

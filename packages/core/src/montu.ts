import path from 'node:path';
import { openDatabase, type DialectName } from './db/connect.js';
import type { Kysely } from 'kysely';
import type { Database } from './db/schema.js';
import { EventBus } from './events.js';
import { DEFAULT_LIMITS, type Limits } from './config.js';
import type { StorageBackend } from './storage/backend.js';
import { LocalStorage } from './storage/local.js';
import type { ProcessingHook, ServiceContext } from './services/context.js';
import { HistoryService } from './services/history-service.js';
import { MaintenanceService, type OrphanCleanupOptions, type OrphanCleanupReport } from './services/maintenance-service.js';
import { MediaService } from './services/media-service.js';
import { ProjectService } from './services/project-service.js';
import { ReviewService } from './services/review-service.js';
import { UserService } from './services/user-service.js';

export interface MontuOptions {
  /** Folder for the embedded defaults: `montu.db` (SQLite) and `storage/`. Default `./montu-data`. */
  dataDir?: string;
  /** `postgres://…` for PostgreSQL, or a SQLite file path. Default `<dataDir>/montu.db`. */
  databaseUrl?: string;
  /** A storage backend, or `{ type: 'local', root }`. Default local storage under `<dataDir>/storage`. */
  storage?: StorageBackend | { type: 'local'; root: string };
  limits?: Partial<Limits>;
  /** Media processing (metadata, thumbnails, proxies); wired by the processing module. */
  processing?: ProcessingHook;
}

/** The Montu media library: everything the HTTP service, CLI and workers build on. */
export interface Montu {
  media: MediaService & Pick<MaintenanceService, 'cleanupOrphanedFiles'>;
  review: ReviewService;
  projects: ProjectService;
  history: HistoryService;
  /** Users, project memberships, API tokens and login sessions. */
  users: UserService;
  maintenance: MaintenanceService;
  events: EventBus;
  storage: StorageBackend;
  db: Kysely<Database>;
  dialect: DialectName;
  /** Where the database and storage are (secrets masked), for logs and `montu config`. */
  describe(): { database: string; dialect: DialectName; storage: string; storageBackend: string };
  /** Installs media processing after opening (workers and servers do this). */
  setProcessing(hook: ProcessingHook | undefined): void;
  close(): Promise<void>;
}

export async function openMontu(options: MontuOptions = {}): Promise<Montu> {
  const dataDir = path.resolve(options.dataDir ?? './montu-data');
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
  const ctx: ServiceContext = {
    db: handle.db,
    dialect: handle.dialect,
    storage,
    events: new EventBus(),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    ...(options.processing ? { processing: options.processing } : {}),
  };
  const projects = new ProjectService(ctx);
  const mediaService = new MediaService(ctx, projects);
  const review = new ReviewService(ctx, mediaService, projects);
  mediaService.attachReview(review);
  const maintenance = new MaintenanceService(ctx);
  const media = Object.assign(mediaService, {
    cleanupOrphanedFiles: (o?: OrphanCleanupOptions): Promise<OrphanCleanupReport> =>
      maintenance.cleanupOrphanedFiles(o),
  });
  // What a crashed process left (its temporary files and version claims) can go now.
  await maintenance.sweepAfterCrash();
  let closed = false;
  return {
    media,
    review,
    projects,
    history: new HistoryService(ctx),
    users: new UserService(ctx),
    maintenance,
    events: ctx.events,
    storage,
    db: handle.db,
    dialect: handle.dialect,
    describe: () => ({
      database: handle.location,
      dialect: handle.dialect,
      storage: storage.location,
      storageBackend: storage.name,
    }),
    setProcessing(hook) {
      if (hook) ctx.processing = hook;
      else delete ctx.processing;
    },
    async close() {
      if (closed) return;
      closed = true;
      await storage.close?.();
      await handle.close();
    },
  };
}

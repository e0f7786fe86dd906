export * from '@montu/domain';
export * from './config/limits.js';
export {
  readEnvironment,
  type Environment,
  type OcioSettings,
  type ToolPaths,
} from './config/environment.js';
export * from './events.js';
export { EventLog, EVENT_LOG_WINDOW_MS, EVENT_REPLAY_LIMIT } from './event-log.js';
export * from './ids.js';
export { openDatabase, maskUrl, type DatabaseHandle, type DialectName } from './db/connect.js';
export { isDiskFull, SPACE_RESERVE_BYTES } from './db/space-reserve.js';
export { SQLITE_LOCK_WAIT } from './db/sqlite-driver.js';
export type { Database } from './db/schema.js';
export * from './storage/backend.js';
export { assertSafeKey, mediaKey, storedName, TEMP_DIR } from './storage/keys.js';
export { LocalStorage } from './storage/local.js';
export { HOST, OWNER, ownerIsDeadLocalProcess } from './storage/owner.js';
export { sniffFile, sniffBuffer, type SniffResult } from './processing/tools/sniff.js';
export * from './context.js';
export * from './media/media-service.js';
export * from './review/review-service.js';
export * from './projects/project-service.js';
export * from './history/history-service.js';
export * from './maintenance/maintenance-service.js';
export * from './uploads/sequence-ingest.js';
export * from './uploads/idempotency-keys.js';
export * from './uploads/upload-sessions.js';
export * from './uploads/s3-direct.js';
export * from './users/user-service.js';
export * from './users/login-throttle.js';
export * from './montu.js';
export * from './jobs/types.js';
export { JobStore, jobFromRow } from './jobs/job-store.js';
export type { JobQueue } from './jobs/queue.js';
export { JobsService, MediaProcessing } from './processing/processing.js';
export type { JobsOptions, JobSink, QueueLog } from './jobs/queue.js';
export { MediaPipeline, originalIsWebImage, type ProcessingOptions } from './processing/pipeline.js';
export * from './storage/index.js';
export { prematureClose } from './util/streams.js';
export * from './processing/tools/index.js';
export * from './colour/lut.js';
export * from './colour/colour-service.js';
export * from './review/index.js';
export * from './review-sessions/index.js';
export { runWorker, type WorkerOptions, type RunningWorker } from './worker.js';
export { EmbeddedQueue } from './jobs/embedded-queue.js';
export { RedisEventBridge } from './jobs/redis-events.js';
export {
  migrateStorage,
  storageUsage,
  type MigrationOptions,
  type MigrationProgress,
  type MigrationReport,
} from './storage/migrate.js';

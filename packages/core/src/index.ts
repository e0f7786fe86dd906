export * from './errors.js';
export * from './config.js';
export * from './events.js';
export * from './ids.js';
export * from './domain/types.js';
export * from './domain/identifiers.js';
export * from './domain/workflow.js';
export { openDatabase, maskUrl, type DatabaseHandle, type DialectName } from './db/connect.js';
export type { Database } from './db/schema.js';
export * from './storage/backend.js';
export { assertSafeKey, mediaKey, storedName, TEMP_DIR } from './storage/keys.js';
export { LocalStorage } from './storage/local.js';
export { OWNER, ownerIsDeadLocalProcess } from './storage/owner.js';
export { sniffFile, sniffBuffer, type SniffResult } from './media/sniff.js';
export * from './services/context.js';
export * from './services/media-service.js';
export * from './services/review-service.js';
export * from './services/project-service.js';
export * from './services/history-service.js';
export * from './services/maintenance-service.js';
export * from './services/sequence-ingest.js';
export * from './services/user-service.js';
export * from './services/login-throttle.js';
export * from './montu.js';
export * from './jobs/types.js';
export { JobStore, jobFromRow } from './jobs/job-store.js';
export type { JobQueue } from './jobs/embedded-queue.js';
export {
  JobsService,
  startProcessing,
  type JobsOptions,
  type ProcessingRuntime,
} from './processing/processing.js';
export { MediaPipeline, originalIsWebImage, type ProcessingOptions } from './processing/pipeline.js';
export * from './storage/index.js';
export { prematureClose } from './util/streams.js';
export * from './media/index.js';
export * from './review/index.js';
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

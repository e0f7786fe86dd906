export type {
  AdoptOptions,
  ByteRange,
  ObjectInfo,
  PutOptions,
  StorageBackend,
  StoredObject,
  TemporarySweep,
} from './backend.js';
export { assertSafeKey, mediaKey, TEMP_DIR } from './keys.js';
export { HashingCounter, checkExpectedSha256, storageFailure } from './hashing.js';
export { LocalStorage } from './local.js';
export { ParallelSha256 } from './parallel-hash.js';
export { forStorage, lendsChunks, LENDS_CHUNKS, ownChunks, pushLent } from './lent-chunks.js';
export { sinkToFile, SLAB_BYTES, type SinkOptions, type SinkResult, type SinkTarget } from './file-sink.js';
export { S3Storage, contentDisposition, s3Failure, type S3StorageConfig } from './s3.js';
export { createStorage, presignsDownloads, type LocalStorageConfig, type StorageConfig } from './factory.js';

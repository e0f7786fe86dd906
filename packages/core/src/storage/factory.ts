import { ValidationError } from '@montu/domain';
import type { StorageBackend } from './backend.js';
import { LocalStorage } from './local.js';
import { S3Storage, type S3StorageConfig } from './s3.js';

export interface LocalStorageConfig {
  type: 'local';
  /** Folder holding the stored files (created when missing). */
  root: string;
}

export type StorageConfig = LocalStorageConfig | ({ type: 's3' } & S3StorageConfig);

/** Builds the storage backend a plain (already parsed) configuration object describes. */
export function createStorage(config: StorageConfig): LocalStorage | S3Storage {
  switch (config?.type) {
    case 'local':
      if (typeof config.root !== 'string' || config.root === '') {
        throw new ValidationError('Local storage needs a root folder (storage.root).');
      }
      return new LocalStorage(config.root);
    case 's3': {
      const { type: _type, ...s3 } = config;
      return new S3Storage(s3);
    }
    default:
      throw new ValidationError(
        `Unknown storage type ${JSON.stringify((config as { type?: unknown } | undefined)?.type)}: use "local" or "s3".`,
      );
  }
}

/** True when downloads from this backend should be redirected to presigned URLs. */
export function presignsDownloads(storage: StorageBackend): storage is StorageBackend & {
  presignGet: NonNullable<StorageBackend['presignGet']>;
  presignExpiresSeconds: number;
} {
  return storage instanceof S3Storage && storage.presignDownloads;
}

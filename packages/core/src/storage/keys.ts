import { StorageError } from '@montu/domain';

const MAX_KEY_LENGTH = 1024;

/**
 * Throws unless `key` is a relative `/`-separated path that cannot leave the storage root:
 * no `..` or `.` segments, no absolute paths, no empty segments, no backslashes, NUL or other
 * control characters, and nothing under the reserved temporary area.
 */
export function assertSafeKey(key: string): string {
  const reject = (why: string): never => {
    throw new StorageError(`Unsafe storage key ${JSON.stringify(key.slice(0, 200))}: ${why}.`, {
      details: { key: key.slice(0, 200) },
    });
  };
  if (typeof key !== 'string' || key.length === 0) reject('it is empty');
  if (key.length > MAX_KEY_LENGTH) reject(`it is longer than ${MAX_KEY_LENGTH} characters`);

  if (/[\u0000-\u001f\u007f]/.test(key)) reject('it contains control characters');
  if (key.includes('\\')) reject('it contains a backslash');
  if (key.startsWith('/')) reject('it is absolute');
  if (/^[A-Za-z]:/.test(key)) reject('it names a drive');
  for (const seg of key.split('/')) {
    if (seg === '') reject('it has an empty path segment');
    if (seg === '.' || seg === '..') reject('it has a relative path segment');
  }
  if (key === TEMP_DIR || key.startsWith(`${TEMP_DIR}/`)) reject('it is inside the temporary area');
  return key;
}

/** Folder (local) or prefix (S3) holding incomplete writes, never visible as stored files. */
export const TEMP_DIR = '.montu-tmp';

/**
 * The stored name of a version's file: generated, never the name a client sent (that is kept
 * as metadata), with the extension of the sniffed format: `ep01_sq010_sh020_lighting_v003.exr`,
 * and for a sequence frame `ep01_sq010_sh020_lighting_v003.1001.exr`.
 */
export function storedName(parts: {
  taskId: string;
  version: string;
  format: string;
  frame?: number;
  padding?: number;
}): string {
  const ext = parts.format.toLowerCase().replace(/[^a-z0-9]/g, '') || 'bin';
  const frame =
    parts.frame === undefined ? '' : `.${String(parts.frame).padStart(Math.max(1, parts.padding ?? 4), '0')}`;
  return `${parts.taskId}_${parts.version}${frame}.${ext}`;
}

/** The readable layout of stored files: project/task/version/name. */
export function mediaKey(parts: {
  projectId: string;
  taskId: string;
  version: string;
  name: string;
}): string {
  return assertSafeKey(`${parts.projectId}/${parts.taskId}/${parts.version}/${parts.name}`);
}

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { StorageBackend } from '../storage/backend.js';
import { LocalStorage } from '../storage/local.js';

/**
 * The tools (ffmpeg, exiftool, libvips) read files, not streams. For local storage that is the
 * stored file itself; for other backends a private temporary copy, removed afterwards.
 */
export async function withLocalFiles<T>(
  storage: StorageBackend,
  keys: string[],
  fn: (paths: string[]) => Promise<T>,
): Promise<T> {
  if (storage instanceof LocalStorage) return fn(keys.map((k) => storage.localPath(k)));
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'montu-work-'));
  try {
    const paths: string[] = [];
    for (const [i, key] of keys.entries()) {
      // Keep the extension: some tools choose their reader by it.
      const p = path.join(dir, `${String(i).padStart(6, '0')}${path.extname(key)}`);
      await pipeline(await storage.get(key), fs.createWriteStream(p));
      paths.push(p);
    }
    return await fn(paths);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A private temporary folder for a tool's output, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'montu-out-'));
  try {
    return await fn(dir);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

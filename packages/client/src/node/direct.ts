/// <reference types="node" />
/**
 * A file straight to the object store (decision 160): the server signs a PUT URL per part (part
 * size max(8 MiB, ⌈size/9,000⌉), the domain's rule), the parts go up in parallel from the file
 * to the bucket, each part's ETag is recorded with the server, and the server completes the
 * upload, verifies it and records the media. A resumed upload asks the server which parts are
 * recorded and sends the others. The file's sha256 is hashed while the parts go up and sent
 * with `complete`, where the server checks the stored object against it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { directPartRange } from '@montu/domain';
import { MontuError } from '../errors.js';
import type { DirectUpload, DirectUploadStart, Media } from '../types.js';
import { sendFile } from './file-request.js';
import { firstHeader } from './transport.js';

/** The server's direct-upload calls (MontuNodeClient gives them). */
export interface DirectUploadApi {
  start(body: DirectUploadStart): Promise<DirectUpload>;
  get(uploadId: string): Promise<DirectUpload>;
  urls(uploadId: string, parts: number[]): Promise<Array<{ partNumber: number; url: string }>>;
  record(uploadId: string, partNumber: number, etag: string): Promise<void>;
  complete(uploadId: string, sha256: string | undefined): Promise<Media>;
}

export interface DirectFileOptions {
  filePath: string;
  size: number;
  /** The upload's description (file name, target, …); unused when resuming. */
  start: DirectUploadStart;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  /** `(bytesSent, bytesTotal)`, counting parts already stored when resuming. */
  onProgress?: (sent: number, total: number) => void;
  /** The upload's id as soon as it exists (keep it to resume with `resumeUploadId`). */
  onUploadId?: (uploadId: string) => void;
  /** Resume this earlier direct upload of the same file. */
  resumeUploadId?: string;
  /** Only these parts (tests: a process that stops halfway); all pending parts when omitted. */
  onlyParts?: number[];
}

/** Attempts per part before the upload gives up (a lost connection, an expired URL, a 5xx). */
const PART_ATTEMPTS = 4;
/** URLs asked for at once. */
const URL_BATCH = 64;

/** Uploads the file and returns the media item; with `onlyParts`, stops after them (no media). */
export async function directUploadFile(api: DirectUploadApi, o: DirectFileOptions): Promise<Media | null> {
  const info = o.resumeUploadId ? await api.get(o.resumeUploadId) : await api.start(o.start);
  o.onUploadId?.(info.uploadId);
  if (info.size !== o.size) {
    throw new MontuError(
      'validation_error',
      0,
      `upload ${info.uploadId} is of a ${info.size}-byte file, not this ${o.size}-byte one`,
      { uploadId: info.uploadId },
    );
  }
  if (info.state === 'complete' && info.mediaId) return api.complete(info.uploadId, undefined);
  // Hashed alongside the parts: one sequential read, which the page cache shares with them.
  const hashing = o.onlyParts ? Promise.resolve(undefined) : sha256File(o.filePath);
  hashing.catch(() => undefined);

  const done = new Set(info.parts.map((p) => p.partNumber));
  const pending: number[] = [];
  for (let n = 1; n <= info.partCount; n++) {
    if (!done.has(n) && (!o.onlyParts || o.onlyParts.includes(n))) pending.push(n);
  }
  let sent = 0;
  for (const n of done) {
    const r = directPartRange(info.size, n);
    sent += r.end - r.start;
  }
  if (sent > 0) o.onProgress?.(sent, o.size);

  const urls = new Map<number, string>();
  const urlFor = async (n: number, fresh: boolean): Promise<string> => {
    if (!fresh && urls.has(n)) return urls.get(n)!;
    const batch = fresh ? [n] : pending.slice(pending.indexOf(n), pending.indexOf(n) + URL_BATCH);
    for (const u of await api.urls(info.uploadId, batch)) urls.set(u.partNumber, u.url);
    return urls.get(n)!;
  };

  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < pending.length) {
      const n = pending[next++]!;
      try {
        const etag = await sendPart(o.filePath, info.size, n, urlFor, (bytes) => {
          sent += bytes;
          o.onProgress?.(sent, o.size);
        });
        await api.record(info.uploadId, n, etag);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
  if (failed !== undefined) {
    if (failed instanceof MontuError) failed.details['uploadId'] = info.uploadId;
    throw failed;
  }
  if (o.onlyParts) return null;
  return api.complete(info.uploadId, await hashing);
}

/** PUTs one part to its presigned URL and returns the ETag the store answered. */
async function sendPart(
  filePath: string,
  size: number,
  n: number,
  urlFor: (n: number, fresh: boolean) => Promise<string>,
  onBytes: (bytes: number) => void,
): Promise<string> {
  const { start, end } = directPartRange(size, n);
  let lastError: unknown;
  for (let attempt = 0; attempt < PART_ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    let counted = 0;
    try {
      const answer = await sendFile({
        url: await urlFor(n, attempt > 0),
        method: 'PUT',
        // The URL is the credential: no Montu token goes to the object store.
        headers: {},
        filePath,
        contentType: 'application/octet-stream',
        offset: start,
        length: end - start,
        onBytes: (b) => {
          counted += b;
          onBytes(b);
        },
      });
      const etag = firstHeader(answer.headers['etag']);
      if (answer.status >= 200 && answer.status < 300 && etag) return etag;
      onBytes(-counted);
      lastError = new MontuError(
        'storage_error',
        answer.status,
        `the object store refused part ${n} (HTTP ${answer.status}): ${answer.text.slice(0, 300)}`,
      );
      // 403 is an expired URL (a fresh one is signed); other 4xx will not get better.
      if (answer.status >= 400 && answer.status < 500 && answer.status !== 403) break;
    } catch (e) {
      onBytes(-counted);
      if (!(e instanceof MontuError) || e.code !== 'connection_error') throw e;
      lastError = e;
    }
  }
  throw lastError;
}

export async function sha256File(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(filePath, { highWaterMark: 2 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

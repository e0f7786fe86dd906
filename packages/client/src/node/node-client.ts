/// <reference types="node" />
/**
 * MontuNodeClient: MontuClient plus uploads of files on disk, streamed from the file with a
 * Content-Length (never held whole), with byte progress — what the `montu` CLI and pipeline
 * scripts use. Small files go in one multipart `POST /media`; large ones by tus, resumable.
 * Node only: import it from `@montu/client/node`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MontuClient, type MontuClientOptions } from '../client.js';
import { MontuError } from '../errors.js';
import type { Media, SequenceStart } from '../types.js';
import { sendFile } from './file-request.js';
import { multipartEnvelope } from './multipart.js';
import { answerJson, type UploadTransport } from './transport.js';
import { tusUploadFile } from './tus.js';
import { directUploadFile, type DirectUploadApi } from './direct.js';

/** Files at least this large go by tus (resumable); smaller ones in one multipart request. */
export const TUS_MIN_BYTES = 128 << 20;
/**
 * Files at least this large go straight to the object store when the server offers it (S3
 * storage): one part's worth; below it the extra calls cost more than the proxy hop.
 */
export const DIRECT_MIN_BYTES = 8 << 20;

export interface FileUploadOptions {
  projectId: string;
  taskId: string;
  /** Default: the file's name. */
  fileName?: string;
  version?: string;
  /** Who made it, when not the caller (instance admins and pipeline tokens only; docs/auth.md). */
  author?: string;
  description?: string;
  tags?: string[];
  /** Hex sha256 of the file, when known: the server verifies it. */
  sha256?: string;
  /** `(bytesSent, bytesTotal)`. */
  onProgress?: (sent: number, total: number) => void;
  /** Files of at least this many bytes go by tus (default TUS_MIN_BYTES). */
  tusMinBytes?: number;
  /** tus: the upload's URL as soon as it exists (persist it to resume with `resumeUrl`). */
  onUploadUrl?: (url: string) => void;
  /** tus: resume this earlier upload of the same file instead of starting one. */
  resumeUrl?: string;
  /**
   * Straight to the object store (decision 160): `auto` (default) when the server offers it and
   * the file is at least `directMinBytes`; `true` always (an error when not offered); `false` never.
   */
  direct?: boolean | 'auto';
  /** Default DIRECT_MIN_BYTES. */
  directMinBytes?: number;
  /** Parts in flight at once in a direct upload (default 4). */
  directConcurrency?: number;
  /** Direct: the upload's id as soon as it exists (persist it to resume with `resumeDirectUploadId`). */
  onDirectUploadId?: (uploadId: string) => void;
  /** Direct: resume this earlier direct upload of the same file. */
  resumeDirectUploadId?: string;
  /** Direct: send only these parts and return null (a test's process that stops halfway). */
  directOnlyParts?: number[];
}

export interface SequenceFileInput {
  frame: number;
  /** The frame's file on disk. */
  path: string;
  /** Its size in bytes (default: stat). */
  size?: number;
  sha256?: string;
}

export type SequenceFilesOptions = Omit<SequenceStart, 'frames'> & {
  /** `(bytesSent, bytesTotal)` over all frames. */
  onProgress?: (sent: number, total: number) => void;
  /** Resume this sequence upload: only its pending frames are sent. */
  uploadId?: string;
};

const enc = encodeURIComponent;

export class MontuNodeClient extends MontuClient {
  private readonly transport: UploadTransport;
  private directOffer: Promise<boolean> | undefined;

  constructor(options: MontuClientOptions) {
    super(options);
    this.transport = {
      baseUrl: this.baseUrl,
      url: (p, q) => this.url(p, q),
      headers: (method) => this.headers(method),
    };
  }

  /** Publishes a file on disk and returns the media item (multipart, or tus from `tusMinBytes`). */
  async uploadFile(filePath: string, o: FileUploadOptions): Promise<Media> {
    let size: number;
    try {
      size = (await fs.promises.stat(filePath)).size;
    } catch (e) {
      throw new MontuError('file_unreadable', 0, `cannot read ${filePath}: ${(e as Error).message}`, {
        path: filePath,
      });
    }
    const fields = {
      projectId: o.projectId,
      taskId: o.taskId,
      version: o.version,
      author: o.author,
      description: o.description,
      tags: o.tags?.join(','),
      sha256: o.sha256,
    };
    const fileName = o.fileName ?? path.basename(filePath);
    if (await this.goesDirect(size, o)) {
      const media = await directUploadFile(this.directApi(), {
        filePath,
        size,
        start: {
          fileName,
          size,
          projectId: o.projectId,
          taskId: o.taskId,
          ...(o.version !== undefined ? { version: o.version } : {}),
          ...(o.author !== undefined ? { author: o.author } : {}),
          ...(o.description !== undefined ? { description: o.description } : {}),
          ...(o.tags !== undefined ? { tags: o.tags } : {}),
          ...(o.sha256 !== undefined ? { sha256: o.sha256 } : {}),
        },
        ...(o.directConcurrency !== undefined ? { concurrency: o.directConcurrency } : {}),
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
        ...(o.onDirectUploadId ? { onUploadId: o.onDirectUploadId } : {}),
        ...(o.resumeDirectUploadId ? { resumeUploadId: o.resumeDirectUploadId } : {}),
        ...(o.directOnlyParts ? { onlyParts: o.directOnlyParts } : {}),
      });
      // Only a deliberately partial upload (directOnlyParts) ends without media.
      return media as Media;
    }
    if (o.resumeUrl || size >= (o.tusMinBytes ?? TUS_MIN_BYTES)) {
      const mediaId = await tusUploadFile(
        this.transport,
        {
          filePath,
          size,
          metadata: { filename: fileName, ...fields },
          ...(o.onProgress ? { onProgress: o.onProgress } : {}),
          ...(o.onUploadUrl ? { onUploadUrl: o.onUploadUrl } : {}),
          ...(o.resumeUrl ? { resumeUrl: o.resumeUrl } : {}),
        },
        (url) => this.uploadResult(url),
      );
      return this.getMedia(mediaId);
    }
    const { contentType, head, tail } = multipartEnvelope(fields, fileName);
    const url = this.url('/media');
    let sent = 0;
    const answer = await sendFile({
      url,
      method: 'POST',
      headers: this.transport.headers('POST'),
      filePath,
      contentType,
      head,
      tail,
      ...(o.onProgress ? { onBytes: (n: number) => o.onProgress?.((sent += n), size) } : {}),
    });
    return answerJson<Media>(answer, `POST ${url}`);
  }

  /** Whether the server takes uploads straight to its object store (asked once per client). */
  async directUploadsOffered(): Promise<boolean> {
    this.directOffer ??= this.call('get', '/api/v1/uploads/direct').then(
      (o) => o.offered,
      (e: unknown) => {
        this.directOffer = undefined;
        // An older server without the route: not offered.
        if (e instanceof MontuError && e.status === 404) return false;
        throw e;
      },
    );
    return this.directOffer;
  }

  private async goesDirect(size: number, o: FileUploadOptions): Promise<boolean> {
    if (o.resumeDirectUploadId || o.directOnlyParts) return true;
    if (o.resumeUrl || o.direct === false) return false;
    if (o.direct === true) {
      if (!(await this.directUploadsOffered()))
        throw new MontuError(
          'not_supported',
          501,
          'this server does not take direct uploads (its storage is not S3, or they are turned off)',
        );
      return true;
    }
    return size >= (o.directMinBytes ?? DIRECT_MIN_BYTES) && (await this.directUploadsOffered());
  }

  private directApi(): DirectUploadApi {
    return {
      start: (body) => this.call('post', '/api/v1/uploads/direct', { body }),
      get: (uploadId) => this.call('get', '/api/v1/uploads/direct/{uploadId}', { path: { uploadId } }),
      urls: async (uploadId, parts) =>
        (
          await this.call('post', '/api/v1/uploads/direct/{uploadId}/urls', {
            path: { uploadId },
            body: { parts },
          })
        ).urls,
      record: async (uploadId, partNumber, etag) => {
        await this.call('put', '/api/v1/uploads/direct/{uploadId}/parts/{partNumber}', {
          path: { uploadId, partNumber },
          body: { etag },
        });
      },
      complete: (uploadId, sha256) =>
        this.call('post', '/api/v1/uploads/direct/{uploadId}/complete', {
          path: { uploadId },
          body: sha256 ? { sha256 } : {},
        }),
    };
  }

  /**
   * Publishes an image sequence from files on disk: declares the frames, PUTs each one streamed
   * from its file, commits. With `uploadId`, resumes: only the frames the server lacks are sent.
   */
  async uploadSequenceFiles(frames: SequenceFileInput[], o: SequenceFilesOptions): Promise<Media> {
    const { onProgress, uploadId: resume, ...start } = o;
    const specs = await Promise.all(
      frames.map(async (f) => ({
        frame: f.frame,
        fileName: path.basename(f.path),
        size: f.size ?? (await fs.promises.stat(f.path)).size,
        ...(f.sha256 ? { sha256: f.sha256 } : {}),
      })),
    );
    const total = specs.reduce((n, f) => n + f.size, 0);
    const info = resume
      ? await this.call('get', '/api/v1/uploads/sequences/{uploadId}', { path: { uploadId: resume } })
      : await this.call('post', '/api/v1/uploads/sequences', { body: { ...start, frames: specs } });
    const pending = new Set(info.pendingFrames);
    let sent = specs.filter((s) => !pending.has(s.frame)).reduce((n, f) => n + f.size, 0);
    if (sent > 0) onProgress?.(sent, total);
    const base = `/uploads/sequences/${enc(info.uploadId)}`;
    for (const [i, f] of frames.entries()) {
      if (!pending.has(f.frame)) continue;
      const url = this.url(`${base}/frames/${f.frame}`, f.sha256 ? { sha256: f.sha256 } : undefined);
      try {
        answerJson<unknown>(
          await sendFile({
            url,
            method: 'PUT',
            headers: this.transport.headers('PUT'),
            filePath: f.path,
            contentType: 'application/octet-stream',
            ...(onProgress ? { onBytes: (n: number) => onProgress((sent += n), total) } : {}),
          }),
          `PUT ${url}`,
        );
      } catch (e) {
        if (e instanceof MontuError) e.details['uploadId'] = info.uploadId;
        throw e;
      }
      if (!onProgress) sent += specs[i]!.size;
    }
    return this.call('post', '/api/v1/uploads/sequences/{uploadId}/complete', {
      path: { uploadId: info.uploadId },
    });
  }
}

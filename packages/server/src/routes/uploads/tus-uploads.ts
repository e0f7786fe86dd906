import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EVENTS, EXPOSED_HEADERS, MemoryLocker, Server as TusServer, type Upload } from '@tus/server';
import { FileStore } from '@tus/file-store';
import {
  isMontuError,
  ParallelSha256,
  storageFailure,
  visibleProjects,
  type Principal,
  type Role,
} from '@montu/core';
import type { AppContext } from '../../app-context.js';
import { API_PREFIX } from '../../app-context.js';
import { personOf, requireRole, type Person } from '../../auth.js';
import { REPLAYED_HEADER, startIdempotent } from '../../idempotency.js';
import {
  UPLOAD_ID,
  newUploadId,
  PRINCIPAL,
  IDEMPOTENT,
  type RawWithPrincipal,
  rawOf,
  principalOf,
  tusError,
  fromMontuError,
  tusHeaders,
} from './tus-protocol.js';

/** The tus side of resumable uploads: the store, its locks, the sessions and the finishing step. */
export type TusUploads = ReturnType<typeof createTusUploads>;

/**
 * Resumable uploads (tus 1.0) at /api/v1/uploads. Partial data lives in `<dataDir>/uploads`;
 * when the last byte arrives the file is handed to the library (which stores it, verifying the
 * sha256 from Upload-Metadata) and the partial file is removed. The session of each upload
 * (owner, finishing lease, offset, outcome) is the core's (uploads/upload-sessions.ts).
 */
export function createTusUploads(app: FastifyInstance, ctx: AppContext) {
  const { montu, config, metrics } = ctx;
  const directory = path.resolve(config.uploadDir ?? path.join(config.dataDir, 'uploads'));
  const sessions = montu.uploads;
  const EXPIRES_MS = 7 * 86_400_000;
  const datastore = new FileStore({ directory, expirationPeriodInMilliseconds: EXPIRES_MS });
  // Shared with our own PATCH handler, so HEAD/DELETE (tus) and PATCH (ours) exclude each other.
  const locker = new MemoryLocker();

  const canSeeUpload = (p: Principal, meta: Record<string, string | null> | undefined) =>
    p.user.isAdmin || meta?.['montuOwner'] === p.user.id;

  const tus = new TusServer({
    path: `${API_PREFIX}/uploads`,
    datastore,
    locker,
    maxSize: config.limits.maxUploadBytes,
    respectForwardedHeaders: config.trustProxy !== false,
    relativeLocation: true,
    exposedHeaders: ['Montu-Media-Id'],
    namingFunction: newUploadId,
    async onUploadCreate(req, upload) {
      const p = principalOf(req);
      const meta = upload.metadata ?? {};
      try {
        if (meta['sourceMediaId']) {
          const source = await montu.media.getMediaById(meta['sourceMediaId'], scopeFor(p));
          requireRoleOf(p, source.projectId, 'artist');
        } else {
          if (!meta['projectId'] || !meta['taskId']) {
            throw tusError(
              400,
              'validation_error',
              'Upload-Metadata needs projectId and taskId (or sourceMediaId).',
            );
          }
          requireRoleOf(p, meta['projectId'], 'artist');
        }
        if (!meta['filename']) throw tusError(400, 'validation_error', 'Upload-Metadata needs filename.');
        if (meta['sha256'] && !/^[0-9a-fA-F]{64}$/.test(meta['sha256'])) {
          throw tusError(400, 'validation_error', 'sha256 in Upload-Metadata must be 64 hexadecimal digits.');
        }
      } catch (e) {
        throw fromMontuError(e);
      }
      let author: Person;
      try {
        author = personOf(p, meta['author'] ?? undefined, 'author');
      } catch (e) {
        throw fromMontuError(e);
      }
      // Recorded before the answer is written: a retry that comes as soon as the client has the
      // answer must find the upload, not a claim still running. A creation that then fails
      // gives the key up (the POST handler).
      await sessions.open(upload.id, p.user.id, upload.size ?? null);
      const idem = rawOf(req)?.[IDEMPOTENT];
      if (idem?.kind === 'first') await idem.complete(upload.id);
      // Set here, never taken from the client: who owns the upload, whom it names and who acted.
      return {
        metadata: { ...meta, montuOwner: p.user.id, montuAuthor: author.name, montuVia: author.via ?? '' },
      };
    },
    async onIncomingRequest(req, uploadId) {
      if (req.method === 'POST' || req.method === 'OPTIONS') return;
      const p = principalOf(req);
      // The routes' schema already refused ids the server never issues; this is the backstop
      // for tus's own parsing of the URL. An upload whose description cannot be read is denied:
      // letting it through let DELETE /uploads/<id>.json remove someone else's description.
      if (!UPLOAD_ID.test(uploadId)) throw tusError(400, 'validation_error', 'Not an upload id.');
      const described = await datastore.configstore.get(uploadId).catch(() => undefined);
      if (!described || !canSeeUpload(p, described.metadata))
        throw tusError(404, 'not_found', 'Upload not found.');
    },
    onResponseError(_req, err) {
      if ('status_code' in err) return undefined;
      // A full disk (the database's or the upload folder's) is the client's 507; other failures
      // are logged and answered without detail (a file-system message names server paths).
      const failure = isMontuError(err) ? err : storageFailure(err, 'create the upload');
      if (isMontuError(failure) && failure.code !== 'storage_error') return fromMontuError(failure);
      app.log.error({ err }, 'tus request failed');
      return tusError(500, 'internal_error', 'The upload request failed.');
    },
    async onUploadFinish(_req, upload) {
      if (!(await claimFinish(upload)))
        throw tusError(409, 'conflict', 'This upload is already being finished.');
      return finish(upload);
    },
  });

  /**
   * Takes the lease to finish an upload (core uploads/upload-sessions.ts): a complete upload
   * whose finisher died (a crash between the last byte and the outcome) can be finished by
   * another process later, and never twice at once.
   */
  const claimFinish = (upload: Upload) =>
    sessions.claimFinish(upload.id, upload.metadata?.['montuOwner'] ?? '', upload.size ?? null);

  /** Hands a complete upload to the library and records the outcome (call after claimFinish). */
  async function finish(
    upload: Upload,
    hashed?: { size: number; sha256: string },
  ): Promise<{ headers: Record<string, string> }> {
    const meta = upload.metadata ?? {};
    const filePath = path.join(directory, upload.id);
    try {
      const common = {
        filePath,
        // The partial file sits on the data volume: move it into storage instead of copying.
        moveFile: true,
        // Hashed while the PATCHes streamed it: storage need not read the file again.
        ...(hashed ? { hashed } : {}),
        fileName: meta['filename'] ?? 'upload',
        author: meta['montuAuthor'] ?? 'unknown',
        ...(meta['montuVia'] ? { via: meta['montuVia'] } : {}),
        ...(meta['version'] ? { version: meta['version'] } : {}),
        ...(meta['description'] ? { description: meta['description'] } : {}),
        ...(meta['sha256'] ? { expectedSha256: meta['sha256'] } : {}),
      };
      const id = meta['sourceMediaId']
        ? await montu.media.createMediaVersion({ ...common, sourceMediaId: meta['sourceMediaId'] })
        : await montu.media.uploadMedia({
            ...common,
            projectId: meta['projectId'] ?? '',
            taskId: meta['taskId'] ?? '',
            ...(meta['tags']
              ? {
                  tags: meta['tags']
                    .split(',')
                    .map((t) => t.trim())
                    .filter(Boolean),
                }
              : {}),
          });
      await sessions.complete(upload.id, id);
      metrics.uploads.inc({ kind: 'tus', result: 'ok' });
      metrics.uploadBytes.inc({ kind: 'tus' }, upload.size ?? 0);
      return { headers: { 'Montu-Media-Id': id } };
    } catch (e) {
      const err = fromMontuError(e);
      const parsed = JSON.parse(err.body) as { code?: string; detail?: string };
      await sessions.fail(upload.id, {
        status: err.status_code,
        code: parsed.code ?? 'internal_error',
        detail: parsed.detail ?? '',
      });
      metrics.uploads.inc({ kind: 'tus', result: 'failed' });
      throw err;
    } finally {
      // Stored (or refused): the partial copy goes either way; nothing is kept on a mismatch.
      dropHash(upload.id);
      await datastore.remove(upload.id).catch(() => undefined);
    }
  }

  function scopeFor(p: Principal) {
    const ids = visibleProjects(p);
    return ids === undefined ? {} : { projectIds: ids };
  }
  function requireRoleOf(p: Principal, projectId: string, min: Role): void {
    requireRole({ principal: p } as FastifyRequest, projectId, min);
  }

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    (req.raw as RawWithPrincipal)[PRINCIPAL] = req.principal;
    // Creation under an Idempotency-Key: a retried POST gets the upload the first one created.
    const idem = req.method === 'POST' ? await startIdempotent(ctx, req, 'POST /uploads') : undefined;
    if (idem?.kind === 'replay') {
      return reply
        .code(201)
        .headers({
          ...tusHeaders,
          location: `${API_PREFIX}/uploads/${idem.result}`,
          [REPLAYED_HEADER]: 'true',
          'access-control-expose-headers': `${EXPOSED_HEADERS}, Idempotent-Replayed`,
        })
        .send();
    }
    if (idem) (req.raw as RawWithPrincipal)[IDEMPOTENT] = idem;
    reply.hijack();
    try {
      await tus.handle(req.raw, reply.raw);
    } finally {
      if (idem && reply.raw.statusCode !== 201) await idem.abandon().catch(() => undefined);
    }
  };

  /*
   * PATCH is ours, not @tus/server's: its byte path (the Node request turned into a web stream,
   * back into a Node stream, through a PassThrough, a limiter and a counting Transform, written
   * 16 KiB at a time) ran at ~140 MB/s, and the finished file was then read again in full to
   * hash it. Here the body goes straight into the partial file through the storage layer's
   * sink, hashed on the way by a worker thread; the hash state stays in memory with the offset
   * it covers, so a PATCH that resumes at that offset carries on hashing and the finished file
   * is moved into storage without being read again. When the state is missing (another
   * process, a restart) the file is hashed at the end as before. Protocol checks follow
   * @tus/server's PatchHandler and the tus 1.0 core protocol; locks are @tus/server's own.
   */
  const hashes = new Map<string, { hash: ParallelSha256; offset: number; touched: number }>();
  function dropHash(id: string): void {
    hashes.get(id)?.hash.dispose();
    hashes.delete(id);
  }
  tus.on(EVENTS.POST_TERMINATE, (_req: unknown, _res: unknown, id: string) => {
    dropHash(id);
    void sessions.remove(id).catch((e: unknown) => app.log.error({ err: e, uploadId: id }, 'upload session'));
  });

  return {
    tus,
    datastore,
    locker,
    sessions,
    directory,
    EXPIRES_MS,
    canSeeUpload,
    claimFinish,
    finish,
    hashes,
    dropHash,
    handle,
  };
}

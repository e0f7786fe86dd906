import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  EVENTS,
  EXPOSED_HEADERS,
  MemoryLocker,
  Server as TusServer,
  TUS_RESUMABLE,
  type Upload,
} from '@tus/server';
import { FileStore } from '@tus/file-store';
import {
  isMontuError,
  NotFound,
  OWNER,
  ownerIsDeadLocalProcess,
  ParallelSha256,
  sinkToFile,
  storageFailure,
  visibleProjects,
  type IdempotencyStart,
  type Principal,
  type Role,
} from '@montu/core';
import type { AppContext } from '../app-context.js';
import { API_PREFIX } from '../app-context.js';
import { personOf, requireRole, scopeOf, type Person } from '../auth.js';
import { HttpProblem, STATUS_OF, type ProblemCode } from '../problem.js';
import { takeOverBody } from '../body-takeover.js';
import { errors, Media } from '../schemas.js';
import { IdempotencyHeaders, REPLAYED_HEADER, startIdempotent } from '../idempotency.js';
import { sequenceRoutes } from './sequences.js';

/** Ids of resumable uploads: 32 lower-case hex digits, issued by the server (newUploadId). */
const UPLOAD_ID = /^[0-9a-f]{32}$/;
const newUploadId = () => randomUUID().replace(/-/g, '');
const UploadIdParams = Type.Object({
  uploadId: Type.String({ pattern: UPLOAD_ID.source, description: 'The id the upload was created with' }),
});

const PRINCIPAL = Symbol('montu.principal');
/** The Idempotency-Key claim of a tus POST (onUploadCreate records the new upload under it). */
const IDEMPOTENT = Symbol('montu.idempotent');
type RawWithPrincipal = IncomingMessage & {
  [PRINCIPAL]?: Principal;
  [IDEMPOTENT]?: IdempotencyStart;
  id?: string;
};

/** The Node request behind tus's web Request (srvx keeps it at runtime.node.req). */
function rawOf(req: Request): RawWithPrincipal | undefined {
  return (req as unknown as { runtime?: { node?: { req?: RawWithPrincipal } } }).runtime?.node?.req;
}
function principalOf(req: Request): Principal {
  const p = rawOf(req)?.[PRINCIPAL];
  if (!p) throw { status_code: 401, body: 'Authentication required.' };
  return p;
}

/** tus hooks answer errors as `{ status_code, body }`; the body is a problem+json document. */
function tusError(
  status: number,
  code: string,
  detail: string,
  details?: Record<string, unknown>,
): { status_code: number; body: string } {
  return {
    status_code: status,
    body: JSON.stringify({
      type: `https://montu.dev/problems/${code}`,
      title: code,
      status,
      detail,
      code,
      ...(details ? { details } : {}),
    }),
  };
}

function fromMontuError(e: unknown): { status_code: number; body: string } {
  if (isMontuError(e)) {
    if (
      e.code === 'validation_error' &&
      e.details?.['expected'] !== undefined &&
      e.details?.['actual'] !== undefined
    ) {
      return tusError(422, 'checksum_mismatch', e.message, e.details);
    }
    return tusError(STATUS_OF[e.code as ProblemCode] ?? 500, e.code, e.message, e.details);
  }
  if (typeof e === 'object' && e !== null && 'status_code' in e)
    return e as { status_code: number; body: string };
  return tusError(500, 'internal_error', 'The upload could not be stored.');
}

interface UploadResult {
  state: 'complete' | 'failed';
  mediaId?: string;
  owner: string;
  error?: { status: number; code: string; detail: string };
}

/**
 * Resumable uploads (tus 1.0) at /api/v1/uploads. Partial data lives in `<dataDir>/uploads`;
 * when the last byte arrives the file is handed to the library (which stores it, verifying the
 * sha256 from Upload-Metadata) and the partial file is removed. The final PATCH answers with
 * `Montu-Media-Id`; `GET /uploads/:id/result` tells the outcome later.
 */
export async function uploadRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu, config, metrics } = ctx;
  const directory = path.resolve(config.uploadDir ?? path.join(config.dataDir, 'uploads'));
  const resultsDir = path.join(directory, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const EXPIRES_MS = 7 * 86_400_000;
  const datastore = new FileStore({ directory, expirationPeriodInMilliseconds: EXPIRES_MS });
  // Shared with our own PATCH handler, so HEAD/DELETE (tus) and PATCH (ours) exclude each other.
  const locker = new MemoryLocker();
  const resultFile = (id: string) => path.join(resultsDir, `${id.replace(/[^a-zA-Z0-9_-]/g, '')}.json`);

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
      // A file-system error (its message names server paths): logged, answered without detail.
      app.log.error({ err }, 'tus request failed');
      return tusError(500, 'internal_error', 'The upload request failed.');
    },
    async onUploadFinish(_req, upload) {
      if (!claimFinish(upload.id)) throw tusError(409, 'conflict', 'This upload is already being finished.');
      return finish(upload);
    },
  });

  /** Uploads this process is handing to the library right now. */
  const finishing = new Set<string>();
  const claimFile = (id: string) => path.join(resultsDir, `${id.replace(/[^a-zA-Z0-9_-]/g, '')}.finishing`);

  /**
   * Takes the right to finish upload `id`: a claim file names the finishing process, so a
   * complete upload whose finisher died (a crash between the last byte and the result) can be
   * finished later, and never twice at once.
   */
  function claimFinish(id: string): boolean {
    if (finishing.has(id)) return false;
    const f = claimFile(id);
    try {
      fs.writeFileSync(f, OWNER, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = '';
      try {
        owner = fs.readFileSync(f, 'utf8');
      } catch {
        /* removed meanwhile: take it */
      }
      if (owner !== OWNER && !ownerIsDeadLocalProcess(owner)) return false;
      fs.writeFileSync(f, OWNER);
    }
    finishing.add(id);
    return true;
  }

  /** Hands a complete upload to the library and records the outcome (call after claimFinish). */
  async function finish(
    upload: Upload,
    hashed?: { size: number; sha256: string },
  ): Promise<{ headers: Record<string, string> }> {
    const meta = upload.metadata ?? {};
    const owner = meta['montuOwner'] ?? '';
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
      writeResult(resultFile(upload.id), { state: 'complete', mediaId: id, owner });
      metrics.uploads.inc({ kind: 'tus', result: 'ok' });
      metrics.uploadBytes.inc({ kind: 'tus' }, upload.size ?? 0);
      return { headers: { 'Montu-Media-Id': id } };
    } catch (e) {
      const err = fromMontuError(e);
      const parsed = JSON.parse(err.body) as { code?: string; detail?: string };
      writeResult(resultFile(upload.id), {
        state: 'failed',
        owner,
        error: {
          status: err.status_code,
          code: parsed.code ?? 'internal_error',
          detail: parsed.detail ?? '',
        },
      });
      metrics.uploads.inc({ kind: 'tus', result: 'failed' });
      throw err;
    } finally {
      // Stored (or refused): the partial copy goes either way; nothing is kept on a mismatch.
      dropHash(upload.id);
      await datastore.remove(upload.id).catch(() => undefined);
      fs.rmSync(claimFile(upload.id), { force: true });
      finishing.delete(upload.id);
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
  tus.on(EVENTS.POST_TERMINATE, (_req: unknown, _res: unknown, id: string) => dropHash(id));

  const tusHeaders = { 'tus-resumable': TUS_RESUMABLE, 'access-control-allow-origin': '*' };
  const tusProblem = (status: number, code: string, detail: string, headers: Record<string, string> = {}) =>
    new HttpProblem(status, code, detail, undefined, { ...tusHeaders, ...headers });
  /**
   * tus's own protocol answers, as @tus/server gave them: plain text, no problem `code`. Clients
   * rely on that for 409: without a code it means "your offset is stale, ask (HEAD) and resume";
   * a problem 409 (a version conflict) is final (clients/python, packages/client).
   */
  const tusText = (status: number, text: string, headers: Record<string, string> = {}) =>
    new TusAnswer(status, text, { ...tusHeaders, ...headers });

  const patch = async (req: FastifyRequest<{ Params: { uploadId: string } }>, reply: FastifyReply) => {
    try {
      return await patchUpload(req, reply);
    } catch (e) {
      if (!(e instanceof TusAnswer)) throw e;
      return reply.code(e.status).headers(e.headers).type('text/plain; charset=utf-8').send(e.text);
    }
  };
  const patchUpload = async (req: FastifyRequest<{ Params: { uploadId: string } }>, reply: FastifyReply) => {
    const id = req.params.uploadId;
    const h = req.headers;
    if (h['tus-resumable'] !== TUS_RESUMABLE)
      throw tusText(412, 'Tus-Resumable Required\n', { 'tus-version': TUS_RESUMABLE });
    if (h['content-type'] !== 'application/offset+octet-stream')
      throw tusText(415, 'Content-Type must be application/offset+octet-stream\n');
    const offsetText = h['upload-offset'];
    const offset = Number(offsetText);
    if (typeof offsetText !== 'string' || !/^\d+$/.test(offsetText) || !Number.isSafeInteger(offset))
      throw tusText(400, 'Invalid upload-offset\n');
    const declaredLength = h['upload-length'];
    const bodyLength = h['content-length'] === undefined ? undefined : Number(h['content-length']);

    const describe = async (): Promise<Upload> => {
      try {
        return await datastore.getUpload(id);
      } catch {
        throw tusProblem(404, 'not_found', 'Upload not found.');
      }
    };
    if (!canSeeUpload(req.principal, (await describe()).metadata))
      throw tusProblem(404, 'not_found', 'Upload not found.');

    // One writer per upload: a newer request (a client resuming after a broken connection, or
    // HEAD) asks this one to stop, and it ends with what it received.
    const yieldNow = new AbortController();
    const giveUp = new AbortController();
    req.raw.once('close', () => giveUp.abort());
    const lock = locker.newLock(id);
    try {
      await lock.lock(giveUp.signal, async () => {
        yieldNow.abort();
      });
    } catch {
      throw tusText(409, 'Another request holds this upload; retry in a moment\n');
    }
    let upload: Upload;
    let newOffset: number;
    let outcome: { ended: boolean; error?: unknown };
    try {
      upload = await describe();
      const created = upload.creation_date ? Date.parse(upload.creation_date) : Date.now();
      if (Date.now() > created + EXPIRES_MS) throw tusText(410, 'The file for this url no longer exists\n');
      if (upload.offset !== offset)
        throw tusText(409, 'Upload-Offset conflict\n', { 'upload-offset': String(upload.offset) });
      const maxSize = config.limits.maxUploadBytes;
      if (declaredLength !== undefined) {
        // creation-defer-length: the length is declared with a later PATCH.
        const size = Number(declaredLength);
        if (upload.size !== undefined || !/^\d+$/.test(String(declaredLength)) || size < offset)
          throw tusText(400, 'Upload-Length is invalid or already set\n');
        if (maxSize > 0 && size > maxSize)
          throw tusProblem(
            413,
            'payload_too_large',
            `The upload is larger than the limit of ${maxSize} bytes.`,
          );
        await datastore.declareUploadLength(id, size);
        upload.size = size;
      }
      const room =
        upload.size !== undefined ? upload.size - offset : maxSize > 0 ? maxSize - offset : Infinity;
      if (bodyLength !== undefined && bodyLength > room)
        throw tusProblem(
          413,
          'payload_too_large',
          `The body is longer than the ${room} bytes the upload has left.`,
        );

      const now = Date.now();
      for (const [k, v] of hashes) if (now - v.touched > EXPIRES_MS) dropHash(k);
      let state = hashes.get(id);
      if (state && state.offset !== offset) {
        dropHash(id);
        state = undefined;
      }
      if (!state && offset === 0) {
        state = { hash: new ParallelSha256(), offset: 0, touched: now };
        hashes.set(id, state);
      }
      const filePath = path.join(directory, id);
      const file = await fsp.open(filePath, 'r+');
      let written = 0;
      try {
        const result = await sinkToFile(
          takeOverBody(req.raw, { lend: true }) ?? req.raw,
          { handle: file, path: filePath },
          {
            position: offset,
            ...(state ? { hash: state.hash } : {}),
            endsContent: upload.size !== undefined && bodyLength === room,
            ...(Number.isFinite(room)
              ? {
                  maxBytes: room,
                  tooLarge: () =>
                    tusProblem(
                      413,
                      'payload_too_large',
                      `The body is longer than the ${room} bytes the upload has left.`,
                    ),
                }
              : {}),
            signal: yieldNow.signal,
          },
        );
        written = result.written;
        outcome = result;
      } catch (e) {
        // A write failed: the file and the hash may disagree; the file is hashed at the end.
        dropHash(id);
        const failure = storageFailure(e, 'write the upload');
        if (isMontuError(failure) && failure.code === 'insufficient_storage') {
          // A full disk: the partial upload is dropped (keeping it would hold the space that
          // is missing); the client starts again once space is freed.
          await file.close().catch(() => undefined);
          await datastore.remove(id).catch(() => undefined);
          req.log.warn({ uploadId: id }, 'tus PATCH: storage is full; the upload was dropped');
          throw tusProblem(507, 'insufficient_storage', failure.message, { connection: 'close' });
        }
        req.log.error({ err: e, uploadId: id }, 'tus PATCH: could not write the upload');
        throw tusProblem(503, 'storage_error', 'The upload could not be written; resume it from its offset.');
      } finally {
        await file.close().catch(() => undefined);
      }
      newOffset = offset + written;
      if (state) {
        state.offset = newOffset;
        state.touched = Date.now();
      }
    } finally {
      await lock.unlock().catch(() => undefined);
    }

    if (outcome.error instanceof HttpProblem) throw outcome.error;
    const headers: Record<string, string> = { ...tusHeaders, 'upload-offset': String(newOffset) };
    // Stopped for a newer request, or the client went away: the rest of the body is not read.
    if (!outcome.ended) headers['connection'] = 'close';
    if (newOffset === upload.size) {
      const state = hashes.get(id);
      if (!claimFinish(id)) throw tusProblem(409, 'conflict', 'This upload is already being finished.');
      // Without a hash state covering every byte (a lost worker, another process), storage
      // hashes the file itself.
      const hashed =
        state && state.offset === newOffset
          ? await state.hash.digest().then(
              (sha256) => ({ size: newOffset, sha256 }),
              () => undefined,
            )
          : undefined;
      dropHash(id);
      try {
        Object.assign(headers, (await finish({ ...upload, offset: newOffset } as Upload, hashed)).headers);
      } catch (e) {
        const err = fromMontuError(e);
        return reply
          .code(err.status_code)
          .headers(headers)
          .header('content-type', 'application/problem+json')
          .send(err.body);
      }
    } else {
      headers['upload-expires'] = new Date(
        (upload.creation_date ? Date.parse(upload.creation_date) : Date.now()) + EXPIRES_MS,
      ).toUTCString();
    }
    headers['access-control-expose-headers'] = `${EXPOSED_HEADERS}, Montu-Media-Id`;
    return reply.code(204).headers(headers).send();
  };

  const tusDoc = {
    tags: ['uploads'],
    description:
      'tus 1.0 resumable upload protocol (creation, termination, expiration). Upload-Metadata keys: filename, projectId, taskId, version, description, tags, sha256, sourceMediaId. The final PATCH answers with header Montu-Media-Id.',
  };
  app.route({
    method: ['POST', 'OPTIONS'],
    url: '/uploads',
    schema: { ...tusDoc, summary: 'Create a resumable upload (tus)', headers: IdempotencyHeaders },
    handler: handle,
  });
  app.route({
    method: ['HEAD', 'DELETE', 'OPTIONS'],
    url: '/uploads/:uploadId',
    schema: {
      ...tusDoc,
      summary: 'Resume (HEAD) or cancel (DELETE) an upload (tus)',
      params: UploadIdParams,
    },
    exposeHeadRoute: false,
    handler: handle,
  });
  app.route<{ Params: { uploadId: string } }>({
    method: 'PATCH',
    url: '/uploads/:uploadId',
    schema: {
      ...tusDoc,
      summary: 'Send bytes of an upload from its offset (tus)',
      params: UploadIdParams,
    },
    handler: patch,
  });

  app.get<{ Params: { uploadId: string } }>(
    '/uploads/:uploadId/result',
    {
      schema: {
        tags: ['uploads'],
        summary: 'Outcome of a finished resumable upload: the media item, or why it was refused',
        params: UploadIdParams,
        response: {
          200: Type.Object({
            state: Type.String(),
            mediaId: Type.Optional(Type.String()),
            media: Type.Optional(Media),
            error: Type.Optional(Type.Object({}, { additionalProperties: true })),
          }),
          202: Type.Object({
            state: Type.String(),
            offset: Type.Integer(),
            size: Type.Union([Type.Integer(), Type.Null()]),
          }),
          ...errors(404),
        },
      },
    },
    async (req, reply) => {
      const id = req.params.uploadId;
      let result: UploadResult | null = null;
      try {
        result = JSON.parse(fs.readFileSync(resultFile(id), 'utf8')) as UploadResult;
      } catch {
        result = null;
      }
      if (result) {
        if (!req.principal.user.isAdmin && result.owner !== req.principal.user.id)
          throw new NotFound('Upload not found.');
        if (result.state === 'failed') return { state: 'failed', error: result.error ?? {} };
        const media = await montu.media.getMediaById(result.mediaId!, scopeOf(req)).catch(() => undefined);
        return { state: 'complete', mediaId: result.mediaId, ...(media ? { media } : {}) };
      }
      let upload: Upload;
      try {
        upload = await datastore.getUpload(id);
      } catch {
        // The bytes are gone but the upload is still described, and its finisher died: the
        // library took the file and the process stopped before the outcome was written.
        const stranded = fs.existsSync(claimFile(id))
          ? await datastore.configstore.get(id).catch(() => undefined)
          : undefined;
        if (stranded && canSeeUpload(req.principal, stranded.metadata) && claimFinish(id)) {
          const error = {
            status: 409,
            code: 'upload_interrupted',
            detail:
              'The server stopped while storing this upload. Look for the version in its task; if it is not there, upload again.',
          };
          writeResult(resultFile(id), {
            state: 'failed',
            owner: stranded.metadata?.['montuOwner'] ?? '',
            error,
          });
          await datastore.configstore.delete(id).catch(() => undefined);
          fs.rmSync(claimFile(id), { force: true });
          finishing.delete(id);
          return { state: 'failed', error };
        }
        throw new NotFound('Upload not found.', { uploadId: id });
      }
      if (!canSeeUpload(req.principal, upload.metadata))
        throw new NotFound('Upload not found.', { uploadId: id });
      // Every byte arrived but no outcome was recorded: the finishing process died. Finish now.
      if (upload.size !== undefined && upload.offset === upload.size && claimFinish(id)) {
        const outcome = await finish(upload).then(
          (r) => ({ state: 'complete' as const, mediaId: r.headers['Montu-Media-Id']! }),
          () => null,
        );
        if (outcome) {
          const media = await montu.media.getMediaById(outcome.mediaId, scopeOf(req)).catch(() => undefined);
          return { ...outcome, ...(media ? { media } : {}) };
        }
        const failed = JSON.parse(fs.readFileSync(resultFile(id), 'utf8')) as UploadResult;
        return { state: 'failed', error: failed.error ?? {} };
      }
      return reply.code(202).send({
        state: upload.offset === upload.size ? 'finishing' : 'uploading',
        offset: upload.offset,
        size: upload.size ?? null,
      });
    },
  );

  // Frame bodies of any type (image/x-exr, image/png…) stay unread for the handler to stream.
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  await sequenceRoutes(app, ctx);
}

/** A tus protocol answer in @tus/server's form (plain text), thrown by the PATCH handler. */
class TusAnswer extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
    readonly headers: Record<string, string>,
  ) {
    super(text.trim());
  }
}

function writeResult(file: string, result: UploadResult): void {
  fs.writeFileSync(file, JSON.stringify(result));
}

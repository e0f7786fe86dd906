import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EXPOSED_HEADERS, TUS_RESUMABLE, type Upload } from '@tus/server';
import { isMontuError, ParallelSha256, sinkToFile, storageFailure } from '@montu/core';
import type { AppContext } from '../../app-context.js';
import { HttpProblem } from '../../problem.js';
import { fromMontuError, tusHeaders, tusProblem, tusText, TusAnswer } from './tus-protocol.js';
import type { TusUploads } from './tus-uploads.js';

/**
 * The tus PATCH handler (see the comment on `hashes` in tus-uploads.ts for why it is ours).
 */
export function tusPatch(ctx: AppContext, t: TusUploads) {
  const { config } = ctx;
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
        return await t.datastore.getUpload(id);
      } catch {
        throw tusProblem(404, 'not_found', 'Upload not found.');
      }
    };
    if (!t.canSeeUpload(req.principal, (await describe()).metadata))
      throw tusProblem(404, 'not_found', 'Upload not found.');

    // One writer per upload: a newer request (a client resuming after a broken connection, or
    // HEAD) asks this one to stop, and it ends with what it received.
    const yieldNow = new AbortController();
    const giveUp = new AbortController();
    req.raw.once('close', () => giveUp.abort());
    const lock = t.locker.newLock(id);
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
      if (Date.now() > created + t.EXPIRES_MS) throw tusText(410, 'The file for this url no longer exists\n');
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
        await t.datastore.declareUploadLength(id, size);
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
      for (const [k, v] of t.hashes) if (now - v.touched > t.EXPIRES_MS) t.dropHash(k);
      let state = t.hashes.get(id);
      if (state && state.offset !== offset) {
        t.dropHash(id);
        state = undefined;
      }
      if (!state && offset === 0) {
        state = { hash: new ParallelSha256(), offset: 0, touched: now };
        t.hashes.set(id, state);
      }
      const filePath = path.join(t.directory, id);
      const file = await fsp.open(filePath, 'r+');
      let written = 0;
      try {
        const result = await sinkToFile(
          req.raw,
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
        t.dropHash(id);
        const failure = storageFailure(e, 'write the upload');
        if (isMontuError(failure) && failure.code === 'insufficient_storage') {
          // A full disk: the partial upload is dropped (keeping it would hold the space that
          // is missing); the client starts again once space is freed.
          await file.close().catch(() => undefined);
          await t.datastore.remove(id).catch(() => undefined);
          req.log.warn({ uploadId: id }, 'tus PATCH: storage is full; the upload was dropped');
          throw tusProblem(507, 'insufficient_storage', failure.message, { connection: 'close' });
        }
        req.log.error({ err: e, uploadId: id }, 'tus PATCH: could not write the upload');
        throw tusProblem(503, 'storage_error', 'The upload could not be written; resume it from its offset.');
      } finally {
        await file.close().catch(() => undefined);
      }
      newOffset = offset + written;
      await t.sessions.progress(id, newOffset, upload.size ?? null);
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
      const state = t.hashes.get(id);
      if (!(await t.claimFinish({ ...upload, offset: newOffset } as Upload)))
        throw tusProblem(409, 'conflict', 'This upload is already being finished.');
      // Without a hash state covering every byte (a lost worker, another process), storage
      // hashes the file itself.
      const hashed =
        state && state.offset === newOffset
          ? await state.hash.digest().then(
              (sha256) => ({ size: newOffset, sha256 }),
              () => undefined,
            )
          : undefined;
      t.dropHash(id);
      try {
        Object.assign(headers, (await t.finish({ ...upload, offset: newOffset } as Upload, hashed)).headers);
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
        (upload.creation_date ? Date.parse(upload.creation_date) : Date.now()) + t.EXPIRES_MS,
      ).toUTCString();
    }
    headers['access-control-expose-headers'] = `${EXPOSED_HEADERS}, Montu-Media-Id`;
    return reply.code(204).headers(headers).send();
  };

  return patch;
}

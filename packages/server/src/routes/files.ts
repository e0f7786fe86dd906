import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { NotFound, originalIsWebImage, presignsDownloads, type MediaFile } from '@montu/core';
import type { AppContext } from '../app-context.js';
import { loadMedia } from './media.js';
import { contentDisposition, etagMatches, parseRange, safeContentType } from '../http-range.js';
import { errors, FileResponses, FrameParams, RENDITIONS, RenditionParams } from '@montu/domain/wire';

const fileResponses = { ...FileResponses, ...errors(404, 416) };
const frameFloatResponses = { ...FileResponses, ...errors(400, 404, 416, 422) };

export async function fileRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu, metrics, config } = ctx;

  async function send(
    req: FastifyRequest,
    reply: FastifyReply,
    file: MediaFile,
    name: string,
    inline = false,
  ): Promise<FastifyReply> {
    const attachment =
      !inline && (file.role === 'original' || file.role === 'frame' || file.role === 'attachment');
    const disposition = contentDisposition(attachment ? 'attachment' : 'inline', name);
    const type = safeContentType(file.contentType);
    const storage = montu.storage;
    if (config.presignDownloads && presignsDownloads(storage)) {
      const url = await storage.presignGet(file.key, {
        expiresInSeconds: storage.presignExpiresSeconds,
        fileName: name,
        contentType: type,
      });
      return reply.code(302).header('location', url).header('cache-control', 'no-store').send();
    }
    const etag = `"${file.sha256}"`;
    reply
      .header('etag', etag)
      .header('accept-ranges', 'bytes')
      .header('cache-control', 'private, no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('content-disposition', disposition);
    if (etagMatches(req.headers['if-none-match'], etag)) return reply.code(304).send();
    const size = file.size;
    const ifRange = req.headers['if-range'];
    const range =
      ifRange === undefined || ifRange === etag
        ? parseRange(req.headers.range, size)
        : { kind: 'none' as const };
    if (range.kind === 'unsatisfiable') {
      return reply
        .code(416)
        .header('content-range', `bytes */${size}`)
        .type('application/problem+json')
        .header('content-disposition', null as unknown as string)
        .send(
          JSON.stringify({
            type: 'https://montu.dev/problems/range_not_satisfiable',
            title: 'Range Not Satisfiable',
            status: 416,
            detail: `The requested range is outside the file (${size} bytes).`,
            code: 'range_not_satisfiable',
            instance: req.url,
            requestId: String(req.id),
          }),
        );
    }
    reply.type(type);
    if (req.method === 'HEAD') {
      reply.header('content-length', range.kind === 'range' ? range.end - range.start + 1 : size);
      if (range.kind === 'range')
        reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
      // Fastify would reset Content-Length for an empty HEAD body: answer on the raw response.
      reply.hijack();
      reply.raw.writeHead(reply.statusCode, reply.getHeaders() as Record<string, string>);
      reply.raw.end();
      return reply;
    }
    if (size === 0) return reply.header('content-length', 0).send('');
    const stream = await storage.get(
      file.key,
      range.kind === 'range' ? { start: range.start, end: range.end } : undefined,
    );
    const length = range.kind === 'range' ? range.end - range.start + 1 : size;
    metrics.downloadBytes.inc({ role: file.role }, length);
    reply.header('content-length', length);
    if (range.kind === 'range')
      reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`);
    return reply.send(stream);
  }

  app.get<{ Params: Static<typeof RenditionParams> }>(
    '/media/:mediaId/files/:rendition',
    {
      schema: {
        tags: ['files'],
        summary:
          "Download the original (attachment) or a rendition: thumbnail, proxy, web, audio, sprite (thumbnail sheet; its tile index is the file's info), waveform (audio peaks JSON, schema WaveformPeaks), float (MF16 half floats of EXR/DPX/16-bit stills, decision 147). Ranges, ETag.",
        params: RenditionParams,
        response: fileResponses,
      },
    },
    async (req, reply) => {
      const { media } = await loadMedia(ctx, req, req.params.mediaId, 'artist');
      const role = RENDITIONS[req.params.rendition]!;
      const file = media.files.find((f) => f.role === role && f.state === 'ready');
      const original = media.files.find((f) => f.role === 'original' && f.state === 'ready');
      if (
        !file &&
        role === 'web' &&
        original &&
        originalIsWebImage({ ...media.metadata, mediaType: media.mediaType })
      ) {
        // A browser-native still is its own web image (no `web` file is made for it): serve the
        // original inline. Safe because its type was sniffed against the image allow-list, and
        // nosniff + the sandbox CSP still apply.
        const ext = extensionFor(original.contentType);
        return send(req, reply, original, `${media.fileName.replace(/\.[^.]*$/, '')}.web${ext}`, true);
      }
      if (!file) {
        const pending = media.files.find((f) => f.role === role);
        throw new NotFound(
          pending
            ? `The ${req.params.rendition} of this media item is ${pending.state}.`
            : `This media item has no ${req.params.rendition}.`,
          { mediaId: media.id, rendition: req.params.rendition, state: pending?.state ?? null },
        );
      }
      const base = media.fileName.replace(/\.[^.]*$/, '');
      const ext = extensionFor(file.contentType);
      const name = role === 'original' ? media.fileName : `${base}.${req.params.rendition}${ext}`;
      return send(req, reply, file, name);
    },
  );

  app.get<{ Params: Static<typeof FrameParams> }>(
    '/media/:mediaId/files/frames/:frame',
    {
      schema: {
        tags: ['files'],
        summary: 'Download one frame of an image sequence (attachment). Ranges, ETag.',
        params: FrameParams,
        response: fileResponses,
      },
    },
    async (req, reply) => {
      const { media } = await loadMedia(ctx, req, req.params.mediaId, 'artist');
      const file = media.files.find(
        (f) => f.role === 'frame' && f.frame === req.params.frame && f.state === 'ready',
      );
      if (!file)
        throw new NotFound(`Frame ${req.params.frame} of this media item does not exist.`, {
          mediaId: media.id,
          frame: req.params.frame,
        });
      const name = file.key.split('/').pop() ?? `${media.fileName}.${req.params.frame}`;
      return send(req, reply, file, name);
    },
  );

  app.get<{ Params: Static<typeof FrameParams> }>(
    '/media/:mediaId/files/frames/:frame/float',
    {
      schema: {
        tags: ['files'],
        summary:
          "One frame of a float image sequence (EXR, DPX over 8 bits) as MF16 half floats, like a still's `float` rendition (decision 217): made from that frame's file on the first request, then kept. 400 for a frame outside the sequence, 404 for an item that is not a sequence or whose frames are 8-bit. Ranges, ETag.",
        params: FrameParams,
        response: frameFloatResponses,
      },
    },
    async (req, reply) => {
      const { media } = await loadMedia(ctx, req, req.params.mediaId, 'artist');
      const file = await montu.frameFloats.get(media, req.params.frame);
      const base = media.fileName.replace(/\.[^.]*$/, '').replace(/[#@%].*$/, '');
      return send(req, reply, file, `${base || 'frame'}.${req.params.frame}.float.mf16`);
    },
  );
}

function extensionFor(type: string): string {
  const map: Record<string, string> = {
    'image/jpeg': '.jpg',
    'image/png': '.png',
    'image/webp': '.webp',
    'video/mp4': '.mp4',
    'audio/mpeg': '.mp3',
    'audio/mp4': '.m4a',
    'audio/aac': '.aac',
    'audio/ogg': '.ogg',
  };
  return map[type] ?? '';
}

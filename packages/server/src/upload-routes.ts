import type { FastifyRequest } from 'fastify';

/**
 * Requests that carry upload bytes, by method and route (with the /api/v1 prefix): multipart
 * uploads, tus creation and PATCH, sequence frames, note attachments. One list, so every kind
 * shares one cap.
 */
const UPLOAD_ROUTES = new Set([
  'POST /api/v1/media',
  'POST /api/v1/media/:mediaId/versions',
  'POST /api/v1/uploads',
  'PATCH /api/v1/uploads/:uploadId',
  'PUT /api/v1/uploads/sequences/:uploadId/frames/:frame',
  'POST /api/v1/notes/:noteId/attachments',
]);

export function isUploadRequest(req: FastifyRequest): boolean {
  return UPLOAD_ROUTES.has(`${req.method} ${req.routeOptions.url ?? ''}`);
}

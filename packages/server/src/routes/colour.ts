/**
 * The colour-managed viewer's server side (issue 22 item 2, decision 148): the displays/views a
 * viewer may pick, and each one baked into a 3D LUT for WebGL2. Schemas: @montu/domain/wire (colour.ts).
 */
import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { FLOAT_IMAGE_CONTENT_TYPE } from '@montu/core';
import type { AppContext } from '../app-context.js';
import { requireRole } from '../auth.js';
import { Binary, ColourViews, errors, LutQuery, ProjectParams } from '@montu/domain/wire';

export async function colourRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu } = ctx;

  app.get<{ Params: { projectId: string } }>(
    '/projects/:projectId/colour/views',
    {
      schema: {
        tags: ['colour'],
        summary: 'Displays and views (OCIO config or built-in) a viewer may pick, and the one thumbnails use',
        params: ProjectParams,
        response: { 200: ColourViews, ...errors(403, 404) },
      },
    },
    async (req) => {
      requireRole(req, req.params.projectId, 'artist');
      return montu.colour.views();
    },
  );

  app.get<{ Params: { projectId: string }; Querystring: Static<typeof LutQuery> }>(
    '/projects/:projectId/colour/luts',
    {
      schema: {
        tags: ['colour'],
        summary: `A display/view baked into a 65³ 3D LUT (${FLOAT_IMAGE_CONTENT_TYPE}: MF16 half floats with a JSON header and a shaper for scene-linear input, decision 148); unset display/view: the thumbnails' own`,
        params: ProjectParams,
        querystring: LutQuery,
        response: {
          200: Binary,
          304: Type.Null(),
          ...errors(400, 403, 404),
        },
      },
    },
    async (req, reply) => {
      requireRole(req, req.params.projectId, 'artist');
      const { data } = await montu.colour.lut({
        ...(req.query.display !== undefined ? { display: req.query.display } : {}),
        ...(req.query.view !== undefined ? { view: req.query.view } : {}),
      });
      const etag = `"${crypto.createHash('sha256').update(data).digest('hex')}"`;
      reply
        .header('etag', etag)
        .header('cache-control', 'private, no-cache')
        .header('x-content-type-options', 'nosniff')
        .type(FLOAT_IMAGE_CONTENT_TYPE);
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(data);
    },
  );
}

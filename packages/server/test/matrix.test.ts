/**
 * The authorisation matrix (every endpoint × artist/supervisor/project admin × own/other
 * project → expected status; review notes, playlists and webhooks included), the OpenAPI 3.1
 * document's validity, and a check that every operation in the document was exercised (read
 * back from the server's own request metrics), with no exceptions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import {
  call,
  CORPUS,
  DATABASES,
  seedWorld,
  startTestServer,
  tusMetadata,
  uploadForm,
  type TestServer,
  type World,
} from './helpers.js';

const FILE = path.join(CORPUS, 'media/image/ExifTool.jpg');
const SEQ_FRAME = path.join(CORPUS, 'media/image/basi2c08.png');
type Who = 'artist' | 'supervisor' | 'padmin';
const WHO: Who[] = ['artist', 'supervisor', 'padmin'];

interface Fixture {
  mediaId: string;
  projectId: string;
  taskId: string;
  otherUserId: string;
  selfId: string;
  tokenId: string;
  sequenceUploadId: string;
  jobId: string;
  /** A note on the item, written by the caller (with `needs: note`). */
  noteId: string;
  /** An image attached to that note (with `needs: note`). */
  attachmentId: string;
  /** A note on the item by someone else (with `needs: note`). */
  othersNoteId: string;
  /** A playlist of the project holding the item, made by someone else (with `needs: playlist`). */
  playlistId: string;
  /** The same, made by the caller (with `needs: playlist`). */
  ownPlaylistId: string;
  /** A webhook (with `needs: webhook`). */
  webhookId: string;
  /** A live review session on the item, owned and driven by someone else (with `needs: session`). */
  sessionId: string;
  /** The same, owned and driven by the caller (with `needs: session`). */
  ownSessionId: string;
  /** The caller's username. */
  selfName: string;
}

interface Case {
  name: string;
  /** Make the request; `f` holds fresh resources in the target project. */
  run(t: TestServer, token: string, f: Fixture): Promise<Response>;
  /** Expected status for [artist, supervisor, padmin] on their own project, and on the other project. */
  own: [number, number, number];
  other: number | [number, number, number];
  /** Media status to put the fresh item in first. */
  status?: 'pending_review';
  /** Send the sequence's frames before the request. */
  frames?: boolean;
  /** Resources to make first (they cost a few queries each, so only where used). */
  needs?: Array<'note' | 'playlist' | 'webhook' | 'session'>;
}

const json = (method: string, body?: unknown) => ({ method, ...(body !== undefined ? { json: body } : {}) });

const CASES: Case[] = [
  {
    name: 'GET /media',
    run: (t, k, f) => call(`${t.api}/media?projectId=${f.projectId}`, k),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'POST /media',
    run: (t, k, f) =>
      uploadForm(
        t.api,
        k,
        { projectId: f.projectId, taskId: f.taskId },
        { name: 'x.jpg', data: fs.readFileSync(FILE) },
      ),
    own: [201, 201, 201],
    other: 404,
  },
  {
    name: 'GET /media/:id',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'PATCH /media/:id',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}`, k, json('PATCH', { description: 'd' })),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'PATCH /media/:id approve',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}`, k, json('PATCH', { approvalStatus: 'approved' })),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'PATCH /media/:id/metadata',
    run: (t, k, f) =>
      call(`${t.api}/media/${f.mediaId}/metadata`, k, json('PATCH', { customProperties: { a: 1 } })),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /media/:id/versions',
    run: (t, k, f) =>
      uploadForm(
        t.api,
        k,
        {},
        { name: 'v.jpg', data: fs.readFileSync(FILE) },
        `/media/${f.mediaId}/versions`,
      ),
    own: [201, 201, 201],
    other: 404,
  },
  {
    name: 'POST /media/:id/archive',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/archive`, k, json('POST')),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'POST /media/:id/restore',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/restore`, k, json('POST')),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'DELETE /media/:id',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}`, k, json('DELETE')),
    own: [403, 403, 204],
    other: 404,
  },
  {
    name: 'POST /media/:id/thumbnail',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/thumbnail`, k, json('POST', { timestamp: 1 })),
    own: [202, 202, 202],
    other: 404,
  },
  {
    name: 'GET /media/:id/history',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/history`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /media/:id/submit',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/submit`, k, json('POST', { comment: 'c' })),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /media/:id/submit naming someone else',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/submit`, k, json('POST', { by: 'John Doe' })),
    // Only instance admins and pipeline tokens act for others (docs/auth.md).
    own: [403, 403, 403],
    other: 404,
  },
  {
    name: 'POST /media/:id/approve',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/approve`, k, json('POST')),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'POST /media/:id/reject',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/reject`, k, json('POST')),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'POST /media/:id/request-changes',
    status: 'pending_review',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/request-changes`, k, json('POST')),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'POST /media/:id/hold',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/hold`, k, json('POST')),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'POST /media/:id/reopen',
    status: 'pending_review',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/reopen`, k, json('POST')),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'POST /media/:id/status',
    run: (t, k, f) =>
      call(`${t.api}/media/${f.mediaId}/status`, k, json('POST', { status: 'pending_review' })),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /media/:id/annotations',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/annotations`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /media/:id/annotations',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/annotations`, k, json('POST', { content: 'n' })),
    own: [201, 201, 201],
    other: 404,
  },
  {
    name: 'GET /media/:id/files/original',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/files/original`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /media/:id/files/frames/:frame',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/files/frames/1`, k),
    own: [404, 404, 404],
    other: 404,
  },
  {
    // The fixture item is not a sequence: a member's answer is 404, as for an unknown item.
    name: 'GET /media/:id/files/frames/:frame/float',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/files/frames/1/float`, k),
    own: [404, 404, 404],
    other: 404,
  },
  {
    name: 'GET /projects',
    run: (t, k) => call(`${t.api}/projects`, k),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'POST /projects',
    run: (t, k) => call(`${t.api}/projects`, k, json('POST', { id: 'NEWP' })),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'GET /projects/:id',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'PATCH /projects/:id',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}`, k, json('PATCH', { name: 'n' })),
    own: [403, 403, 200],
    other: 404,
  },
  {
    name: 'GET /projects/:id/tasks',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}/tasks`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /projects/:id/statistics',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}/statistics`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /projects/:id/colour/views',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}/colour/views`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /projects/:id/colour/luts',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}/colour/luts`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /statistics',
    run: (t, k) => call(`${t.api}/statistics`, k),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'GET /projects/:id/review',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}/review`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /projects/:id/cleanup',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}/cleanup`, k, json('POST', { daysOld: 30 })),
    own: [403, 403, 200],
    other: 404,
  },
  {
    name: 'GET /projects/:id/members',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}/members`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'PUT /projects/:id/members/:user',
    run: (t, k, f) =>
      call(`${t.api}/projects/${f.projectId}/members/${f.otherUserId}`, k, json('PUT', { role: 'artist' })),
    own: [403, 403, 200],
    other: 404,
  },
  {
    name: 'DELETE /projects/:id/members/:user',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}/members/${f.otherUserId}`, k, json('DELETE')),
    own: [403, 403, 204],
    other: 404,
  },
  {
    name: 'GET /tasks/:task/versions',
    run: (t, k, f) => call(`${t.api}/tasks/${f.taskId}/versions?projectId=${f.projectId}`, k),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'GET /tasks/:task/media?version',
    run: (t, k, f) => call(`${t.api}/tasks/${f.taskId}/media?projectId=${f.projectId}&version=1`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /tasks/:task',
    run: (t, k, f) => call(`${t.api}/tasks/${f.taskId}`, k),
    own: [200, 200, 200],
    // Lists what the caller can see: another project's task is simply not in it.
    other: [200, 200, 200],
  },
  {
    name: 'GET /users',
    run: (t, k) => call(`${t.api}/users`, k),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'POST /users',
    run: (t, k) => call(`${t.api}/users`, k, json('POST', { username: 'zed' })),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'GET /users/:self',
    run: (t, k, f) => call(`${t.api}/users/${f.selfId}`, k),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'GET /users/:other',
    run: (t, k, f) => call(`${t.api}/users/${f.otherUserId}`, k),
    own: [404, 404, 404],
    other: 404,
  },
  {
    name: 'PATCH /users/:self',
    run: (t, k, f) => call(`${t.api}/users/${f.selfId}`, k, json('PATCH', { displayName: 'Me' })),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'DELETE /users/:other',
    run: (t, k, f) => call(`${t.api}/users/${f.otherUserId}`, k, json('DELETE')),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'GET /tokens',
    run: (t, k) => call(`${t.api}/tokens`, k),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'POST /tokens',
    run: (t, k) => call(`${t.api}/tokens`, k, json('POST', { name: 'x' })),
    own: [201, 201, 201],
    other: [201, 201, 201],
  },
  {
    name: 'POST /tokens (a pipeline token)',
    run: (t, k) => call(`${t.api}/tokens`, k, json('POST', { name: 'x', actForOthers: true })),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'POST /users/:self/tokens',
    run: (t, k, f) => call(`${t.api}/users/${f.selfId}/tokens`, k, json('POST', { name: 'x' })),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'DELETE /tokens/:own',
    run: (t, k, f) => call(`${t.api}/tokens/${f.tokenId}`, k, json('DELETE')),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'GET /auth/session',
    run: (t, k) => call(`${t.api}/auth/session`, k),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'GET /auth/me',
    run: (t, k) => call(`${t.api}/auth/me`, k),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'POST /auth/logout',
    run: (t, k) => call(`${t.api}/auth/logout`, k, json('POST')),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'POST /admin/cleanup-orphans',
    run: (t, k) => call(`${t.api}/admin/cleanup-orphans`, k, json('POST', { dryRun: true })),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'GET /jobs',
    run: (t, k, f) => call(`${t.api}/jobs?mediaId=${f.mediaId}`, k),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'GET /jobs/:jobId',
    run: (t, k, f) => call(`${t.api}/jobs/${f.jobId}`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /jobs/retry',
    run: (t, k, f) => call(`${t.api}/jobs/retry`, k, json('POST', { mediaId: f.mediaId })),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'GET /metrics',
    run: (t, k) => call(`${t.url}/metrics`, k),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'POST /uploads (tus)',
    run: (t, k, f) =>
      fetch(`${t.api}/uploads`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${k}`,
          'tus-resumable': '1.0.0',
          'upload-length': '10',
          'upload-metadata': tusMetadata({ filename: 'a.jpg', projectId: f.projectId, taskId: f.taskId }),
        },
      }),
    own: [201, 201, 201],
    other: 404,
  },
  {
    name: 'POST /uploads/sequences',
    run: (t, k, f) =>
      call(
        `${t.api}/uploads/sequences`,
        k,
        json('POST', {
          projectId: f.projectId,
          taskId: `${f.taskId}x`,
          frames: [{ frame: 1, fileName: 'a.0001.png' }],
        }),
      ),
    own: [201, 201, 201],
    other: 404,
  },
  {
    name: 'GET /uploads/sequences/:id',
    run: (t, k, f) => call(`${t.api}/uploads/sequences/${f.sequenceUploadId}`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'PUT /uploads/sequences/:id/frames/:frame',
    run: (t, k, f) =>
      call(`${t.api}/uploads/sequences/${f.sequenceUploadId}/frames/1`, k, {
        method: 'PUT',
        headers: { 'content-type': 'image/png' },
        body: fs.readFileSync(SEQ_FRAME),
      }),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /uploads/sequences/:id/complete',
    frames: true,
    run: (t, k, f) => call(`${t.api}/uploads/sequences/${f.sequenceUploadId}/complete`, k, json('POST')),
    own: [201, 201, 201],
    other: 404,
  },
  {
    name: 'DELETE /uploads/sequences/:id',
    run: (t, k, f) => call(`${t.api}/uploads/sequences/${f.sequenceUploadId}`, k, json('DELETE')),
    own: [204, 204, 204],
    other: 404,
  },
  // Direct-to-S3 uploads. This server stores on local disk, where they are not offered: starting
  // one is 501 for a member and 404 outside the project; an upload nobody started (or someone else
  // started: packages/client/test/direct-upload.test.ts, on s3rver) is 404 for everyone.
  {
    name: 'GET /uploads/direct',
    run: (t, k) => call(`${t.api}/uploads/direct`, k),
    own: [200, 200, 200],
    other: [200, 200, 200],
  },
  {
    name: 'POST /uploads/direct',
    run: (t, k, f) =>
      call(
        `${t.api}/uploads/direct`,
        k,
        json('POST', { fileName: 'a.exr', size: 10, projectId: f.projectId, taskId: f.taskId }),
      ),
    own: [501, 501, 501],
    other: 404,
  },
  ...(
    [
      ['GET', '', undefined],
      ['DELETE', '', undefined],
      ['POST', '/urls', { parts: [1] }],
      ['PUT', '/parts/1', { etag: '"e"' }],
      ['POST', '/complete', {}],
    ] as const
  ).map(([method, tail, body]): Case => ({
    name: `${method} /uploads/direct/:uploadId${tail.replace('/1', '/:partNumber')}`,
    run: (t, k) => call(`${t.api}/uploads/direct/${'0'.repeat(32)}${tail}`, k, json(method, body)),
    own: [404, 404, 404],
    other: 404,
  })),
  // Review: notes (their author edits and deletes them), review selection, workflow, compare.
  {
    name: 'GET /media/:id/notes',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/notes`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /media/:id/notes',
    run: (t, k, f) =>
      call(`${t.api}/media/${f.mediaId}/notes`, k, json('POST', { content: 'pop', frame: 1 })),
    own: [201, 201, 201],
    other: 404,
  },
  {
    name: 'GET /notes/:id',
    needs: ['note'],
    run: (t, k, f) => call(`${t.api}/notes/${f.noteId}`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'PATCH /notes/:id (own note)',
    needs: ['note'],
    run: (t, k, f) => call(`${t.api}/notes/${f.noteId}`, k, json('PATCH', { content: 'edited' })),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: "PATCH /notes/:id (someone else's note)",
    needs: ['note'],
    run: (t, k, f) => call(`${t.api}/notes/${f.othersNoteId}`, k, json('PATCH', { content: 'edited' })),
    own: [403, 403, 403],
    other: 404,
  },
  {
    name: "DELETE /notes/:id (someone else's note)",
    needs: ['note'],
    run: (t, k, f) => call(`${t.api}/notes/${f.othersNoteId}`, k, json('DELETE')),
    own: [403, 403, 403],
    other: 404,
  },
  {
    name: "POST /notes/:id/attachments (someone else's note)",
    needs: ['note'],
    run: (t, k, f) =>
      uploadForm(
        t.api,
        k,
        {},
        { name: 'ref.png', data: fs.readFileSync(SEQ_FRAME) },
        `/notes/${f.othersNoteId}/attachments`,
      ),
    own: [403, 403, 403],
    other: 404,
  },
  {
    name: 'DELETE /notes/:id (own note)',
    needs: ['note'],
    run: (t, k, f) => call(`${t.api}/notes/${f.noteId}`, k, json('DELETE')),
    own: [204, 204, 204],
    other: 404,
  },
  {
    name: "POST /notes/:id/strokes (adding strokes to anyone's note)",
    needs: ['note'],
    run: (t, k, f) =>
      call(
        `${t.api}/notes/${f.othersNoteId}/strokes`,
        k,
        json('POST', {
          add: [{ type: 'line', color: '#ff0000', width: 0.01, from: { x: 0, y: 0 }, to: { x: 1, y: 1 } }],
        }),
      ),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /media/:id/notes-package.zip',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/notes-package.zip`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /notes/:id/resolve',
    needs: ['note'],
    run: (t, k, f) => call(`${t.api}/notes/${f.noteId}/resolve`, k, json('POST', { resolved: true })),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /notes/:id/attachments (own note)',
    needs: ['note'],
    run: (t, k, f) =>
      uploadForm(
        t.api,
        k,
        {},
        { name: 'ref.png', data: fs.readFileSync(SEQ_FRAME) },
        `/notes/${f.noteId}/attachments`,
      ),
    own: [201, 201, 201],
    other: 404,
  },
  {
    name: 'GET /notes/:id/attachments/:fileId',
    needs: ['note'],
    run: (t, k, f) => call(`${t.api}/notes/${f.noteId}/attachments/${f.attachmentId}`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /media/:id/status-options',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/status-options`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'PUT /media/:id/review-selected',
    run: (t, k, f) => call(`${t.api}/media/${f.mediaId}/review-selected`, k, json('PUT', { selected: true })),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /projects/:id/workflow',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}/workflow`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'PUT /projects/:id/workflow',
    run: async (t, k, f) =>
      call(
        `${t.api}/projects/${f.projectId}/workflow`,
        k,
        json('PUT', await (await call(`${t.api}/projects/SWA/workflow`, t.adminToken)).json()),
      ),
    own: [403, 403, 200],
    other: 404,
  },
  {
    name: 'GET /tasks/:taskId/compare',
    run: (t, k, f) => call(`${t.api}/tasks/${f.taskId}/compare?a=v001&b=v001&projectId=${f.projectId}`, k),
    own: [200, 200, 200],
    other: 404,
  },
  // Playlists: any member of the project sees, creates, adds to and notes on them; their owner,
  // supervisors and admins rename, reorder, remove items from and delete them.
  {
    name: 'GET /projects/:id/playlists',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}/playlists`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /projects/:id/playlists',
    run: (t, k, f) =>
      call(
        `${t.api}/projects/${f.projectId}/playlists`,
        k,
        json('POST', { name: 'Dailies', mediaIds: [f.mediaId] }),
      ),
    own: [201, 201, 201],
    other: 404,
  },
  {
    name: 'GET /playlists/:id',
    needs: ['playlist'],
    run: (t, k, f) => call(`${t.api}/playlists/${f.playlistId}`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: "PATCH /playlists/:id (someone else's playlist)",
    needs: ['playlist'],
    run: (t, k, f) => call(`${t.api}/playlists/${f.playlistId}`, k, json('PATCH', { name: 'Renamed' })),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'PATCH /playlists/:id (own playlist)',
    needs: ['playlist'],
    run: (t, k, f) => call(`${t.api}/playlists/${f.ownPlaylistId}`, k, json('PATCH', { name: 'Renamed' })),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: "DELETE /playlists/:id (someone else's playlist)",
    needs: ['playlist'],
    run: (t, k, f) => call(`${t.api}/playlists/${f.playlistId}`, k, json('DELETE')),
    own: [403, 204, 204],
    other: 404,
  },
  {
    name: 'DELETE /playlists/:id (own playlist)',
    needs: ['playlist'],
    run: (t, k, f) => call(`${t.api}/playlists/${f.ownPlaylistId}`, k, json('DELETE')),
    own: [204, 204, 204],
    other: 404,
  },
  {
    name: 'POST /playlists/:id/items',
    needs: ['playlist'],
    run: (t, k, f) =>
      call(`${t.api}/playlists/${f.playlistId}/items`, k, json('POST', { mediaIds: [f.mediaId] })),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: "PUT /playlists/:id/items (someone else's playlist)",
    needs: ['playlist'],
    run: (t, k, f) =>
      call(`${t.api}/playlists/${f.playlistId}/items`, k, json('PUT', { mediaIds: [f.mediaId] })),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'PUT /playlists/:id/items (own playlist)',
    needs: ['playlist'],
    run: (t, k, f) =>
      call(`${t.api}/playlists/${f.ownPlaylistId}/items`, k, json('PUT', { mediaIds: [f.mediaId] })),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: "DELETE /playlists/:id/items/:mediaId (someone else's playlist)",
    needs: ['playlist'],
    run: (t, k, f) => call(`${t.api}/playlists/${f.playlistId}/items/${f.mediaId}`, k, json('DELETE')),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'DELETE /playlists/:id/items/:mediaId (own playlist)',
    needs: ['playlist'],
    run: (t, k, f) => call(`${t.api}/playlists/${f.ownPlaylistId}/items/${f.mediaId}`, k, json('DELETE')),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /playlists/:id/items/:mediaId/notes',
    needs: ['playlist'],
    run: (t, k, f) =>
      call(
        `${t.api}/playlists/${f.playlistId}/items/${f.mediaId}/notes`,
        k,
        json('POST', { content: 'in dailies' }),
      ),
    own: [201, 201, 201],
    other: 404,
  },
  {
    name: 'GET /playlists/:id/export.csv',
    needs: ['playlist'],
    run: (t, k, f) => call(`${t.api}/playlists/${f.playlistId}/export.csv`, k),
    own: [200, 200, 200],
    other: 404,
  },
  // Webhooks: instance administrators only (none of the matrix's users is one).
  {
    name: 'GET /webhooks',
    run: (t, k) => call(`${t.api}/webhooks`, k),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'POST /webhooks',
    run: (t, k) => call(`${t.api}/webhooks`, k, json('POST', { url: 'http://192.0.2.1:9/hook' })),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'PATCH /webhooks/:id',
    needs: ['webhook'],
    run: (t, k, f) => call(`${t.api}/webhooks/${f.webhookId}`, k, json('PATCH', { active: false })),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'DELETE /webhooks/:id',
    needs: ['webhook'],
    run: (t, k, f) => call(`${t.api}/webhooks/${f.webhookId}`, k, json('DELETE')),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'GET /webhooks/:id/deliveries',
    needs: ['webhook'],
    run: (t, k, f) => call(`${t.api}/webhooks/${f.webhookId}/deliveries`, k),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'POST /webhook-deliveries/:id/redeliver',
    run: (t, k) => call(`${t.api}/webhook-deliveries/none/redeliver`, k, json('POST')),
    own: [403, 403, 403],
    other: [403, 403, 403],
  },
  {
    name: 'POST /review-sessions',
    run: (t, k, f) => call(`${t.api}/review-sessions`, k, json('POST', { mediaId: f.mediaId })),
    own: [201, 201, 201],
    other: 404,
  },
  {
    name: 'GET /projects/:id/review-sessions',
    run: (t, k, f) => call(`${t.api}/projects/${f.projectId}/review-sessions`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /review-sessions/:id',
    needs: ['session'],
    run: (t, k, f) => call(`${t.api}/review-sessions/${f.sessionId}`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /review-sessions/:id/join',
    needs: ['session'],
    run: (t, k, f) => call(`${t.api}/review-sessions/${f.sessionId}/join`, k, json('POST')),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /review-sessions/:id/heartbeat',
    needs: ['session'],
    run: (t, k, f) => call(`${t.api}/review-sessions/${f.sessionId}/heartbeat`, k, json('POST')),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /review-sessions/:id/leave',
    needs: ['session'],
    run: (t, k, f) => call(`${t.api}/review-sessions/${f.sessionId}/leave`, k, json('POST')),
    own: [204, 204, 204],
    other: 404,
  },
  {
    name: 'PATCH /review-sessions/:id/state (someone else drives: any role follows)',
    needs: ['session'],
    run: (t, k, f) => call(`${t.api}/review-sessions/${f.sessionId}/state`, k, json('PATCH', { frame: 3 })),
    own: [403, 403, 403],
    other: 404,
  },
  {
    name: 'PATCH /review-sessions/:id/state (the caller drives)',
    needs: ['session'],
    run: (t, k, f) =>
      call(`${t.api}/review-sessions/${f.ownSessionId}/state`, k, json('PATCH', { frame: 3 })),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: "POST /review-sessions/:id/control (someone else's session)",
    needs: ['session'],
    run: (t, k, f) =>
      call(`${t.api}/review-sessions/${f.sessionId}/control`, k, json('POST', { to: 'seed' })),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'POST /review-sessions/:id/control (own session, to its driver)',
    needs: ['session'],
    run: (t, k, f) =>
      call(`${t.api}/review-sessions/${f.ownSessionId}/control`, k, json('POST', { to: f.selfName })),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'POST /review-sessions/:id/notes',
    needs: ['session'],
    run: (t, k, f) =>
      call(`${t.api}/review-sessions/${f.sessionId}/notes`, k, json('POST', { content: 'n' })),
    own: [201, 201, 201],
    other: 404,
  },
  {
    name: 'GET /review-sessions/:id/updates',
    needs: ['session'],
    run: (t, k, f) => call(`${t.api}/review-sessions/${f.sessionId}/updates?after=0`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: "POST /review-sessions/:id/end (someone else's session)",
    needs: ['session'],
    run: (t, k, f) => call(`${t.api}/review-sessions/${f.sessionId}/end`, k, json('POST')),
    own: [403, 200, 200],
    other: 404,
  },
  {
    name: 'POST /review-sessions/:id/end (own session)',
    needs: ['session'],
    run: (t, k, f) => call(`${t.api}/review-sessions/${f.ownSessionId}/end`, k, json('POST')),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /review-sessions/:id/summary',
    needs: ['session'],
    run: (t, k, f) => call(`${t.api}/review-sessions/${f.sessionId}/summary`, k),
    own: [200, 200, 200],
    other: 404,
  },
  {
    name: 'GET /review-sessions/:id/events (ended, every event seen: 204)',
    needs: ['session'],
    run: async (t, k, f) => {
      const ended = await t.montu.reviewSessions.endSession(f.ownSessionId, f.selfName);
      return call(`${t.api}/review-sessions/${f.ownSessionId}/events?after=${ended.session.seq}`, k);
    },
    own: [204, 204, 204],
    other: 404,
  },
];
describe.each(DATABASES)('authorisation matrix and OpenAPI on %s', (kind) => {
  let t: TestServer;
  let w: World;
  let n = 0;
  beforeAll(async () => {
    t = await startTestServer(kind);
    w = await seedWorld(t);
  });
  afterAll(async () => t?.close());

  async function fixture(who: Who, project: 'SWA' | 'OTH', c: Case): Promise<Fixture> {
    const taskId = `ep01_sq010_sh${String(++n).padStart(3, '0')}_anim`;
    const mediaId = await t.montu.media.uploadMedia({
      filePath: FILE,
      projectId: project,
      taskId,
      author: 'seed',
    });
    if (c.status) await t.montu.review.changeStatus(mediaId, c.status, { actor: 'seed' });
    const other = await t.montu.users.createUser({ username: `other${n}` });
    await t.montu.users.setMembership(project, other.id, 'artist');
    const tok = await t.montu.users.createToken(w.users[who].id, { name: `m${n}` });
    const seq = await t.montu.sequences.startSequenceUpload({
      projectId: project,
      taskId: `${taskId}_seq`,
      author: 'seed',
      frames: [{ frame: 1, fileName: 'a.0001.png' }],
    });
    if (c.frames) await t.montu.sequences.putSequenceFrame(seq.uploadId, 1, fs.createReadStream(SEQ_FRAME));
    let noteId = 'none';
    let attachmentId = 'none';
    let othersNoteId = 'none';
    if (c.needs?.includes('note')) {
      othersNoteId = (await t.montu.notes.addNote(mediaId, { content: 'mine', author: 'seed' })).id;
      noteId = (await t.montu.notes.addNote(mediaId, { content: 'fix', author: who })).id;
      attachmentId = (
        await t.montu.notes.addAttachment(noteId, {
          actor: who,
          fileName: 'ref.png',
          data: fs.readFileSync(SEQ_FRAME),
        })
      ).fileId;
    }
    const playlistBy = async (owner: string) =>
      c.needs?.includes('playlist')
        ? (
            await t.montu.playlists.createPlaylist({
              projectId: project,
              name: 'Dailies',
              owner,
              mediaIds: [mediaId],
            })
          ).id
        : 'none';
    const playlistId = await playlistBy('seed');
    const ownPlaylistId = await playlistBy(who);
    const webhookId = c.needs?.includes('webhook')
      ? (await t.montu.webhooks.createWebhook({ url: 'http://192.0.2.1:9/hook', createdBy: 'seed' })).id
      : 'none';
    const sessionBy = async (owner: string) =>
      c.needs?.includes('session')
        ? (await t.montu.reviewSessions.startSession({ actor: owner, mediaId })).id
        : 'none';
    const sessionId = await sessionBy('seed');
    const ownSessionId = await sessionBy(who);
    return {
      sessionId,
      ownSessionId,
      selfName: who,
      noteId,
      othersNoteId,
      attachmentId,
      playlistId,
      ownPlaylistId,
      webhookId,
      mediaId,
      projectId: project,
      taskId,
      otherUserId: other.id,
      selfId: w.users[who].id,
      tokenId: tok.info.id,
      sequenceUploadId: seq.uploadId,
      jobId: (await t.montu.jobs!.list({ mediaId }))[0]?.id ?? 'none',
    };
  }

  for (const c of CASES) {
    it(c.name, async () => {
      const got: string[] = [];
      const want: string[] = [];
      for (const [i, who] of WHO.entries()) {
        for (const project of ['SWA', 'OTH'] as const) {
          const f = await fixture(who, project, c);
          const r = await c.run(t, w.users[who].token, f);
          await r.arrayBuffer();
          const expected = project === 'SWA' ? c.own[i]! : Array.isArray(c.other) ? c.other[i]! : c.other;
          got.push(`${who}/${project}=${r.status}`);
          want.push(`${who}/${project}=${expected}`);
        }
      }
      expect(got).toEqual(want);
    });
  }

  it('serves a valid OpenAPI 3.1 document, and every operation in it was exercised', async () => {
    // Operations the matrix does not reach.
    await call(`${t.url}/healthz`, null);
    await call(`${t.url}/readyz`, null);
    await call(`${t.url}/metrics`, t.adminToken);
    await call(`${t.api}/auth/login`, null, json('POST', { username: 'admin', password: t.adminPassword }));
    const ac = new AbortController();
    const sse = await fetch(`${t.api}/events`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
      signal: ac.signal,
    });
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    const reader = sse.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain(': connected');
    const mediaId = await t.montu.media.uploadMedia({
      filePath: FILE,
      projectId: 'SWA',
      taskId: 'ep02_sq010_sh010_anim',
      author: 'seed',
    });
    let ev = '';
    while (!ev.includes('event: media.created')) ev += new TextDecoder().decode((await reader.read()).value);
    expect(ev).toContain(mediaId);
    ac.abort();
    for (const r of ['thumbnail', 'proxy', 'web', 'audio', 'sprite'])
      await call(`${t.api}/media/${mediaId}/files/${r}`, w.users.artist.token);
    await call(`${t.api}/tasks/ep02_sq010_sh010_anim/media?projectId=SWA`, w.users.artist.token);
    const c = await fetch(`${t.api}/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${w.users.artist.token}`,
        'tus-resumable': '1.0.0',
        'upload-length': '4',
        'upload-metadata': tusMetadata({
          filename: 'a.jpg',
          projectId: 'SWA',
          taskId: 'ep02_sq010_sh020_anim',
        }),
      },
    });
    const loc = new URL(c.headers.get('location')!, t.url);
    const tusH = { authorization: `Bearer ${w.users.artist.token}`, 'tus-resumable': '1.0.0' };
    await fetch(loc, { method: 'HEAD', headers: tusH });
    await fetch(loc, {
      method: 'PATCH',
      headers: { ...tusH, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: 'abcd',
    });
    await call(`${t.api}/uploads/${loc.pathname.split('/').pop()}/result`, w.users.artist.token);
    const c2 = await fetch(`${t.api}/uploads`, {
      method: 'POST',
      headers: {
        ...tusH,
        'upload-length': '4',
        'upload-metadata': tusMetadata({
          filename: 'a.jpg',
          projectId: 'SWA',
          taskId: 'ep02_sq010_sh020_anim',
        }),
      },
    });
    await fetch(new URL(c2.headers.get('location')!, t.url), { method: 'DELETE', headers: tusH });
    await fetch(`${t.api}/uploads`, { method: 'OPTIONS', headers: tusH });
    await fetch(loc, { method: 'OPTIONS', headers: tusH });

    const docRes = await fetch(`${t.api}/openapi.json`);
    expect(docRes.status).toBe(200);
    const doc = (await docRes.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as object);
    expect(result.errors ?? [], JSON.stringify(result.errors ?? []).slice(0, 2000)).toEqual([]);
    expect(result.valid).toBe(true);

    const metrics = await (await call(`${t.url}/metrics`, t.adminToken)).text();
    const seen = new Set<string>();
    for (const m of metrics.matchAll(
      /montu_http_request_duration_seconds_count\{method="(\w+)",route="([^"]+)"/g,
    ))
      seen.add(`${m[1]} ${m[2]}`);
    // The event stream is aborted by the client, so it never reaches the latency metric; it was read above.
    seen.add('GET /api/v1/events');
    const missing: string[] = [];
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        if (!['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(method)) continue;
        const route = p.replace(/\{(\w+)\}/g, ':$1');
        if (!seen.has(`${method.toUpperCase()} ${route}`)) missing.push(`${method.toUpperCase()} ${route}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

/**
 * Names for what the API takes, read from the generated OpenAPI types: the records are the
 * document's components (components.ts, generated); request bodies and queries are those of
 * their operation (operations.ts).
 */
import type { Answer, JsonBody, PathParams, QueryParams } from './operations.js';
import type { Media, StatusOptions } from './components.js';

export type * from './components.js';

export type MediaPage = Answer<'/api/v1/media', 'get'>;
/** The signed-in caller (`GET /auth/me`); the login answer also carries the CSRF token. */
export type Me = Answer<'/api/v1/auth/me', 'get'>;
export type LoginResult = Answer<'/api/v1/auth/login', 'post'>;
export type SequenceUpload = Answer<'/api/v1/uploads/sequences', 'post'>;
export type SearchQuery = QueryParams<'/api/v1/media', 'get'>;
export type ReviewAction = JsonBody<'/api/v1/media/{mediaId}/approve', 'post'>;
export type AddAnnotation = JsonBody<'/api/v1/media/{mediaId}/annotations', 'post'>;
export type AddNote = JsonBody<'/api/v1/media/{mediaId}/notes', 'post'>;
export type UpdateNote = JsonBody<'/api/v1/notes/{noteId}', 'patch'>;
export type UpdateMediaInfo = JsonBody<'/api/v1/media/{mediaId}', 'patch'>;
export type UpdateMediaMetadata = JsonBody<'/api/v1/media/{mediaId}/metadata', 'patch'>;
export type SequenceStart = JsonBody<'/api/v1/uploads/sequences', 'post'>;
/** A direct-to-S3 upload (decision 160) and how to start one. */
export type DirectUpload = Answer<'/api/v1/uploads/direct', 'post'>;
export type DirectUploadStart = JsonBody<'/api/v1/uploads/direct', 'post'>;
export type CreatePlaylist = JsonBody<'/api/v1/projects/{projectId}/playlists', 'post'>;
export type UpdatePlaylist = JsonBody<'/api/v1/playlists/{playlistId}', 'patch'>;
export type ApprovalStatus = Media['status'];
export type ProcessingState = Media['processingState'];
/** A status as requests may give it: a workflow status, or `pending` / `approved` / `rejected`. */
export type StatusInput = NonNullable<SearchQuery['status']>;
export type MediaType = Media['mediaType'];
export type Role = NonNullable<StatusOptions['role']>;
export type Rendition = PathParams<'/api/v1/media/{mediaId}/files/{rendition}', 'get'>['rendition'];
export type PlaylistExportFormat = PathParams<
  '/api/v1/playlists/{playlistId}/export.{format}',
  'get'
>['format'];

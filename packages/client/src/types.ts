/** Friendly names for the generated OpenAPI types (src/schema.ts). */
import type { paths } from './schema.js';

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;
/** The JSON body of a response of an operation. */
export type ResponseOf<
  P extends keyof paths,
  M extends keyof paths[P],
  S extends number = 200,
> = paths[P][M] extends {
  responses: infer R;
}
  ? S extends keyof R
    ? JsonOf<R[S]>
    : never
  : never;
/** The JSON request body of an operation. */
export type BodyOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
/** The query parameters of an operation. */
export type QueryOf<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  parameters: { query?: infer Q };
}
  ? NonNullable<Q>
  : never;

export type Media = ResponseOf<'/api/v1/media/{mediaId}', 'get'>;
export type MediaPage = ResponseOf<'/api/v1/media', 'get'>;
export type SearchQuery = QueryOf<'/api/v1/media', 'get'>;
export type Project = ResponseOf<'/api/v1/projects/{projectId}', 'get'>;
export type Task = ResponseOf<'/api/v1/projects/{projectId}/tasks', 'get'>[number];
export type OrphanCleanupReport = ResponseOf<'/api/v1/admin/cleanup-orphans', 'post'>;
export type CleanupOldMediaResult = ResponseOf<'/api/v1/projects/{projectId}/cleanup', 'post'>;
export type ReviewAction = NonNullable<BodyOf<'/api/v1/media/{mediaId}/approve', 'post'>>;
export type Statistics = ResponseOf<'/api/v1/projects/{projectId}/statistics', 'get'>;
export type Annotation = ResponseOf<'/api/v1/media/{mediaId}/annotations', 'post', 201>;
export type AddAnnotation = BodyOf<'/api/v1/media/{mediaId}/annotations', 'post'>;
export type UpdateMediaInfo = BodyOf<'/api/v1/media/{mediaId}', 'patch'>;
export type UpdateMediaMetadata = BodyOf<'/api/v1/media/{mediaId}/metadata', 'patch'>;
export type HistoryEntry = ResponseOf<'/api/v1/media/{mediaId}/history', 'get'>[number];
export type SequenceStart = BodyOf<'/api/v1/uploads/sequences', 'post'>;
export type ApprovalStatus = Media['status'];
/** A status as requests may give it: a workflow status, or `pending` / `approved` / `rejected`. */
export type StatusInput = NonNullable<SearchQuery['status']>;
export type MediaType = NonNullable<SearchQuery['mediaType']>;
export type Rendition = 'original' | 'thumbnail' | 'proxy' | 'web' | 'audio';
export type Playlist = ResponseOf<'/api/v1/playlists/{playlistId}', 'get'>;
export type PlaylistSummary = ResponseOf<'/api/v1/projects/{projectId}/playlists', 'get'>[number];
export type CreatePlaylist = BodyOf<'/api/v1/projects/{projectId}/playlists', 'post'>;
export type UpdatePlaylist = BodyOf<'/api/v1/playlists/{playlistId}', 'patch'>;
export type ReviewNote = ResponseOf<'/api/v1/playlists/{playlistId}/items/{mediaId}/notes', 'post', 201>;
export type PlaylistExportFormat = 'csv' | 'html' | 'pdf' | 'otio';

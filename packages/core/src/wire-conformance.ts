/**
 * Every record the core builds and the server answers with is its wire schema's shape (decision
 * 150): the same fields at every depth (nested objects, array elements, union members), each of
 * the same type (decision 200). The domain's own records are
 * `Static` of their schemas (domain/types.ts) or checked in domain/wire/conformance.ts; these are the core's, checked here at compile
 * time, so a field added on one side only fails `tsc` instead of being dropped from answers (a
 * closed schema drops what it does not declare) or never filled. Nothing here runs.
 */
import type { Static } from '@sinclair/typebox';
import type * as Wire from '@montu/domain/wire';
import type { Same } from '@montu/domain/wire';
import type { WireType as W } from '@montu/domain';
import type { MontuEvent } from './events.js';
import type { JobRecord, JobType } from './jobs/types.js';
import type { ColourViews } from './colour/lut.js';
import type { MediaStatistics } from './media/media-service.js';
import type { OrphanCleanupReport } from './maintenance/maintenance-service.js';
import type { CleanupOldMediaResult, StatusOptions } from './review/review-service.js';
import type { CompareResult } from './review/compare.js';
import type { ReviewNote } from './review/note-service.js';
import type { PlaylistSummary, PlaylistWithItems } from './review/playlist-service.js';
import type { ApiTokenInfo, Membership, User } from './users/user-service.js';
import type { Webhook, WebhookDelivery } from './webhooks/webhook-service.js';
import type {
  ReviewSessionEvent,
  ReviewSessionSnapshot,
  ReviewSessionSummary,
  SessionPresence,
} from './review-sessions/review-session-service.js';

export const coreRecordsAreTheWire: {
  LibraryEvent: Same<MontuEvent, W<'LibraryEvent'>>;
  Job: Same<JobRecord & { type: JobType }, W<'Job'>>;
  ColourViews: Same<ColourViews, W<'ColourViews'>>;
  Statistics: Same<MediaStatistics, W<'Statistics'>>;
  OrphanCleanupReport: Same<OrphanCleanupReport, W<'OrphanCleanupReport'>>;
  CleanupOldMediaResult: Same<CleanupOldMediaResult, W<'CleanupOldMediaResult'>>;
  StatusOptions: Same<StatusOptions, W<'StatusOptions'>>;
  CompareResult: Same<CompareResult, W<'CompareResult'>>;
  ReviewNote: Same<ReviewNote, W<'ReviewNote'>>;
  Annotation: Same<ReviewNote, W<'Annotation'>>;
  Playlist: Same<PlaylistWithItems, W<'Playlist'>>;
  PlaylistSummary: Same<PlaylistSummary, W<'PlaylistSummary'>>;
  User: Same<User, W<'User'>>;
  // Project members are listed with their username (listMembers); a user's memberships without.
  Membership: Same<Membership & { username?: string }, W<'Membership'>>;
  ApiToken: Same<ApiTokenInfo, W<'ApiToken'>>;
  Webhook: Same<Webhook, W<'Webhook'>>;
  WebhookDelivery: Same<WebhookDelivery, W<'WebhookDelivery'>>;
  ReviewSession: Same<ReviewSessionSnapshot, Static<typeof Wire.ReviewSessionRecord>>;
  SessionPresence: Same<SessionPresence, W<'SessionPresence'>>;
  ReviewSessionEvent: Same<ReviewSessionEvent, W<'ReviewSessionEvent'>>;
  // The server adds the links (joinPath, notesPackage, playlistExport): it knows its routes.
  ReviewSessionSummary: Same<
    ReviewSessionSummary['items'][number] & { notesPackage: string },
    Static<typeof Wire.ReviewSessionSummaryItem>
  >;
} = {
  LibraryEvent: true,
  Job: true,
  ColourViews: true,
  Statistics: true,
  OrphanCleanupReport: true,
  CleanupOldMediaResult: true,
  StatusOptions: true,
  CompareResult: true,
  ReviewNote: true,
  Annotation: true,
  Playlist: true,
  PlaylistSummary: true,
  User: true,
  Membership: true,
  ApiToken: true,
  Webhook: true,
  WebhookDelivery: true,
  ReviewSession: true,
  SessionPresence: true,
  ReviewSessionEvent: true,
  ReviewSessionSummary: true,
};

/**
 * Generated from openapi.json by `npm run generate -w @montu/client`: one type per component.
 * Do not edit: change the wire schemas (@montu/domain/wire) and regenerate.
 */
import type { components } from './schema.js';

export type Annotation = components['schemas']['Annotation'];
export type ApiToken = components['schemas']['ApiToken'];
export type CleanupOldMediaResult = components['schemas']['CleanupOldMediaResult'];
export type ColourViews = components['schemas']['ColourViews'];
export type CompareResult = components['schemas']['CompareResult'];
export type Drawing = components['schemas']['Drawing'];
export type HistoryEntry = components['schemas']['HistoryEntry'];
export type Job = components['schemas']['Job'];
export type LibraryEvent = components['schemas']['LibraryEvent'];
export type Media = components['schemas']['Media'];
export type MediaFile = components['schemas']['MediaFile'];
export type MediaMetadata = components['schemas']['MediaMetadata'];
export type MediaSummary = components['schemas']['MediaSummary'];
export type Membership = components['schemas']['Membership'];
export type NewWebhook = components['schemas']['NewWebhook'];
export type OrphanCleanupReport = components['schemas']['OrphanCleanupReport'];
export type Playlist = components['schemas']['Playlist'];
export type PlaylistSummary = components['schemas']['PlaylistSummary'];
export type Problem = components['schemas']['Problem'];
export type Project = components['schemas']['Project'];
export type ReviewNote = components['schemas']['ReviewNote'];
export type ReviewSession = components['schemas']['ReviewSession'];
export type ReviewSessionEvent = components['schemas']['ReviewSessionEvent'];
export type ReviewSessionState = components['schemas']['ReviewSessionState'];
export type ReviewSessionSummary = components['schemas']['ReviewSessionSummary'];
export type SessionPresence = components['schemas']['SessionPresence'];
export type Statistics = components['schemas']['Statistics'];
export type StatusOptions = components['schemas']['StatusOptions'];
export type Task = components['schemas']['Task'];
export type User = components['schemas']['User'];
export type WaveformPeaks = components['schemas']['WaveformPeaks'];
export type Webhook = components['schemas']['Webhook'];
export type WebhookDelivery = components['schemas']['WebhookDelivery'];
export type Workflow = components['schemas']['Workflow'];

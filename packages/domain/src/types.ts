/**
 * The domain's records: what the core builds from rows and the server answers with. Each is the
 * `Static` type of its wire schema (@montu/domain/wire, decision 150), so a field exists once:
 * add it to the schema and every surface, the core included, has it (and must fill it).
 * `Media.metadata` alone differs: an open map in the core (checked on every write by
 * checkMetadata), the probe's typed record on the wire.
 */
import type { Static } from '@sinclair/typebox';
import type * as Wire from './wire/components.js';
import type * as WireSchemas from './wire/index.js';

export * from './vocabulary.js';

export type ProjectSettings = Static<typeof Wire.ProjectSettings>;
export type Project = Static<typeof Wire.Project>;
export type Task = Static<typeof Wire.Task>;
/** How a rendition was made, recorded with its file (a sprite sheet: its tile index). */
export type RenditionInfo = Static<typeof Wire.RenditionInfo>;
export type MediaFile = Static<typeof Wire.MediaFile>;
export type Approval = Static<typeof Wire.Approval>;
/** The state of one processing step of a media item (its latest job of that kind). */
export type StepProcessing = Static<typeof Wire.StepProcessing>;
export type Media = Static<typeof Wire.Media>;
export type HistoryEntry = Static<typeof Wire.HistoryEntry>;

/**
 * The TypeScript type of a named wire schema: `WireType<'Job'>`, `WireType<'Statistics'>`,
 * `WireType<'SearchQuery'>`. For surfaces that share the API's records without loading TypeBox
 * (the CLI's two backends); the core's own records are checked against the same types
 * (core/src/wire-conformance.ts).
 */
export type WireType<K extends keyof typeof WireSchemas> = (typeof WireSchemas)[K] extends { static: infer S }
  ? S
  : never;

/**
 * A note on a media item (stored in the `annotation` table; the API's wire names — the
 * `Annotation` schema, `/annotations` routes, `annotation.*` events — keep the original word).
 */
export interface Note {
  id: string;
  mediaId: string;
  parentId: string | null;
  author: string;
  type: string;
  content: string;
  frame: number | null;
  frameEnd: number | null;
  /** Counts the note's edits from 1; a save that names an older revision is refused (409). */
  revision: number;
  position: Static<typeof Wire.NormalisedPoint> | null;
  drawing: unknown | null;
  mentions: string[];
  resolved: boolean;
  renditionSha256: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

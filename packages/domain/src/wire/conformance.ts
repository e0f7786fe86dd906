/**
 * The domain's records (types.ts, what the core builds from rows) must fit the wire schemas the
 * server serialises them with: a field the record has and the schema lacks would be dropped from
 * every answer, a type that does not fit would turn the answer into a 500. Checked at compile
 * time; nothing here runs.
 */
import type { Static } from '@sinclair/typebox';
import type * as Domain from '../types.js';
import type { Workflow as DomainWorkflow } from '../workflow.js';
import type { HistoryEntry, Media, MediaFile, Task, Workflow } from './components.js';

/** `true` when every value of A fits B and A has no field B does not declare. */
type Fits<A, B> = [A] extends [B] ? ([Exclude<keyof A, keyof B>] extends [never] ? true : false) : false;

// Media.metadata is the probe's typed record on the wire and an open map in the core (checked
// on every write by checkMetadata instead).
type MediaRecord = Omit<Domain.Media, 'metadata'>;
type MediaWire = Omit<Static<typeof Media>, 'metadata'>;

export const wireFitsTheDomain: [
  Fits<MediaRecord, MediaWire>,
  Fits<Domain.MediaFile, Static<typeof MediaFile>>,
  Fits<Domain.Task, Static<typeof Task>>,
  Fits<Domain.HistoryEntry, Static<typeof HistoryEntry>>,
  Fits<DomainWorkflow, Static<typeof Workflow>>,
] = [true, true, true, true, true];

import type { Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';
import * as m001 from './001_initial.js';
import * as m002 from './002_users.js';
import * as m003 from './003_review.js';
import * as m004 from './004_jobs.js';
import * as m005 from './005_rendition_info.js';
import * as m006 from './006_login_throttle.js';
import * as m007 from './007_acting_for_others.js';
import * as m008 from './008_source_time.js';
import * as m009 from './009_note_revision.js';
import * as m010 from './010_idempotency_keys.js';
import * as m011 from './011_upload_sessions.js';
import * as m012 from './012_event_log.js';
import * as m013 from './013_review_sessions.js';
import * as m014s3direct from './014_s3direct_uploads.js';
import * as m015 from './015_core_sequence_upload_sessions.js';
import * as m016 from './016_search_terms.js';
import * as m017 from './017_job_project.js';
import * as m018 from './018_search_words_at_commit.js';

export interface DialectMigration {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see 001_initial.ts
  up(db: Kysely<any>, dialect: DialectName): Promise<void>;
}

/** Every migration, in order. Names sort; never rename or edit one that has shipped. */
export const migrations: Record<string, DialectMigration> = {
  '001_initial': m001,
  '002_users': m002,
  '003_review': m003,
  '004_jobs': m004,
  '005_rendition_info': m005,
  '006_login_throttle': m006,
  '007_acting_for_others': m007,
  '008_source_time': m008,
  '009_note_revision': m009,
  '010_idempotency_keys': m010,
  '011_upload_sessions': m011,
  '012_event_log': m012,
  '013_review_sessions': m013,
  '014_s3direct_uploads': m014s3direct,
  '015_core_sequence_upload_sessions': m015,
  '016_search_terms': m016,
  '017_job_project': m017,
  '018_search_words_at_commit': m018,
};

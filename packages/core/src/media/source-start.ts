import { sourceStart, type MediaType } from '@montu/domain';
import type { Db } from '../db/schema.js';

/**
 * The source-time columns of a media record (decision 130) from its metadata and its project's
 * `movieStartFrame`: written wherever the metadata is (insert, probe, metadata edits).
 */
export async function sourceStartColumns(
  db: Db,
  projectId: string,
  mediaType: MediaType,
  metadata: Record<string, unknown>,
): Promise<{ start_timecode: string | null; start_frame: number | null }> {
  // Only a movie's start frame depends on the project: stills, audio and sequences need no read.
  if (mediaType !== 'video') {
    const start = sourceStart(mediaType, metadata);
    return { start_timecode: start.startTimecode, start_frame: start.startFrame };
  }
  const row = await db
    .selectFrom('project')
    .select('settings')
    .where('id', '=', projectId)
    .executeTakeFirst();
  let settings: Record<string, unknown> = {};
  try {
    settings = row ? (JSON.parse(row.settings) as Record<string, unknown>) : {};
  } catch {
    settings = {};
  }
  const start = sourceStart(mediaType, metadata, settings);
  return { start_timecode: start.startTimecode, start_frame: start.startFrame };
}

import { sourceStart, type MediaType } from '@montu/domain';
import type { Db } from '../db/schema.js';
import { projectSettingsJson } from '../projects/project-queries.js';

/**
 * The source-time columns of a media record (decision 130) from its metadata and its project's
 * `movieStartFrame`: written wherever the metadata is (insert, probe, metadata edits).
 */
export async function sourceStartColumns(
  db: Db,
  projectId: string,
  mediaType: MediaType,
  metadata: Record<string, unknown>,
  /** Projects' settings already read (bulk inserts read each project's once). */
  settingsCache?: Map<string, Record<string, unknown>>,
): Promise<{ start_timecode: string | null; start_frame: number | null }> {
  // Only a movie's start frame depends on the project: stills, audio and sequences need no read.
  if (mediaType !== 'video') {
    const start = sourceStart(mediaType, metadata);
    return { start_timecode: start.startTimecode, start_frame: start.startFrame };
  }
  let settings = settingsCache?.get(projectId);
  if (!settings) {
    settings = await projectSettings(db, projectId);
    settingsCache?.set(projectId, settings);
  }
  const start = sourceStart(mediaType, metadata, settings);
  return { start_timecode: start.startTimecode, start_frame: start.startFrame };
}

async function projectSettings(db: Db, projectId: string): Promise<Record<string, unknown>> {
  const settings = await projectSettingsJson(db, projectId);
  try {
    return settings !== undefined ? (JSON.parse(settings) as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

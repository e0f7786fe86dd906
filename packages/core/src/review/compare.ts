import { NotFound } from '@montu/domain';
import type { Media, MediaFile } from '@montu/domain';
import type { MediaService, Scope } from '../media/media-service.js';
import type { NoteService, ReviewNote } from './note-service.js';
import type { ProjectService } from '../projects/project-service.js';
import type { MediaTiming } from '@montu/domain';

const RENDITION_ROLES = new Set([
  'original',
  'thumbnail',
  'proxy',
  'web',
  'web_float',
  'audio_preview',
  'sprite',
  'waveform',
]);

export interface FrameRange {
  start: number;
  end: number;
}

export interface CompareSide {
  media: Omit<Media, 'files'>;
  /** Files to show the version with (original, thumbnail, proxy, web, audio preview); frames and attachments are left out. */
  renditions: MediaFile[];
  /** Number of stored sequence frames (0 for movies and stills). */
  frameFiles: number;
  timing: MediaTiming;
  /** The version's own frame range, or null when unknown (stills, unprobed media). */
  frames: FrameRange | null;
  notes: ReviewNote[];
}

/**
 * How the two versions line up. `frame_number`: both are sequences, frame N of one faces frame
 * N of the other. `frame_index`: movies (or a movie and a sequence) line up by position, the
 * first frame of each facing the other: `frame = index + offset`.
 */
export interface Alignment {
  mode: 'frame_number' | 'frame_index' | 'none';
  /** Range on the shared axis (frame numbers, or indices from 0) covering both versions. */
  union: FrameRange | null;
  /** Range on the shared axis where both have a frame. */
  overlap: FrameRange | null;
  /** Add to a shared-axis position to get each side's own frame number. */
  offsetA: number;
  offsetB: number;
  /** True when both have a known rate and it is the same. */
  sameRate: boolean;
}

export interface CompareResult {
  projectId: string;
  taskId: string;
  a: CompareSide;
  b: CompareSide;
  alignment: Alignment;
}

interface Deps {
  media: MediaService;
  projects: ProjectService;
  notes: NoteService;
}

async function side(
  deps: Deps,
  projectId: string,
  taskId: string,
  version: string,
  scope: Scope,
): Promise<CompareSide> {
  const found = await deps.media.getMediaByTask(taskId, version, {
    projectId,
    includeArchived: true,
    ...scope,
  });
  const media = found[0];
  if (!media) throw new NotFound(`Version ${version} of task ${taskId} does not exist.`, { taskId, version });
  const timing = await deps.notes.timingOf(media);
  const { files, ...rest } = media;
  return {
    media: rest,
    renditions: files.filter((f) => RENDITION_ROLES.has(f.role)),
    frameFiles: files.filter((f) => f.role === 'frame').length,
    timing,
    frames:
      timing.frameStart !== null && timing.frameEnd !== null
        ? { start: timing.frameStart, end: timing.frameEnd }
        : null,
    notes: await deps.notes.listNotes(media.id, scope),
  };
}

export async function compareVersions(
  deps: Deps,
  taskId: string,
  a: string,
  b: string,
  options: { projectId?: string } & Scope,
): Promise<CompareResult> {
  const projectId = await deps.projects.resolveTaskProject(taskId, options.projectId);
  const scope: Scope = options.projectIds ? { projectIds: options.projectIds } : {};
  const [sa, sb] = [
    await side(deps, projectId, taskId, a, scope),
    await side(deps, projectId, taskId, b, scope),
  ];
  return { projectId, taskId, a: sa, b: sb, alignment: align(sa, sb) };
}

export function align(
  a: Pick<CompareSide, 'frames' | 'timing'>,
  b: Pick<CompareSide, 'frames' | 'timing'>,
): Alignment {
  const sameRate = a.timing.fps !== null && a.timing.fps === b.timing.fps;
  if (!a.frames || !b.frames)
    return { mode: 'none', union: null, overlap: null, offsetA: 0, offsetB: 0, sameRate };
  const byNumber = a.timing.numbering === 'frame_number' && b.timing.numbering === 'frame_number';
  const offsetA = byNumber ? 0 : a.frames.start;
  const offsetB = byNumber ? 0 : b.frames.start;
  const ra = { start: a.frames.start - offsetA, end: a.frames.end - offsetA };
  const rb = { start: b.frames.start - offsetB, end: b.frames.end - offsetB };
  const lo = Math.max(ra.start, rb.start);
  const hi = Math.min(ra.end, rb.end);
  return {
    mode: byNumber ? 'frame_number' : 'frame_index',
    union: { start: Math.min(ra.start, rb.start), end: Math.max(ra.end, rb.end) },
    overlap: lo <= hi ? { start: lo, end: hi } : null,
    offsetA,
    offsetB,
    sameRate,
  };
}

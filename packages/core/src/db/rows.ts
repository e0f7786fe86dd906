import type { Selectable } from 'kysely';
import { historyLabel } from '@montu/domain';
import type {
  NoteTable,
  HistoryTable,
  MediaFileTable,
  MediaTable,
  ProjectTable,
  TaskTable,
} from './schema.js';
import type {
  Note,
  ApprovalStatus,
  FileRole,
  FileState,
  HistoryEntry,
  Media,
  MediaFile,
  MediaType,
  ProcessingState,
  RenditionInfo,
  Project,
  Task,
} from '@montu/domain';

/** Maps database rows to domain objects: the only place that knows the column encodings. */

export function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function projectFromRow(r: Selectable<ProjectTable>): Project {
  return {
    id: r.id,
    name: r.name,
    settings: parseJson(r.settings, {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function taskFromRow(r: Selectable<TaskTable>): Task {
  return {
    projectId: r.project_id,
    id: r.id,
    episode: r.episode,
    sequence: r.sequence,
    shot: r.shot,
    step: r.step,
    createdAt: r.created_at,
  };
}

export function fileFromRow(r: Selectable<MediaFileTable>): MediaFile {
  return {
    id: r.id,
    role: r.role as FileRole,
    frame: r.frame,
    backend: r.backend,
    key: r.storage_key,
    size: Number(r.size),
    sha256: r.sha256,
    contentType: r.content_type,
    state: r.state as FileState,
    error: r.error,
    createdAt: r.created_at,
    info: r.info === null ? null : parseJson<RenditionInfo | null>(r.info, null),
  };
}

export function mediaFromRow(r: Selectable<MediaTable>, files: MediaFile[]): Media {
  return {
    id: r.id,
    projectId: r.project_id,
    taskId: r.task_id,
    version: r.version,
    versionNumber: r.version_number,
    mediaType: r.media_type as MediaType,
    fileName: r.file_name,
    mimeType: r.mime_type,
    size: Number(r.size),
    sha256: r.sha256,
    author: r.author,
    description: r.description,
    tags: parseJson<string[]>(r.tags, []),
    status: r.status as ApprovalStatus,
    reviewSelected: r.review_selected === 1,
    approval:
      r.approved_by && r.approved_at
        ? { by: r.approved_by, at: r.approved_at, comment: r.approval_comment }
        : null,
    archivedAt: r.archived_at,
    processingState: r.processing_state as ProcessingState,
    processingError: r.processing_error,
    metadata: parseJson(r.metadata, {}),
    startTimecode: r.start_timecode ?? null,
    startFrame: r.start_frame === null || r.start_frame === undefined ? null : Number(r.start_frame),
    customProperties: parseJson(r.custom_properties, {}),
    files,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function noteFromRow(r: Selectable<NoteTable>): Note {
  return {
    id: r.id,
    mediaId: r.media_id,
    parentId: r.parent_id,
    author: r.author,
    type: r.type,
    content: r.content,
    frame: r.frame,
    frameEnd: r.frame_end,
    revision: Number(r.revision ?? 1),
    position: parseJson(r.position, null),
    drawing: parseJson(r.drawing, null),
    mentions: parseJson<string[]>(r.mentions, []),
    resolved: r.resolved === 1,
    renditionSha256: r.rendition_sha256,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function historyFromRow(r: Selectable<HistoryTable>): HistoryEntry {
  const data = parseJson<Record<string, unknown> | null>(r.data, null);
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    label: historyLabel({ action: r.action, data }),
    projectId: r.project_id,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    from: r.from_value,
    to: r.to_value,
    comment: r.comment,
    data,
  };
}

/** Human-readable views of media items and notes. */
import type { Note, Media } from './backend.js';
import { formatBytes, table } from './format.js';

export function mediaRows(items: Media[]): string {
  if (items.length === 0) return '(no media)';
  return table(
    ['ID', 'PROJECT', 'TASK', 'VERSION', 'TYPE', 'STATUS', 'SIZE', 'AUTHOR', 'CREATED', 'FILE'],
    items.map((m) => [
      m.id,
      m.projectId,
      m.taskId,
      m.version + (m.reviewSelected ? '*' : ''),
      m.mediaType,
      m.status + (m.archivedAt ? ' (archived)' : ''),
      formatBytes(m.size),
      m.author,
      m.createdAt.slice(0, 16).replace('T', ' '),
      m.fileName,
    ]),
    { right: [6] },
  );
}

/** A metadata field by name: the probe's declared fields and a studio's own (the record is open). */
function meta(m: Media, key: string): unknown {
  return (m.metadata as Record<string, unknown> | undefined)?.[key];
}

export function mediaDetail(m: Media): string {
  const lines: Array<[string, string]> = [
    ['id', m.id],
    ['project', m.projectId],
    ['task', m.taskId],
    ['version', m.version + (m.reviewSelected ? ' (selected for review)' : '')],
    ['type', `${m.mediaType} (${m.mimeType})`],
    ['file', m.fileName],
    ['size', `${formatBytes(m.size)} (${m.size} bytes)`],
    ['sha256', m.sha256],
    ['author', m.author],
    ['status', m.status],
  ];
  if (m.approval)
    lines.push([
      'approval',
      `${m.approval.by} at ${m.approval.at}${m.approval.comment ? `: ${m.approval.comment}` : ''}`,
    ]);
  if (m.description) lines.push(['description', m.description]);
  if (m.tags.length) lines.push(['tags', m.tags.join(', ')]);
  if (m.archivedAt) lines.push(['archived', m.archivedAt]);
  lines.push(['processing', m.processingState + (m.processingError ? `: ${m.processingError}` : '')]);
  const w = meta(m, 'width');
  const h = meta(m, 'height');
  if (typeof w === 'number' && typeof h === 'number') lines.push(['resolution', `${w}x${h}`]);
  for (const k of ['fps', 'duration', 'frameCount', 'videoCodec', 'colourSpace']) {
    const v = meta(m, k);
    if (v !== null && v !== undefined) lines.push([k, String(v)]);
  }
  const seq = meta(m, 'sequence');
  if (seq && typeof seq === 'object') {
    const s = seq as { start?: number; end?: number; missing?: number[]; pattern?: string };
    lines.push([
      'frames',
      `${s.start}-${s.end}${s.missing?.length ? ` (missing ${s.missing.join(', ')})` : ''}`,
    ]);
  }
  lines.push(['created', m.createdAt], ['updated', m.updatedAt]);
  const width = Math.max(...lines.map(([k]) => k.length));
  const head = lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
  const files = m.files.filter((f) => f.role !== 'frame');
  const frames = m.files.length - files.length;
  const fileTable = files.length
    ? '\n\n' +
      table(
        ['ROLE', 'STATE', 'SIZE', 'KEY'],
        files.map((f) => [f.role, f.state, formatBytes(f.size), f.key]),
        { right: [2] },
      )
    : '';
  return head + fileTable + (frames ? `\n(+ ${frames} frame files)` : '');
}

export function annotationRows(notes: Note[]): string {
  if (notes.length === 0) return '(no notes)';
  return table(
    ['ID', 'FRAME', 'AUTHOR', 'CREATED', 'NOTE'],
    notes.map((a) => [
      a.id,
      a.frame === null ? '-' : a.frameEnd !== null ? `${a.frame}-${a.frameEnd}` : String(a.frame),
      a.author,
      a.createdAt.slice(0, 16).replace('T', ' '),
      a.content.replace(/\s+/g, ' ').slice(0, 80),
    ]),
  );
}

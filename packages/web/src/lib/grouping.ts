/**
 * Browser rows: media grouped by episode / sequence / shot (parsed from task ids like
 * `ep01_sq010_sh020_lighting`), optionally only the latest version of each task, flattened into
 * header and item rows for a virtualised list (or rows of N cards for the grid).
 */
import { parseTaskId, type ParsedTaskId as ParsedTask } from '@montu/domain';
import type { MediaSummary as Media, Task } from '../api/index.js';

export { parseTaskId, type ParsedTask };

export type Row =
  | { kind: 'header'; key: string; level: 0 | 1 | 2; label: string; count: number }
  | { kind: 'items'; key: string; items: Media[] };

export function groupKey(t: ParsedTask): string {
  return [t.episode ?? '—', t.sequence ?? '—', t.shot ?? '—'].join(' / ');
}

/** Keeps the highest version of each task (input order otherwise preserved). */
export function latestPerTask(media: readonly Media[]): Media[] {
  const best = new Map<string, Media>();
  for (const m of media) {
    const k = `${m.projectId}\u0000${m.taskId}`;
    const b = best.get(k);
    if (!b || m.versionNumber > b.versionNumber) best.set(k, m);
  }
  return media.filter((m) => best.get(`${m.projectId}\u0000${m.taskId}`) === m);
}

/**
 * Flattens media into rows: one header per episode/sequence/shot group, then the items in rows
 * of `columns` (1 for the list view). Groups are sorted by name, items by task then version desc.
 */
export function buildRows(
  media: readonly Media[],
  tasks: ReadonlyMap<string, ParsedTask>,
  columns: number,
): Row[] {
  const groups = new Map<string, Media[]>();
  for (const m of media) {
    const key = groupKey(tasks.get(m.taskId) ?? parseTaskId(m.taskId));
    const list = groups.get(key);
    if (list) list.push(m);
    else groups.set(key, [m]);
  }
  const rows: Row[] = [];
  const keys = [...groups.keys()].sort();
  const cols = Math.max(1, columns);
  for (const key of keys) {
    const list = groups
      .get(key)!
      .sort((a, b) => a.taskId.localeCompare(b.taskId) || b.versionNumber - a.versionNumber);
    rows.push({ kind: 'header', key: `h:${key}`, level: 0, label: key, count: list.length });
    for (let i = 0; i < list.length; i += cols)
      rows.push({ kind: 'items', key: `i:${key}:${i}`, items: list.slice(i, i + cols) });
  }
  return rows;
}

export function taskMap(tasks: readonly Task[]): Map<string, ParsedTask> {
  return new Map(
    tasks.map((t) => [t.id, { episode: t.episode, sequence: t.sequence, shot: t.shot, step: t.step }]),
  );
}

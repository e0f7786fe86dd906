/**
 * Browser rows: media grouped by episode / sequence (parsed from task ids like
 * `ep01_sq010_sh020_lighting`; the shot is on each card, so a sequence's shots share rows and fill
 * the width), the versions of a task optionally stacked into one card, flattened into header and
 * item rows for a virtualised list (or rows of N cards for the grid).
 */
import { parseTaskId, type ParsedTaskId as ParsedTask } from '@montu/domain';
import type { MediaSummary as Media, Task } from '../api/index.js';

export { parseTaskId, type ParsedTask };

/** The versions of one task shown as one card: newest first (a single version is a stack of one). */
export interface Stack {
  key: string;
  versions: Media[];
}

export type Row =
  | { kind: 'header'; key: string; level: 0 | 1 | 2; label: string; count: number }
  | { kind: 'items'; key: string; items: Stack[] };

export function groupKey(t: ParsedTask): string {
  return [t.episode ?? '—', t.sequence ?? '—'].join(' / ');
}

/** The card title: shot and step when the task id has them, else the task id. */
export function cardTitle(t: ParsedTask, taskId: string): string {
  const parts = [t.shot, t.step].filter(Boolean);
  return parts.length ? parts.join(' · ') : taskId;
}

/**
 * One stack per task (all its versions loaded so far, newest first) when `stack` is on, else one
 * stack per version. Stacks keep the order of their newest version in the input.
 */
export function stackVersions(media: readonly Media[], stack: boolean): Stack[] {
  if (!stack) return media.map((m) => ({ key: m.id, versions: [m] }));
  const byTask = new Map<string, Media[]>();
  for (const m of media) {
    const k = `${m.projectId}\u0000${m.taskId}`;
    const list = byTask.get(k);
    if (list) list.push(m);
    else byTask.set(k, [m]);
  }
  return [...byTask.entries()].map(([key, versions]) => ({
    key,
    versions: versions.sort((a, b) => b.versionNumber - a.versionNumber),
  }));
}

/**
 * Flattens stacks into rows: one header per episode/sequence group, then the stacks in rows of
 * `columns` (1 for the list view). Groups are sorted by name, stacks by task then version desc.
 */
export function buildRows(
  stacks: readonly Stack[],
  tasks: ReadonlyMap<string, ParsedTask>,
  columns: number,
): Row[] {
  const groups = new Map<string, Stack[]>();
  for (const st of stacks) {
    const m = st.versions[0]!;
    const key = groupKey(tasks.get(m.taskId) ?? parseTaskId(m.taskId));
    const list = groups.get(key);
    if (list) list.push(st);
    else groups.set(key, [st]);
  }
  const rows: Row[] = [];
  const keys = [...groups.keys()].sort();
  const cols = Math.max(1, columns);
  for (const key of keys) {
    const list = groups
      .get(key)!
      .sort(
        (a, b) =>
          a.versions[0]!.taskId.localeCompare(b.versions[0]!.taskId) ||
          b.versions[0]!.versionNumber - a.versions[0]!.versionNumber,
      );
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

import { ValidationError } from './errors.js';

const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const VERSION = /^v(\d{1,6})$/i;
// ep01_sq010_sh020_lighting, sq010_sh020_comp (no episode); the step may itself hold underscores.
const SHOT_TASK = /^(?:(ep[0-9a-z]+)_)?(sq[0-9a-z]+)_(sh[0-9a-z]+)_([a-z][a-z0-9]*(?:[_-][a-z0-9]+)*)$/i;

export function assertProjectId(id: unknown): string {
  if (typeof id !== 'string' || !PROJECT_ID.test(id)) {
    throw new ValidationError(
      `Invalid project id ${JSON.stringify(id)}: use 1–64 letters, digits, '_' or '-', starting with a letter or digit.`,
      { field: 'projectId' },
    );
  }
  return id;
}

export function assertTaskId(id: unknown): string {
  if (typeof id !== 'string' || !TASK_ID.test(id) || id.includes('..')) {
    throw new ValidationError(
      `Invalid task id ${JSON.stringify(id)}: use 1–128 letters, digits, '_', '-' or '.', e.g. ep01_sq010_sh020_lighting.`,
      { field: 'taskId' },
    );
  }
  return id;
}

export interface ParsedTaskId {
  episode: string | null;
  sequence: string | null;
  shot: string | null;
  step: string | null;
}

/** Splits a task id that follows the `ep01_sq010_sh020_lighting` convention; other ids give nulls. */
export function parseTaskId(id: string): ParsedTaskId {
  const m = SHOT_TASK.exec(id);
  if (!m) return { episode: null, sequence: null, shot: null, step: null };
  return { episode: m[1] ?? null, sequence: m[2] ?? null, shot: m[3] ?? null, step: m[4] ?? null };
}

export function formatVersion(n: number): string {
  return `v${String(n).padStart(3, '0')}`;
}

/** Accepts `v001`, `V12`, `3` or the number 3; returns the version number. */
export function parseVersion(v: string | number): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 1 && v <= 999_999) return v;
  } else {
    const m = VERSION.exec(v.trim()) ?? /^(\d{1,6})$/.exec(v.trim());
    if (m) {
      const n = Number(m[1]);
      if (n >= 1) return n;
    }
  }
  throw new ValidationError(`Invalid version ${JSON.stringify(v)}: use v001, v002, … (1 to 999999).`, {
    field: 'version',
  });
}

/** A file name safe to store: the base name only, in a portable character set, extension kept. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[._-]+/, '');
  const limited = cleaned.length > 150 ? cleaned.slice(cleaned.length - 150).replace(/^[._-]+/, '') : cleaned;
  return limited || 'file';
}

/** The original name as metadata: any directory part dropped, control characters removed. */
export function displayFileName(name: string): string {
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (!base) throw new ValidationError('A file name is required.', { field: 'fileName' });
  if (base.length > 255)
    throw new ValidationError('The file name is longer than 255 characters.', { field: 'fileName' });
  return base;
}

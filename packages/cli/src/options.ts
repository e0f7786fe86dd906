/** Option value parsers for commander; a bad value is a usage error (exit code 2). */
import { InvalidArgumentError } from 'commander';
import { MEDIA_TYPES, STATUS_INPUTS, parseStatus, type ApprovalStatus } from '@montu/domain';

export function intArg(min = 0): (v: string) => number {
  return (v) => {
    if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError('expected a whole number');
    const n = Number(v);
    if (n < min) throw new InvalidArgumentError(`expected a number of at least ${min}`);
    return n;
  };
}

export function listArg(v: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/** A status, or one of the media services document's words (`pending` is `pending_review`). */
export function statusArg(v: string): ApprovalStatus {
  try {
    return parseStatus(v.trim().toLowerCase().replace(/-/g, '_'));
  } catch {
    throw new InvalidArgumentError(`expected one of ${STATUS_INPUTS.join(', ')}`);
  }
}

export function typeArg(v: string): (typeof MEDIA_TYPES)[number] {
  const s = v.trim().toLowerCase();
  if (!(MEDIA_TYPES as readonly string[]).includes(s))
    throw new InvalidArgumentError(`expected one of ${MEDIA_TYPES.join(', ')}`);
  return s as (typeof MEDIA_TYPES)[number];
}

export function dateArg(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}(T.*)?$/.test(v) || Number.isNaN(new Date(v).getTime())) {
    throw new InvalidArgumentError('expected a date YYYY-MM-DD or an ISO-8601 time');
  }
  return v;
}

/** `24`, `25`, `23.976` (→ 24000/1001), `30000/1001`. */
export function fpsArg(v: string): string {
  const t = v.trim();
  const known: Record<string, string> = {
    '23.976': '24000/1001',
    '23.98': '24000/1001',
    '29.97': '30000/1001',
    '59.94': '60000/1001',
    '47.952': '48000/1001',
  };
  if (known[t]) return known[t]!;
  if (/^\d+$/.test(t) && Number(t) > 0) return `${t}/1`;
  if (/^\d+\/\d+$/.test(t) && !/\/0+$/.test(t)) return t;
  throw new InvalidArgumentError('expected a frame rate such as 24, 25, 23.976 or 24000/1001');
}

/** Exact rationals as strings (`24000/1001`), the only way Montu writes frame rates. */

export interface Rational {
  num: number;
  den: number;
}

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Parses `24000/1001`, `24:1`, `25` (integer) into a reduced rational; null for 0/0, garbage or non-positive. */
export function parseRational(s: string | number | null | undefined): Rational | null {
  if (s === null || s === undefined) return null;
  if (typeof s === 'number') return Number.isInteger(s) && s > 0 ? { num: s, den: 1 } : null;
  const m = /^\s*(\d+)\s*(?:[/:]\s*(\d+))?\s*$/.exec(s);
  if (!m) return null;
  const num = Number(m[1]);
  const den = m[2] === undefined ? 1 : Number(m[2]);
  if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den) || num <= 0 || den <= 0) return null;
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

export function formatRational(r: Rational): string {
  return `${r.num}/${r.den}`;
}

/** Normalises a rational string (`48/2` → `24/1`); null when it is not a positive rational. */
export function normaliseRational(s: string | number | null | undefined): string | null {
  const r = parseRational(s);
  return r ? formatRational(r) : null;
}

export function rationalToNumber(s: string): number {
  const r = parseRational(s);
  return r ? r.num / r.den : NaN;
}

/** Exact product `a × b/c` as a reduced rational string, e.g. duration_ts × time_base. */
export function multiplyRational(count: number, r: Rational): string {
  const g = gcd(count * r.num, r.den) || 1;
  return `${(count * r.num) / g}/${r.den / g}`;
}

/** Round seconds to milliseconds (durations are reported to 1 ms). */
export function roundMs(x: number): number {
  return Math.round(x * 1000) / 1000;
}

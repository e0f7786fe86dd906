/**
 * How the frames of an image sequence are named, in one home for every surface: frame patterns
 * (`beauty.####.exr`, `beauty.%04d.exr`, `beauty.@@@@.exr`, `beauty.%d.exr`), frame file names
 * (`beauty.1001.exr`), padding, and which names form one sequence. Pure: the core and the CLI
 * list folders and hand the names here.
 */
import { ValidationError } from './errors.js';

/** Most gaps reported before a sequence is refused as implausible (e.g. frames 1 and 9 999 999). */
export const MAX_SEQUENCE_GAPS = 100_000;

/** A pattern's parts: `beauty.####.exr`, `beauty.%04d.exr`, `beauty.@@@@.exr`, `beauty.%d.exr`. */
export interface SequencePatternName {
  base: string;
  /** 0 for `%d` (any number of digits). */
  padding: number;
  ext: string;
}

/** A sequence made of named frames (`full` is whatever the caller keeps per frame, e.g. its path). */
export interface NamedSequence {
  /** File name before the frame number, e.g. `beauty.`. */
  base: string;
  /** Digits of a padded frame number (4 for `1001`/`0001`); 0 when the numbers are not padded. */
  padding: number;
  /** Extension with its dot, e.g. `.exr`; the text after the number. */
  ext: string;
  /** printf-style pattern of the frames, e.g. `beauty.%04d.exr`. */
  pattern: string;
  frames: Array<{ frame: number; path: string }>;
  start: number;
  end: number;
  /** Frames in start..end without a file. */
  missing: number[];
}

const PATTERN_RE = /^(.*?)(#+|@+|%0?(\d*)d)([^#@%]*)$/;

/** The last part of a path, `/` or `\` separated (no Node `path` here: this runs in browsers). */
export function baseName(p: string): string {
  const parts = p.split(/[\\/]+/).filter(Boolean);
  return parts[parts.length - 1] ?? '';
}

/** True when a path's file name contains a sequence placeholder (`####`, `@@@@`, `%04d`, `%d`). */
export function isSequencePattern(p: string): boolean {
  return PATTERN_RE.test(baseName(p));
}

/** Parses a pattern's file name. Throws ValidationError for anything that is not one pattern. */
export function parseSequencePatternName(name: string, pattern = name): SequencePatternName {
  const m = PATTERN_RE.exec(name);
  if (!m) throw new ValidationError(`not a frame pattern (use ####, @@@@ or %04d): ${pattern}`, { pattern });
  const token = m[2]!;
  const padding = token.startsWith('%') ? (m[3] ? Number(m[3]) : 0) : token.length;
  if (padding > 12)
    throw new ValidationError(`frame padding of ${padding} digits is not supported`, { pattern });
  if (/[#@%]/.test(m[1]!))
    throw new ValidationError(`a frame pattern has one placeholder: ${pattern}`, { pattern });
  return { base: m[1]!, padding, ext: m[4] ?? '' };
}

/** True when `name` is a frame of the pattern (a padded pattern also takes longer numbers without a leading zero). */
export function matchesSequencePattern(pat: SequencePatternName, name: string): boolean {
  if (!name.startsWith(pat.base) || !name.endsWith(pat.ext)) return false;
  const d = name.slice(pat.base.length, name.length - pat.ext.length);
  if (!/^\d+$/.test(d)) return false;
  return pat.padding === 0 || d.length === pat.padding || (d.length > pat.padding && !d.startsWith('0'));
}

/** Splits `beauty.1001.exr` into base `beauty.`, digits `1001`, ext `.exr` (the last digit run before the extension). */
export function parseFrameFileName(
  name: string,
): { base: string; digits: string; frame: number; ext: string } | null {
  const m = /^(.*?)(\d+)((?:\.[A-Za-z][A-Za-z0-9]*)*)$/.exec(name);
  if (!m) return null;
  const digits = m[2]!;
  if (digits.length > 12) return null;
  return { base: m[1]!, digits, frame: Number(digits), ext: m[3] ?? '' };
}

/** The printf-style pattern (`beauty.%04d.exr`; `%d` when unpadded; a literal `%` doubled). */
export function formatSequencePattern(base: string, padding: number, ext: string): string {
  return `${base.replace(/%/g, '%%')}${padding > 0 ? `%0${padding}d` : '%d'}${ext.replace(/%/g, '%%')}`;
}

/** The frame numbers a sequence lacks between its first and last (any order, duplicates allowed). */
export function missingFrames(frames: readonly number[]): number[] {
  if (frames.length < 2) return [];
  const have = new Set(frames);
  let first = Infinity;
  let last = -Infinity;
  for (const f of frames) {
    if (f < first) first = f;
    if (f > last) last = f;
  }
  const out: number[] = [];
  for (let f = first; f <= last; f++) if (!have.has(f)) out.push(f);
  return out;
}

/** Numbered frame names grouped by what is around the number (one group, one sequence). */
export function groupFrameNames(names: readonly string[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const p = parseFrameFileName(n);
    if (!p) continue;
    const key = `${p.base}\0${p.ext}`;
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  return [...groups.values()];
}

/**
 * The sequence that frame files form, validating that they are one: one base and extension,
 * one padding, no frame twice, at most MAX_SEQUENCE_GAPS missing. Throws ValidationError.
 */
export function sequenceFromNames(entries: ReadonlyArray<{ name: string; full: string }>): NamedSequence {
  if (entries.length === 0) throw new ValidationError('no frames found for the sequence');
  const parsed = entries.map((e) => {
    const p = parseFrameFileName(e.name);
    if (!p) throw new ValidationError(`not a numbered frame file: ${e.name}`, { file: e.name });
    return { ...p, full: e.full };
  });
  const first = parsed[0]!;
  for (const p of parsed) {
    if (p.base !== first.base || p.ext !== first.ext) {
      throw new ValidationError(
        `frames do not share one pattern: ${first.base}#${first.ext} and ${p.base}#${p.ext}`,
        { files: [entries[0]!.name, p.base + p.digits + p.ext] },
      );
    }
  }
  // Padding: a leading zero fixes it; otherwise equal lengths imply it; mixed lengths mean unpadded.
  const zeroPadded = parsed.filter((p) => p.digits.length > 1 && p.digits.startsWith('0'));
  let padding: number;
  if (zeroPadded.length > 0) {
    padding = zeroPadded[0]!.digits.length;
    for (const p of parsed) {
      if (
        p.digits.length < padding ||
        (p.digits.length > padding && p.digits.startsWith('0')) ||
        (p.digits.startsWith('0') && p.digits.length !== padding)
      ) {
        throw new ValidationError(`frames do not share one padding: ${p.base}${p.digits}${p.ext}`, {
          padding,
        });
      }
    }
  } else {
    const lengths = new Set(parsed.map((p) => p.digits.length));
    padding = lengths.size === 1 ? first.digits.length : 0;
  }
  const byFrame = new Map<number, string>();
  for (const p of parsed) {
    if (byFrame.has(p.frame)) throw new ValidationError(`frame ${p.frame} appears twice`, { frame: p.frame });
    byFrame.set(p.frame, p.full);
  }
  const frames = [...byFrame.entries()].sort((a, b) => a[0] - b[0]).map(([frame, p]) => ({ frame, path: p }));
  const start = frames[0]!.frame;
  const end = frames[frames.length - 1]!.frame;
  if (end - start + 1 - frames.length > MAX_SEQUENCE_GAPS) {
    throw new ValidationError(
      `the sequence ${start}–${end} has more than ${MAX_SEQUENCE_GAPS} missing frames`,
      {
        start,
        end,
      },
    );
  }
  const missing = missingFrames(frames.map((f) => f.frame));
  return {
    base: first.base,
    padding,
    ext: first.ext,
    pattern: formatSequencePattern(first.base, padding, first.ext),
    frames,
    start,
    end,
    missing,
  };
}

/**
 * The sequence a frame pattern names among a folder's files: the names that are its frames
 * (matchesSequencePattern), and the pattern's padding when it gives one (`%d` takes the frames').
 * Throws ValidationError when no name matches or the matches are not one sequence.
 */
export function sequenceFromPattern(
  pat: SequencePatternName,
  entries: ReadonlyArray<{ name: string; full: string }>,
  pattern: string,
): NamedSequence {
  const matched = entries.filter((e) => matchesSequencePattern(pat, e.name));
  if (matched.length === 0) throw new ValidationError(`no frames match ${pattern}`, { pattern });
  const seq = sequenceFromNames(matched);
  if (pat.padding === 0) return seq;
  return { ...seq, padding: pat.padding, pattern: formatSequencePattern(pat.base, pat.padding, pat.ext) };
}

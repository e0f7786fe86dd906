import fsp from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '@montu/domain';

/** One frame file of an image sequence. */
export interface SequenceFrame {
  frame: number;
  path: string;
}

/** An image sequence such as `beauty.1001.exr … beauty.1100.exr`. */
export interface ImageSequence {
  /** Folder of the frames (as given, resolved). */
  dir: string;
  /** File name before the frame number, e.g. `beauty.`. */
  base: string;
  /** Digits of a padded frame number (4 for `1001`/`0001`); 0 when the numbers are not padded. */
  padding: number;
  /** Extension with its dot, e.g. `.exr`; the text after the number. */
  ext: string;
  /** printf-style pattern of the frames, e.g. `beauty.%04d.exr`. */
  pattern: string;
  frames: SequenceFrame[];
  start: number;
  end: number;
  /** Frames in start..end without a file. */
  missing: number[];
}

/** Most gaps reported before the sequence is refused as implausible (e.g. frames 1 and 9 999 999). */
export const MAX_SEQUENCE_GAPS = 100_000;

/** A pattern's parts: `beauty.####.exr`, `beauty.%04d.exr`, `beauty.@@@@.exr`, `beauty.%d.exr`. */
export interface SequencePattern {
  dir: string;
  base: string;
  /** 0 for `%d` (any number of digits). */
  padding: number;
  ext: string;
}

const PATTERN_RE = /^(.*?)(#+|@+|%0?(\d*)d)([^#@%]*)$/;

/** True when a path contains a sequence placeholder. */
export function isSequencePattern(p: string): boolean {
  return PATTERN_RE.test(path.basename(p));
}

function checkPathSafe(p: string, root?: string): string {
  if (p.includes('\0')) throw new ValidationError('sequence path contains a NUL byte');
  if (p.split(/[\\/]+/).includes('..'))
    throw new ValidationError(`sequence path must not contain "..": ${p}`, { path: p });
  const resolved = path.resolve(root ?? '.', p);
  if (root !== undefined) {
    const r = path.resolve(root);
    if (resolved !== r && !resolved.startsWith(r + path.sep))
      throw new ValidationError(`sequence path leaves its root folder: ${p}`, { path: p });
  }
  return resolved;
}

/** Parses a frame pattern. Throws ValidationError for anything else or for path traversal. */
export function parseSequencePattern(pattern: string, root?: string): SequencePattern {
  const resolved = checkPathSafe(pattern, root);
  const name = path.basename(resolved);
  const m = PATTERN_RE.exec(name);
  if (!m) throw new ValidationError(`not a frame pattern (use ####, @@@@ or %04d): ${pattern}`, { pattern });
  const token = m[2]!;
  const padding = token.startsWith('%') ? (m[3] ? Number(m[3]) : 0) : token.length;
  if (padding > 12)
    throw new ValidationError(`frame padding of ${padding} digits is not supported`, { pattern });
  const ext = m[4] ?? '';
  if (/[#@%]/.test(m[1]!))
    throw new ValidationError(`a frame pattern has one placeholder: ${pattern}`, { pattern });
  return { dir: path.dirname(resolved), base: m[1]!, padding, ext };
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

function formatPattern(base: string, padding: number, ext: string): string {
  return `${base.replace(/%/g, '%%')}${padding > 0 ? `%0${padding}d` : '%d'}${ext.replace(/%/g, '%%')}`;
}

/** Builds the sequence from parsed frame names, validating that they form one sequence. */
function build(dir: string, entries: Array<{ name: string; full: string }>): ImageSequence {
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
      { start, end },
    );
  }
  const missing: number[] = [];
  for (let f = start, i = 0; f <= end; f++) {
    if (frames[i]?.frame === f) i++;
    else missing.push(f);
  }
  return {
    dir,
    base: first.base,
    padding,
    ext: first.ext,
    pattern: formatPattern(first.base, padding, first.ext),
    frames,
    start,
    end,
    missing,
  };
}

export interface DetectSequenceOptions {
  /** When set, every path must stay inside this folder (relative paths resolve against it). */
  root?: string;
}

/**
 * Finds the frames of a sequence from a pattern (`beauty.####.exr`, `beauty.%04d.exr`,
 * `beauty.@@@@.exr`), a directory holding exactly one sequence, or a list of frame files.
 * Throws ValidationError when the input is not one well-formed sequence.
 */
export async function detectSequence(
  input: string | readonly string[],
  opts: DetectSequenceOptions = {},
): Promise<ImageSequence> {
  if (Array.isArray(input)) {
    const list = input as readonly string[];
    if (list.length === 0) throw new ValidationError('the frame list is empty');
    const resolved = list.map((p) => checkPathSafe(p, opts.root));
    const dirs = new Set(resolved.map((p) => path.dirname(p)));
    if (dirs.size !== 1) throw new ValidationError('all frames of a sequence must be in one folder');
    return build(
      [...dirs][0]!,
      resolved.map((full) => ({ name: path.basename(full), full })),
    );
  }
  const single = input as string;
  if (isSequencePattern(single)) {
    const pat = parseSequencePattern(single, opts.root);
    const names = await listFiles(pat.dir);
    const re = new RegExp(`^${escapeRe(pat.base)}(\\d+)${escapeRe(pat.ext)}$`);
    const matched = names.filter((n) => {
      const m = re.exec(n);
      if (!m) return false;
      const d = m[1]!;
      return pat.padding === 0
        ? true
        : d.length === pat.padding || (d.length > pat.padding && !d.startsWith('0'));
    });
    if (matched.length === 0) throw new ValidationError(`no frames match ${single}`, { pattern: single });
    const seq = build(
      pat.dir,
      matched.map((n) => ({ name: n, full: path.join(pat.dir, n) })),
    );
    if (pat.padding > 0) {
      seq.padding = pat.padding;
      seq.pattern = formatPattern(pat.base, pat.padding, pat.ext);
    }
    return seq;
  }
  const dir = checkPathSafe(single, opts.root);
  const stat = await fsp.stat(dir).catch(() => null);
  if (!stat?.isDirectory())
    throw new ValidationError(`not a folder, frame pattern or frame list: ${single}`, { path: single });
  const names = (await listFiles(dir)).filter((n) => !n.startsWith('.'));
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const p = parseFrameFileName(n);
    if (!p) continue;
    const key = `${p.base}\0${p.ext}`;
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  if (groups.size !== 1) {
    throw new ValidationError(
      groups.size === 0
        ? `no numbered frames in ${single}`
        : `the folder ${single} holds ${groups.size} sequences; give a pattern`,
      { path: single },
    );
  }
  const only = [...groups.values()][0]!;
  return build(
    dir,
    only.map((n) => ({ name: n, full: path.join(dir, n) })),
  );
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name);
  } catch (e) {
    throw new ValidationError(`cannot list ${dir}: ${(e as Error).message}`, { path: dir });
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The frame the thumbnail is made from: the middle existing frame. */
export function middleFrame(seq: ImageSequence): SequenceFrame {
  return seq.frames[Math.floor((seq.frames.length - 1) / 2)]!;
}

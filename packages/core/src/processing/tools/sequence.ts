import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  ValidationError,
  groupFrameNames,
  isSequencePattern,
  parseSequencePatternName,
  sequenceFromNames,
  sequenceFromPattern,
  type SequencePatternName,
} from '@montu/domain';

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

export { MAX_SEQUENCE_GAPS, isSequencePattern, parseFrameFileName } from '@montu/domain';

/** A pattern's parts, with the folder it names: `renders/beauty.####.exr`. */
export interface SequencePattern extends SequencePatternName {
  dir: string;
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
  return { dir: path.dirname(resolved), ...parseSequencePatternName(path.basename(resolved), pattern) };
}

/** The sequence the frame files in `dir` form (the naming rules are @montu/domain's). */
function build(dir: string, entries: Array<{ name: string; full: string }>): ImageSequence {
  return { dir, ...sequenceFromNames(entries) };
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
    return {
      dir: pat.dir,
      ...sequenceFromPattern(
        pat,
        names.map((n) => ({ name: n, full: path.join(pat.dir, n) })),
        single,
      ),
    };
  }
  const dir = checkPathSafe(single, opts.root);
  const stat = await fsp.stat(dir).catch(() => null);
  if (!stat?.isDirectory())
    throw new ValidationError(`not a folder, frame pattern or frame list: ${single}`, { path: single });
  const names = (await listFiles(dir)).filter((n) => !n.startsWith('.'));
  const groups = groupFrameNames(names);
  if (groups.length !== 1) {
    throw new ValidationError(
      groups.length === 0
        ? `no numbered frames in ${single}`
        : `the folder ${single} holds ${groups.length} sequences; give a pattern`,
      { path: single },
    );
  }
  const only = groups[0]!;
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

/** The frame the thumbnail is made from: the middle existing frame. */
export function middleFrame(seq: ImageSequence): SequenceFrame {
  return seq.frames[Math.floor((seq.frames.length - 1) / 2)]!;
}

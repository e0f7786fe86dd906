/**
 * Turns what was named on the `ingest` command line (files, folders, globs, sequence patterns)
 * into a plan: single files and image sequences (numbered stills of one name in one folder).
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  isSequencePattern,
  parseFrameFileName,
  parseSequencePatternName,
  sequenceFromNames,
  sequenceFromPattern,
} from '@montu/domain';

export interface PlanFile {
  kind: 'file';
  path: string;
  size: number;
}

export interface PlanSequence {
  kind: 'sequence';
  /** Full pattern path, e.g. `/renders/beauty.%04d.exr`. */
  pattern: string;
  frames: Array<{ frame: number; path: string; size: number }>;
  start: number;
  end: number;
  missing: number[];
  size: number;
}

export type PlanItem = PlanFile | PlanSequence;

export interface Plan {
  items: PlanItem[];
  /** Inputs that named nothing usable. */
  errors: Array<{ input: string; message: string }>;
}

/** Still formats that come as numbered frames. Movies and sound numbered 1, 2 … stay files. */
const FRAME_EXTENSIONS = new Set([
  '.exr',
  '.dpx',
  '.cin',
  '.png',
  '.jpg',
  '.jpeg',
  '.tif',
  '.tiff',
  '.tga',
  '.bmp',
  '.hdr',
  '.webp',
  '.sgi',
  '.rgb',
  '.psd',
]);

const GLOB_CHARS = /[*?[]/;

export async function collectInputs(
  inputs: readonly string[],
  options: { sequences?: boolean } = {},
): Promise<Plan> {
  const groupSequences = options.sequences ?? true;
  const items: PlanItem[] = [];
  const errors: Plan['errors'] = [];
  const seen = new Set<string>();
  const addFiles = async (files: string[]) => {
    const fresh = files.map((f) => path.resolve(f)).filter((f) => !seen.has(f));
    for (const f of fresh) seen.add(f);
    items.push(...(await groupFiles(fresh, groupSequences)));
  };
  for (const input of inputs) {
    const stat = await fsp.stat(input).catch(() => null);
    try {
      if (stat?.isFile()) await addFiles([input]);
      else if (stat?.isDirectory()) {
        const files = await walk(input);
        if (files.length === 0) errors.push({ input, message: 'the folder holds no files' });
        await addFiles(files);
      } else if (isSequencePattern(input)) {
        const seq = await sequenceOfPattern(input);
        const frames = await withSizes(seq.frames.map((f) => f.path));
        for (const f of frames) seen.add(f.path);
        items.push(
          sequenceItem(
            path.join(seq.dir, seq.pattern),
            seq,
            frames,
            seq.frames.map((f) => f.frame),
          ),
        );
      } else if (GLOB_CHARS.test(input)) {
        const files = await expandGlob(input);
        if (files.length === 0) errors.push({ input, message: 'no files match' });
        await addFiles(files);
      } else {
        errors.push({ input, message: 'no such file or folder' });
      }
    } catch (e) {
      errors.push({ input, message: (e as Error).message });
    }
  }
  return { items, errors };
}

/**
 * The frames a pattern (`renders/beauty.####.exr`, `%04d`, `@@@@`) names: its folder's files,
 * matched by the domain's naming rules.
 */
async function sequenceOfPattern(input: string) {
  const full = path.resolve(input);
  const dir = path.dirname(full);
  const pat = parseSequencePatternName(path.basename(full), input);
  let names: string[];
  try {
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    names = entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => e.name);
  } catch (e) {
    throw new Error(`cannot list ${dir}: ${(e as Error).message}`);
  }
  const entries = names.map((n) => ({ name: n, full: path.join(dir, n) }));
  return { dir, ...sequenceFromPattern(pat, entries, input) };
}

function sequenceItem(
  pattern: string,
  seq: { start: number; end: number; missing: number[] },
  frames: Array<{ path: string; size: number; frame?: number }>,
  frameNumbers?: number[],
): PlanSequence {
  const withFrames = frames.map((f, i) => ({
    frame: frameNumbers?.[i] ?? f.frame ?? 0,
    path: f.path,
    size: f.size,
  }));
  return {
    kind: 'sequence',
    pattern,
    frames: withFrames,
    start: seq.start,
    end: seq.end,
    missing: seq.missing,
    size: frames.reduce((n, f) => n + f.size, 0),
  };
}

async function withSizes(files: string[]): Promise<Array<{ path: string; size: number }>> {
  return Promise.all(files.map(async (f) => ({ path: f, size: (await fsp.stat(f)).size })));
}

/** Numbered stills of one name in one folder become a sequence; everything else stays a file. */
async function groupFiles(files: string[], groupSequences: boolean): Promise<PlanItem[]> {
  const out: PlanItem[] = [];
  const groups = new Map<string, string[]>();
  for (const f of files) {
    const parsed = groupSequences ? parseFrameFileName(path.basename(f)) : null;
    if (
      !parsed ||
      !FRAME_EXTENSIONS.has(parsed.ext.toLowerCase()) ||
      /[vV]$/.test(parsed.base) // shot_v001.png is a version, not a frame
    ) {
      out.push({ kind: 'file', path: f, size: (await fsp.stat(f)).size });
      continue;
    }
    const key = `${path.dirname(f)}\0${parsed.base}\0${parsed.ext}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const list of groups.values()) {
    if (list.length < 2) {
      out.push(...(await withSizes(list)).map((f) => ({ kind: 'file' as const, ...f })));
      continue;
    }
    try {
      // One folder, one base and extension (the key above): the domain says whether they are one sequence.
      const dir = path.dirname(list[0]!);
      const seq = { dir, ...sequenceFromNames(list.map((f) => ({ name: path.basename(f), full: f }))) };
      const frames = await withSizes(seq.frames.map((f) => f.path));
      out.push(
        sequenceItem(
          path.join(seq.dir, seq.pattern),
          seq,
          frames,
          seq.frames.map((f) => f.frame),
        ),
      );
    } catch {
      // Not one well-formed sequence (mixed padding, …): ingest the files one by one.
      out.push(...(await withSizes(list)).map((f) => ({ kind: 'file' as const, ...f })));
    }
  }
  return out.sort((a, b) => displayPath(a).localeCompare(displayPath(b)));
}

export function displayPath(item: PlanItem): string {
  return item.kind === 'file' ? item.path : item.pattern;
}

/** Every file under a folder, hidden ones skipped, sorted. */
export async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full)));
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/** Glob syntax (`*`, `?`, `[abc]`, `**`) as a regular expression over `/`-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        re += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Files matching a glob the shell did not expand (quoted, or on Windows). */
export async function expandGlob(pattern: string): Promise<string[]> {
  const norm = pattern.replace(/\\/g, '/');
  const parts = norm.split('/');
  const firstGlob = parts.findIndex((p) => GLOB_CHARS.test(p));
  const base = parts.slice(0, firstGlob).join('/') || (norm.startsWith('/') ? '/' : '.');
  const stat = await fsp.stat(base).catch(() => null);
  if (!stat?.isDirectory()) return [];
  const rest = parts.slice(firstGlob).join('/');
  const re = globToRegExp(rest);
  const files = await walk(base);
  return files.filter((f) => re.test(path.relative(base, f).split(path.sep).join('/')));
}

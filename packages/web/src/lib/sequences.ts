/**
 * Groups dropped files into image sequences (`name.1001.exr`, `name_0001.png`) and single files.
 * A run of at least two frames sharing prefix, padding and extension is one sequence.
 */
import { parseFrameFileName } from '@montu/domain';

/** Gaps in a sequence (a warning before upload): the domain's rule, as the server reports them. */
export { missingFrames } from '@montu/domain';

export interface NamedFile {
  name: string;
  size: number;
}
export interface SequenceGroup<F extends NamedFile> {
  kind: 'sequence';
  /** `shot.####.exr` */
  pattern: string;
  frames: Array<{ frame: number; file: F }>;
  size: number;
}
export interface SingleFile<F extends NamedFile> {
  kind: 'file';
  file: F;
}
export type UploadItem<F extends NamedFile> = SequenceGroup<F> | SingleFile<F>;

const STILL = /\.(exr|dpx|png|jpe?g|tiff?|tga|cin|hdr|webp|bmp|jxl|avif)$/i;

export function groupSequences<F extends NamedFile>(files: readonly F[]): UploadItem<F>[] {
  const buckets = new Map<string, Array<{ frame: number; file: F }>>();
  const singles: F[] = [];
  for (const f of files) {
    // What a frame number in a file name is: the domain's rule (also the CLI's and the server's).
    const p = parseFrameFileName(f.name);
    if (!p || !p.ext || !STILL.test(f.name)) {
      singles.push(f);
      continue;
    }
    const key = `${p.base}\u0000${p.digits.length}\u0000${p.ext.toLowerCase()}`;
    const list = buckets.get(key) ?? [];
    list.push({ frame: p.frame, file: f });
    buckets.set(key, list);
  }
  const out: UploadItem<F>[] = [];
  for (const [key, frames] of buckets) {
    if (frames.length < 2) {
      singles.push(frames[0]!.file);
      continue;
    }
    const [prefix, pad, ext] = key.split('\u0000') as [string, string, string];
    frames.sort((a, b) => a.frame - b.frame);
    out.push({
      kind: 'sequence',
      pattern: `${prefix}${'#'.repeat(Number(pad))}${ext}`,
      frames,
      size: frames.reduce((s, f) => s + f.file.size, 0),
    });
  }
  for (const file of singles) out.push({ kind: 'file', file });
  return out.sort((a, b) => label(a).localeCompare(label(b)));
}

const label = (i: UploadItem<NamedFile>): string => (i.kind === 'file' ? i.file.name : i.pattern);

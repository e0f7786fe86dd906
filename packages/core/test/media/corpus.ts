import fs from 'node:fs';
import path from 'node:path';

/** The shared test corpus (README.md + manifest.json); tests skip when it is absent. */
export const CORPUS_DIR =
  process.env['MONTU_CORPUS'] ?? path.resolve(import.meta.dirname, '../../../../../shared/corpus');
export const HAVE_CORPUS = fs.existsSync(path.join(CORPUS_DIR, 'manifest.json'));

export interface ManifestEntry {
  path: string;
  kind: 'image' | 'video' | 'audio' | 'broken';
  size: number;
  sha256: string;
  note: string;
  // The manifest's expected block differs per kind; tests read it field by field.
  expected: Record<string, unknown> & {
    video?: Record<string, unknown> | null;
    audio?: Record<string, unknown> | null;
    ffmpeg?: Record<string, unknown>;
    ffprobe?: Record<string, unknown>;
    exiftool?: Record<string, unknown>;
    oiiotool?: Record<string, unknown>;
  };
}

export function loadManifest(): ManifestEntry[] {
  if (!HAVE_CORPUS) return [];
  const m = JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, 'manifest.json'), 'utf8')) as {
    files: ManifestEntry[];
  };
  return m.files;
}

export function corpusPath(e: ManifestEntry): string {
  return path.join(CORPUS_DIR, e.path);
}

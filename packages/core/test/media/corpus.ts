import fs from 'node:fs';
import path from 'node:path';
import { EXTRA_CORPUS, HAVE_EXTRA_CORPUS } from '../helpers/env.js';

/**
 * The larger test corpus (README.md + manifest.json), optional: the tests over every one of its
 * files, or over files only it has, skip when it is absent.
 */
export const CORPUS_DIR = EXTRA_CORPUS;
export const HAVE_CORPUS = HAVE_EXTRA_CORPUS;

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

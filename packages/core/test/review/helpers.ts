import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { makePng } from '../helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../helpers/montu.js';

export const TASK = 'ep01_sq010_sh020_comp';

/** A small 23.976 fps H.264 movie (testsrc), `frames` long, made with ffmpeg. */
export function makeMovie(dir: string, frames = 48, name = 'movie.mp4', size = '64x36'): string {
  const file = path.join(dir, name);
  execFileSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${size}:rate=24000/1001`,
    '-frames:v',
    String(frames),
    '-pix_fmt',
    'yuv420p',
    '-c:v',
    'libx264',
    file,
  ]);
  return file;
}

export interface ReviewFixture {
  lib: TestLibrary;
  png: string;
  upload(opts?: {
    taskId?: string;
    author?: string;
    file?: string;
    metadata?: Record<string, unknown>;
  }): Promise<string>;
}

export async function reviewFixture(kind: 'sqlite' | 'postgres'): Promise<ReviewFixture> {
  // Processing off: tests set the metadata (fps, frame counts) they need, nothing overwrites it.
  const lib = await openTestLibrary(kind, { jobs: false });
  const png = await makePng(path.join(lib.dir, 'plate.png'), 64, 32);
  return {
    lib,
    png,
    async upload(opts = {}) {
      const id = await lib.montu.media.uploadMedia({
        filePath: opts.file ?? png,
        projectId: 'SWA',
        taskId: opts.taskId ?? TASK,
        author: opts.author ?? 'ann',
      });
      if (opts.metadata) await lib.montu.media.updateMediaMetadata(id, { metadata: opts.metadata });
      return id;
    },
  };
}

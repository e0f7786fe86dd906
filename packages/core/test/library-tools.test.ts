/**
 * Tool paths and decoder processes are a library's own (decision 157): openMontu makes them from
 * its configuration and passes them down, so two libraries in one process run different tools,
 * and nothing reads the environment when a tool runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestLibrary, type TestLibrary } from './helpers/montu.js';
import { tempDir } from './helpers/env.js';
import { ffmpeg, TOOLS } from './media/helpers.js';

/** An ffmpeg that notes each run in `log`, then runs the real one. */
function loggingFfmpeg(dir: string, name: string): { tool: string; log: string } {
  const real = TOOLS.find('ffmpeg');
  if (!real) throw new Error('ffmpeg is not installed');
  const tool = path.join(dir, name);
  const log = path.join(dir, `${name}.log`);
  fs.writeFileSync(tool, `#!/bin/sh\necho "$@" >> "${log}"\nexec "${real}" "$@"\n`, { mode: 0o755 });
  return { tool, log };
}

const runs = (log: string) => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []);

describe('tools per library', () => {
  let dir: string;
  let clip: string;
  let a: TestLibrary;
  let b: TestLibrary;
  let toolA: { tool: string; log: string };
  let toolB: { tool: string; log: string };

  beforeAll(async () => {
    dir = tempDir('montu-tools-');
    clip = path.join(dir, 'clip.mov');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x90:rate=24',
      '-t',
      '1',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
    toolA = loggingFfmpeg(dir, 'ffmpeg-a');
    toolB = loggingFfmpeg(dir, 'ffmpeg-b');
    a = await openTestLibrary('sqlite', { tools: { ffmpeg: toolA.tool } });
    b = await openTestLibrary('sqlite', { tools: { ffmpeg: toolB.tool } });
  });
  afterAll(async () => {
    await a?.cleanup();
    await b?.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('two libraries in one process run their own ffmpeg, whatever the environment says meanwhile', async () => {
    expect(a.montu.tools.paths.ffmpeg).toBe(toolA.tool);
    expect(b.montu.tools.paths.ffmpeg).toBe(toolB.tool);
    // Each library has its own decoder processes.
    expect(a.montu.tools.decoders()).not.toBe(b.montu.tools.decoders());

    // Read once at open: a changed environment does not reach a running library.
    const before = process.env['MONTU_FFMPEG'];
    process.env['MONTU_FFMPEG'] = path.join(dir, 'no-such-ffmpeg');
    try {
      const upload = (lib: TestLibrary, taskId: string) =>
        lib.montu.media.uploadMedia({ filePath: clip, projectId: 'TLS', taskId, author: 'ana', wait: true });
      const [idA, idB] = await Promise.all([upload(a, 'sh010'), upload(b, 'sh020')]);
      for (const [lib, id] of [
        [a, idA],
        [b, idB],
      ] as const) {
        const m = await lib.montu.media.getMediaById(id);
        expect(m.processingState).toBe('ready');
        expect(m.files.map((f) => f.role)).toEqual(expect.arrayContaining(['thumbnail', 'proxy']));
      }
    } finally {
      if (before === undefined) delete process.env['MONTU_FFMPEG'];
      else process.env['MONTU_FFMPEG'] = before;
    }
    // Each ffmpeg ran for its own library's clip only (the stored file names carry the task).
    const ranA = runs(toolA.log);
    const ranB = runs(toolB.log);
    expect(ranA.length).toBeGreaterThan(0);
    expect(ranB.length).toBeGreaterThan(0);
    expect(ranA.every((args) => !args.includes('sh020'))).toBe(true);
    expect(ranB.every((args) => !args.includes('sh010'))).toBe(true);
  });
});

/**
 * Memory caps on external tools: `runTool` runs every tool through `prlimit --as=<bytes> --`
 * (MediaLimits.toolMemoryBytes, default 8 GiB) when /usr/bin/prlimit exists. A real ffmpeg with a
 * cap far below what it needs fails with a ProcessingError naming the cap; with the default it runs.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProcessingError } from '@montu/domain';
import { DEFAULT_MEDIA_LIMITS } from '../../src/processing/tools/limits.js';
import { PRLIMIT, runTool } from '../../src/processing/tools/tools.js';
import { TOOLS } from './helpers.js';

const hasPrlimit = fs.existsSync(PRLIMIT);
const ARGS = [
  '-hide_banner',
  '-nostdin',
  '-f',
  'lavfi',
  '-i',
  'testsrc=size=1280x720:rate=25',
  '-frames:v',
  '5',
  '-f',
  'null',
  '-',
];

describe.skipIf(!hasPrlimit)('tool memory cap (prlimit)', () => {
  it('defaults to 8 GiB', () => {
    expect(DEFAULT_MEDIA_LIMITS.toolMemoryBytes).toBe(8 * 1024 ** 3);
  });

  it('runs ffmpeg under the default cap', async () => {
    await expect(runTool(TOOLS.paths.ffmpeg, ARGS, { timeoutMs: 60_000 })).resolves.toBeDefined();
  });

  it('fails ffmpeg exceeding a tiny cap with a ProcessingError', async () => {
    const cap = 16 * 1024 * 1024;
    const err = await runTool(TOOLS.paths.ffmpeg, ARGS, { timeoutMs: 60_000, memoryBytes: cap }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProcessingError);
    const pe = err as ProcessingError;
    expect(pe.message).toContain(`memory cap ${cap} bytes`);
    expect(pe.details?.['memoryLimitBytes']).toBe(cap);
  });

  it('applies the cap to the tool itself (RLIMIT_AS read back from /proc)', async () => {
    const cap = 3 * 1024 ** 3;
    // prlimit execs the tool: cat reads its own limits.
    const { stdout } = await runTool('/bin/cat', ['/proc/self/limits'], {
      timeoutMs: 10_000,
      memoryBytes: cap,
    });
    expect(stdout.toString()).toMatch(new RegExp(`Max address space\\s+${cap}\\s+${cap}\\s+bytes`));
  });
});

/**
 * A write that fails (a full disk) while its slab is still being hashed must stop the sink.
 * It used to leave the sink taking bytes into a full slab it could no longer hand on, and its
 * copy loop spun for ever at 100 % CPU (issue 20, item 1: the whole server hung). The sink runs
 * in a child process against the built code, so the old behaviour fails this test instead of
 * hanging the test runner.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/sink-into-full-disk.mjs');

describe.skipIf(!fs.existsSync('/dev/full'))('sinkToFile on a full disk', () => {
  it('rejects with ENOSPC instead of spinning when a write fails during the hash', async () => {
    const child = spawn(process.execPath, [SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // Not a timing assertion: a hang detector far above the ~2 s this takes on a loaded machine.
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('exit', (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    expect(signal, 'the sink never settled (killed)').toBeNull();
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ rejected: 'ENOSPC' });
  });
});

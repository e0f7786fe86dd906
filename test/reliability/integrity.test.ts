/** Integrity scrubbing: `maintenance.verify` and `montu verify` flag a stored file with one flipped byte. */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS } from '../../packages/core/test/helpers/env.js';
import { openTestLibrary, type TestLibrary } from '../../packages/core/test/helpers/montu.js';

const BIN = path.resolve('packages/cli/dist/bin.js');

describe('integrity scrubbing (sqlite, local)', () => {
  let lib: TestLibrary;
  const ids: string[] = [];

  beforeAll(async () => {
    lib = await openTestLibrary('sqlite', { jobs: false });
    for (const f of ['image/ExifTool.jpg', 'image/GammaChart.exr', 'image/tga_id_field.tga']) {
      ids.push(
        await lib.montu.media.uploadMedia({
          filePath: path.join(CORPUS, 'media', f),
          projectId: 'VER',
          taskId: 'ep01_sq010_sh010_comp',
          author: 'qa',
        }),
      );
    }
  });
  afterAll(async () => lib?.cleanup());

  it('finds nothing wrong in a healthy library, and samples when asked', async () => {
    const all = await lib.montu.maintenance.verify({ sample: 'all' });
    expect(all).toMatchObject({ checked: 3, clean: true, corrupt: [], missing: [] });
    expect(all.bytes).toBeGreaterThan(0);
    expect((await lib.montu.maintenance.verify({ sample: 2 })).checked).toBe(2);
    await expect(lib.montu.maintenance.verify({ sample: 0 })).rejects.toThrow(/sample/);
  });

  it('flags one flipped byte (library and CLI), marks the file corrupt and records it in history', async () => {
    const m = await lib.montu.media.getMediaById(ids[1]!);
    const original = m.files.find((f) => f.role === 'original')!;
    const file = path.join(lib.storageRoot, original.key);
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    fs.writeFileSync(file, bytes);

    const dry = await lib.montu.maintenance.verify({ dryRun: true });
    expect(dry.clean).toBe(false);
    expect(dry.corrupt.map((c) => c.key)).toEqual([original.key]);
    expect(dry.corrupt[0]!.expected).toBe(original.sha256);

    await lib.montu.close(); // the CLI opens the library itself
    const r = spawnSync(
      process.execPath,
      [BIN, 'verify', '--data-dir', lib.dir, '--database-url', lib.databaseUrl, '--json'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(7);
    const report = JSON.parse(r.stdout) as { corrupt: Array<{ key: string }>; checked: number };
    expect(report.checked).toBe(3);
    expect(report.corrupt.map((c) => c.key)).toEqual([original.key]);
    await lib.reopen({ jobs: false });

    const after = await lib.montu.media.getMediaById(ids[1]!);
    expect(after.files.find((f) => f.role === 'original')!.state).toBe('corrupt');
    const history = await lib.montu.history.forSubject('media', ids[1]!);
    expect(history.some((h) => h.action === 'file.corrupt' && h.actor === 'verify')).toBe(true);
    // Once flagged, the file is not re-flagged, and the others stay clean.
    const again = await lib.montu.maintenance.verify();
    expect(again).toMatchObject({ checked: 2, clean: true });
  });
});

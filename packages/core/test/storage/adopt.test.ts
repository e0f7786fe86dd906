import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalStorage, ValidationError } from '../../src/index.js';
import { tempDir } from '../helpers/env.js';

describe('LocalStorage.adopt (move a received file into storage)', () => {
  const dir = tempDir();
  const storage = new LocalStorage(path.join(dir, 'storage'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('moves the file into place with its size and sha256, consuming it', async () => {
    const src = path.join(dir, 'incoming.bin');
    const bytes = Buffer.alloc(3 << 20, 9);
    fs.writeFileSync(src, bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const stored = await storage.adopt(src, 'P/t/v001/plate.exr', { expectedSha256: sha });
    expect(stored).toEqual({ key: 'P/t/v001/plate.exr', size: bytes.length, sha256: sha });
    expect(fs.existsSync(src)).toBe(false);
    expect(fs.readFileSync(storage.localPath('P/t/v001/plate.exr')).equals(bytes)).toBe(true);
  });

  it('keeps nothing in storage on a checksum mismatch', async () => {
    const src = path.join(dir, 'bad.bin');
    fs.writeFileSync(src, 'hello');
    await expect(
      storage.adopt(src, 'P/t/v002/bad.bin', { expectedSha256: '0'.repeat(64) }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await storage.stat('P/t/v002/bad.bin')).toBeNull();
  });
});

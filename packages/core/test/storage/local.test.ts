import { createHash, randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFound, StorageError, ValidationError } from '@montu/domain';
import { LocalStorage } from '../../src/storage/local.js';
import { TEMP_DIR } from '../../src/storage/keys.js';
import { SLAB_BYTES } from '../../src/storage/file-sink.js';
import { HOST, OWNER } from '../../src/storage/owner.js';

let root: string;
let st: LocalStorage;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-local-'));
  st = new LocalStorage(root);
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function tempFiles(): string[] {
  return fs.existsSync(path.join(root, TEMP_DIR)) ? fs.readdirSync(path.join(root, TEMP_DIR)) : [];
}

async function keys(prefix?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of st.list(prefix)) out.push(o.key);
  return out;
}

describe('LocalStorage', () => {
  it('stores, hashes, stats, lists and deletes', async () => {
    const data = randomBytes(100_000);
    const stored = await st.put('SWA/ep01_sq010_sh020_lighting/v001/beauty.exr', Readable.from([data]));
    expect(stored).toEqual({
      key: 'SWA/ep01_sq010_sh020_lighting/v001/beauty.exr',
      size: data.length,
      sha256: sha(data),
    });
    expect(await readAll(await st.get(stored.key))).toEqual(data);
    expect((await st.stat(stored.key))?.size).toBe(data.length);
    expect(await keys()).toEqual([stored.key]);
    expect(await keys('SWA/')).toEqual([stored.key]);
    expect(await keys('SW')).toEqual([]);
    expect(tempFiles()).toEqual([]);
    await st.delete(stored.key);
    await st.delete(stored.key); // idempotent
    expect(await st.stat(stored.key)).toBeNull();
    await expect(st.get(stored.key)).rejects.toBeInstanceOf(NotFound);
    // Emptied folders are removed, the root and temp area stay.
    expect(fs.readdirSync(root)).toEqual([TEMP_DIR]);
  });

  it('is atomic: an in-flight write is invisible, and an overwrite never exposes a partial file', async () => {
    const old = Buffer.alloc(3 * 1024 * 1024, 'a');
    await st.put('shot/file.bin', Readable.from([old]));

    const source = new PassThrough();
    const writing = st.put('shot/file.bin', source);
    const fresh = Buffer.alloc(3 * 1024 * 1024, 'b');
    source.write(fresh.subarray(0, 1024 * 1024));
    await new Promise((r) => setTimeout(r, 50));
    // Half written: readers still see the old file whole, the new bytes sit in the temp area.
    expect(sha(await readAll(await st.get('shot/file.bin')))).toBe(sha(old));
    expect(tempFiles()).toHaveLength(1);
    expect(tempFiles()[0]).toMatch(
      new RegExp(`^${OWNER.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}~[0-9a-f]{16}\\.part$`),
    );
    expect(await keys()).toEqual(['shot/file.bin']);
    // A reader that opened the old file keeps reading it across the rename.
    const oldReader = await st.get('shot/file.bin');
    await once(oldReader, 'ready'); // the file descriptor is open before the rename
    source.end(fresh.subarray(1024 * 1024));
    await writing;
    expect(sha(await readAll(oldReader))).toBe(sha(old));
    expect(sha(await readAll(await st.get('shot/file.bin')))).toBe(sha(fresh));
    expect(tempFiles()).toEqual([]);

    // A new key under write does not exist until the write completes.
    const s2 = new PassThrough();
    const w2 = st.put('shot/new.bin', s2);
    s2.write(Buffer.alloc(1000));
    await new Promise((r) => setTimeout(r, 20));
    expect(await st.stat('shot/new.bin')).toBeNull();
    s2.end();
    await w2;
    expect((await st.stat('shot/new.bin'))?.size).toBe(1000);
  });

  it('reads ranges: first byte, middle, last byte, open-ended; refuses ranges outside the file', async () => {
    const data = randomBytes(5000);
    await st.put('r/blob', Readable.from([data]));
    expect(await readAll(await st.get('r/blob', { start: 0, end: 0 }))).toEqual(data.subarray(0, 1));
    expect(await readAll(await st.get('r/blob', { start: 1000, end: 2999 }))).toEqual(
      data.subarray(1000, 3000),
    );
    expect(await readAll(await st.get('r/blob', { start: 4999, end: 4999 }))).toEqual(data.subarray(4999));
    expect(await readAll(await st.get('r/blob', { start: 4000 }))).toEqual(data.subarray(4000));
    await expect(st.get('r/blob', { start: 0, end: 5000 })).rejects.toBeInstanceOf(ValidationError);
    await expect(st.get('r/blob', { start: 5000 })).rejects.toBeInstanceOf(ValidationError);
    await expect(st.get('r/blob', { start: 10, end: 9 })).rejects.toBeInstanceOf(ValidationError);
    await expect(st.get('r/blob', { start: -1, end: 9 })).rejects.toBeInstanceOf(ValidationError);
    await expect(st.get('r/blob', { start: 1.5, end: 9 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('putFile stores a copy of a local file as put does, small (read into a slab) or large (streamed)', async () => {
    const src = path.join(root, 'source');
    fs.mkdirSync(src);
    for (const size of [
      0,
      1,
      4096,
      4097,
      100_000,
      2_500_001,
      SLAB_BYTES - 1,
      SLAB_BYTES,
      SLAB_BYTES + 4097,
    ]) {
      const data = randomBytes(size);
      const file = path.join(src, `f${size}`);
      fs.writeFileSync(file, data);
      const key = `P/t/v001/f${size}.bin`;
      const stored = await st.putFile(file, key);
      expect(stored).toEqual({ key, size, sha256: sha(data) });
      expect((await readAll(await st.get(key))).equals(data)).toBe(true);
      // The source stays as it was.
      expect(fs.readFileSync(file).equals(data)).toBe(true);
      expect(tempFiles()).toEqual([]);
    }
    // An existing object is replaced whole.
    fs.writeFileSync(path.join(src, 'again'), 'again');
    await st.putFile(path.join(src, 'again'), 'P/t/v001/f1.bin');
    expect((await readAll(await st.get('P/t/v001/f1.bin'))).toString()).toBe('again');
  });

  it("putFile writes a small file's whole blocks past the page cache (O_DIRECT), its last partial block through it", async () => {
    // What is in the page cache after the write tells the two apart: a buffered write leaves every
    // page there; a direct one only the tail's. Needs util-linux's fincore and a filesystem that
    // takes O_DIRECT (ext4, xfs; not every network filesystem).
    const probe = path.join(root, 'direct-probe');
    fs.writeFileSync(probe, '');
    let direct = true;
    try {
      fs.closeSync(fs.openSync(probe, fs.constants.O_WRONLY | fs.constants.O_DIRECT));
    } catch {
      direct = false;
    }
    const fincore = spawnSync('fincore', ['--version']).status === 0;
    if (!direct || !fincore) return;
    const data = randomBytes(2_500_001);
    const file = path.join(root, 'render.jpg');
    fs.writeFileSync(file, data);
    const stored = await st.putFile(file, 'P/t/v001/render.jpg');
    expect(stored.sha256).toBe(sha(data));
    const out = spawnSync(
      'fincore',
      ['--noheadings', '--raw', '--output', 'PAGES', path.join(root, 'P/t/v001/render.jpg')],
      {
        encoding: 'utf8',
      },
    );
    expect(Number(out.stdout.trim())).toBeLessThanOrEqual(1);
    expect(fs.readFileSync(path.join(root, 'P/t/v001/render.jpg')).equals(data)).toBe(true);
  });

  it('putFile refuses what put refuses (size limit, checksum, missing file) and keeps nothing', async () => {
    const file = path.join(root, 'plate.bin');
    const data = randomBytes(5000);
    fs.writeFileSync(file, data);
    await expect(st.putFile(file, 'm/big', { maxBytes: 4999 })).rejects.toThrow(
      /larger than the limit of 4999 bytes/,
    );
    await expect(st.putFile(file, 'm/bad', { expectedSha256: sha(Buffer.from('other')) })).rejects.toThrow(
      /Checksum mismatch.*Nothing was stored/,
    );
    await expect(st.putFile(path.join(root, 'missing.bin'), 'm/missing')).rejects.toThrow();
    for (const k of ['m/big', 'm/bad', 'm/missing']) expect(await st.stat(k)).toBeNull();
    expect(tempFiles()).toEqual([]);
    const ok = await st.putFile(file, 'm/ok', { maxBytes: 5000, expectedSha256: sha(data) });
    expect(ok).toEqual({ key: 'm/ok', size: 5000, sha256: sha(data) });
  });

  it('enforces maxBytes and keeps nothing', async () => {
    await expect(
      st.put('m/big', Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), { maxBytes: 1000 }),
    ).rejects.toThrow(/larger than the limit of 1000 bytes/);
    expect(await st.stat('m/big')).toBeNull();
    expect(tempFiles()).toEqual([]);
    expect((await st.put('m/ok', Readable.from([Buffer.alloc(1000)]), { maxBytes: 1000 })).size).toBe(1000);
  });

  it('keeps nothing when the expected sha256 does not match, and accepts a match in any case', async () => {
    const data = Buffer.from('frame 1001');
    await st.put('x/keep.txt', Readable.from([Buffer.from('previous')]));
    const e = await st
      .put('x/keep.txt', Readable.from([data]), { expectedSha256: sha(Buffer.from('other')) })
      .catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as Error).message).toMatch(/Checksum mismatch.*Nothing was stored/);
    // The previous content is untouched, and no temporary file remains.
    expect((await readAll(await st.get('x/keep.txt'))).toString()).toBe('previous');
    expect(tempFiles()).toEqual([]);
    await expect(st.put('x/new.txt', Readable.from([data]), { expectedSha256: 'zz' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(await st.stat('x/new.txt')).toBeNull();
    const ok = await st.put('x/new.txt', Readable.from([data]), { expectedSha256: sha(data).toUpperCase() });
    expect(ok.sha256).toBe(sha(data));
  });

  it('cleans up after a failing source stream', async () => {
    async function* failing(): AsyncIterable<Uint8Array> {
      yield Buffer.alloc(1000);
      throw new Error('upload interrupted');
    }
    await expect(st.put('f/broken', failing())).rejects.toThrow(/upload interrupted/);
    expect(await st.stat('f/broken')).toBeNull();
    expect(tempFiles()).toEqual([]);
  });

  it('rejects keys that could leave the root; encoded forms are literal characters', async () => {
    const bad = [
      '..',
      '../escape',
      'a/../../escape',
      'a/./b',
      '/etc/passwd',
      'C:/windows',
      'a\\..\\b',
      'a\\b',
      'a\u0000b',
      'a\u0001b',
      'a\nb',
      'a\u007fb',
      '',
      'a//b',
      'a/',
      `${TEMP_DIR}/x.part`,
      'x'.repeat(1025),
    ];
    for (const key of bad) {
      await expect(
        st.put(key, Readable.from([Buffer.from('x')])),
        JSON.stringify(key),
      ).rejects.toBeInstanceOf(StorageError);
      await expect(st.get(key), JSON.stringify(key)).rejects.toBeInstanceOf(StorageError);
      await expect(st.stat(key)).rejects.toBeInstanceOf(StorageError);
      await expect(st.delete(key)).rejects.toBeInstanceOf(StorageError);
    }
    const outside = path.join(path.dirname(root), 'escape');
    expect(fs.existsSync(outside)).toBe(false);

    for (const key of ['%2e%2e/x', '..%2Fx', '%2F/abs', 'a%00b', 'é/ünïcode file.exr']) {
      const stored = await st.put(key, Readable.from([Buffer.from(key)]));
      expect(fs.readFileSync(path.join(root, ...key.split('/'))).toString()).toBe(key);
      expect((await readAll(await st.get(stored.key))).toString()).toBe(key);
    }
  });

  it('sweeps temporary files of dead writers (exited or SIGKILLed), never live or in-flight ones', async () => {
    const tempDir = path.join(root, TEMP_DIR);
    const writer = `
      const fs = require('node:fs'); const path = require('node:path');
      const name = process.argv[1] + '~' + process.pid + '~' + process.argv[3] + '.part';
      fs.writeFileSync(path.join(process.argv[2], name), 'partial');
      process.stdout.write(name + '\\n');
      if (process.argv[4] === 'hang') setInterval(() => {}, 1000);
    `;
    // 1. A writer that exits normally after leaving a temp file.
    const exited = spawnSync(process.execPath, ['-e', writer, HOST, tempDir, 'aaaaaaaaaaaaaaaa', 'exit']);
    const exitedName = exited.stdout.toString().trim();
    // 2. A writer SIGKILLed mid-write.
    const killed = spawn(process.execPath, ['-e', writer, HOST, tempDir, 'bbbbbbbbbbbbbbbb', 'hang']);
    const killedName = await new Promise<string>((resolve) =>
      killed.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
    );
    // 3. A live writer.
    const live = spawn(process.execPath, ['-e', writer, HOST, tempDir, 'cccccccccccccccc', 'hang']);
    const liveName = await new Promise<string>((resolve) =>
      live.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
    );
    try {
      await new Promise<void>((resolve) => {
        killed.once('exit', () => resolve());
        killed.kill('SIGKILL');
      });
      // 4. A write of our own in flight.
      const source = new PassThrough();
      const inFlight = st.put('sweep/in-flight.bin', source);
      // Should an expectation below fail, the write still settles before the folder is removed.
      inFlight.catch(() => undefined);
      source.write(Buffer.alloc(1024));
      // The write opens its temp file asynchronously; wait for it however busy the machine is.
      let ownTemp: string | undefined;
      while (!(ownTemp = tempFiles().find((n) => n.startsWith(`${OWNER}~`)))) {
        await new Promise((r) => setTimeout(r, 10));
      }

      const dry = await st.sweepTemporary({ dryRun: true });
      expect(dry.found.sort()).toEqual([`${TEMP_DIR}/${exitedName}`, `${TEMP_DIR}/${killedName}`].sort());
      expect(dry.removed).toEqual([]);
      expect(tempFiles()).toHaveLength(4);

      const wet = await st.sweepTemporary({ dryRun: false });
      expect(wet.removed.sort()).toEqual(dry.found.sort());
      expect(tempFiles().sort()).toEqual([liveName, ownTemp!].sort());

      source.end(Buffer.alloc(1024));
      expect((await inFlight).size).toBe(2048);
      expect(tempFiles()).toEqual([liveName]);
    } finally {
      live.kill('SIGKILL');
    }
    await new Promise((r) => live.once('exit', r));
    expect((await st.sweepTemporary({ dryRun: false })).removed).toEqual([`${TEMP_DIR}/${liveName}`]);
    expect(tempFiles()).toEqual([]);
  });

  it('sweeps a leftover temp file carrying our own owner id when no write of ours owns it', async () => {
    const leftover = `${OWNER}~dddddddddddddddd.part`;
    fs.writeFileSync(path.join(root, TEMP_DIR, leftover), 'x');
    expect(await st.sweepTemporary({ dryRun: false })).toEqual({
      found: [`${TEMP_DIR}/${leftover}`],
      removed: [`${TEMP_DIR}/${leftover}`],
    });
  });

  it('never lists the temporary area', async () => {
    fs.writeFileSync(path.join(root, TEMP_DIR, 'stray.part'), 'x');
    await st.put('a/b.txt', Readable.from([Buffer.from('b')]));
    expect(await keys()).toEqual(['a/b.txt']);
  });
});

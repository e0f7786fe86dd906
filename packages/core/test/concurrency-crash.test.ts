import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openMontu } from '../src/index.js';
import { DATABASES, freshDatabase, makePng, tempDir } from './helpers/env.js';

const coreDist = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../dist/index.js');

describe.each(DATABASES)('concurrency and crashes on %s', (kind) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup() {
    const dir = tempDir();
    const db = await freshDatabase(kind, dir);
    const storageRoot = path.join(dir, 'storage');
    const open = () =>
      openMontu({
        dataDir: dir,
        databaseUrl: db.url,
        storage: { type: 'local', root: storageRoot },
        jobs: false,
      });
    cleanups.push(async () => {
      await db.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return { dir, db, storageRoot, open };
  }

  it('gives 50 concurrent uploads into one task 50 distinct versions v001…v050', async () => {
    const { dir, open } = await setup();
    const montu = await open();
    try {
      const png = await makePng(path.join(dir, 'p.png'));
      const ids = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          montu.media.uploadMedia({
            filePath: png,
            projectId: 'RACE',
            taskId: 'sq1_sh1_comp',
            author: `artist${i}`,
          }),
        ),
      );
      expect(new Set(ids).size).toBe(50);
      const versions = await montu.media.getMediaVersions('sq1_sh1_comp');
      expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => `v${String(i + 1).padStart(3, '0')}`));
      const keys = (await montu.media.getMediaByTask('sq1_sh1_comp')).map((m) => m.files[0]!.key);
      expect(new Set(keys).size).toBe(50);
    } finally {
      await montu.close();
    }
  });

  it('gives concurrent uploads from two processes distinct versions', async () => {
    const { dir, db, storageRoot } = await setup();
    const png = await makePng(path.join(dir, 'p.png'));
    // Two separate processes on the same database: the constraint, not process memory, decides.
    const script = `
      const { openMontu } = await import(${JSON.stringify(coreDist)});
      const m = await openMontu({ dataDir: ${JSON.stringify(dir)}, databaseUrl: ${JSON.stringify(db.url)},
        storage: { type: 'local', root: ${JSON.stringify(storageRoot)} }, jobs: false });
      await Promise.all(Array.from({ length: 15 }, () =>
        m.media.uploadMedia({ filePath: ${JSON.stringify(png)}, projectId: 'RACE', taskId: 'two_procs', author: 'p' + process.pid })));
      await m.close();`;
    const run = () =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        child.on('exit', (code) => resolve(code ?? 1));
      });
    expect(await Promise.all([run(), run()])).toEqual([0, 0]);
    const montu = await openMontu({
      dataDir: dir,
      databaseUrl: db.url,
      storage: { type: 'local', root: storageRoot },
      jobs: false,
    });
    try {
      expect(await montu.media.getMediaVersions('two_procs')).toHaveLength(30);
    } finally {
      await montu.close();
    }
  });

  it('leaves no record and no visible partial file when the uploading process is killed mid-stream', async () => {
    const { dir, db, storageRoot, open } = await setup();
    const png = fs.readFileSync(await makePng(path.join(dir, 'p.png')));
    // The child streams a PNG header followed by a slow, endless body; we kill it once bytes landed.
    const script = `
      const { Readable } = await import('node:stream');
      const { openMontu } = await import(${JSON.stringify(coreDist)});
      const m = await openMontu({ dataDir: ${JSON.stringify(dir)}, databaseUrl: ${JSON.stringify(db.url)},
        storage: { type: 'local', root: ${JSON.stringify(storageRoot)} }, jobs: false });
      const head = Buffer.from(${JSON.stringify(png.toString('base64'))}, 'base64');
      const chunk = Buffer.alloc(1 << 20, 7);
      async function* body() { yield head; for (;;) { yield chunk; await new Promise((r) => setTimeout(r, 5)); } }
      await m.media.uploadMedia({ stream: Readable.from(body()), fileName: 'huge.png', projectId: 'CRASH', taskId: 'big', author: 'k' });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const tmp = path.join(storageRoot, '.montu-tmp');
    // Wait until at least 20 MB of the upload sit in the temporary area, then SIGKILL.
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 60_000;
      const poll = () => {
        const size = fs.existsSync(tmp)
          ? fs.readdirSync(tmp).reduce((n, f) => n + fs.statSync(path.join(tmp, f)).size, 0)
          : 0;
        if (size > 20 << 20) return resolve();
        if (Date.now() > deadline) return reject(new Error('upload did not start'));
        setTimeout(poll, 20);
      };
      poll();
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(fs.readdirSync(tmp).length).toBe(1);

    const montu = await open();
    try {
      expect((await montu.media.searchMedia({ projectId: 'CRASH', archived: 'include' })).items).toEqual([]);
      const visible = [...listFiles(storageRoot)].filter((f) => !f.startsWith('.montu-tmp'));
      expect(visible).toEqual([]);
      // Opening the library swept the dead upload's temporary file and version claim.
      expect(fs.readdirSync(tmp)).toEqual([]);
      const report = await montu.maintenance.cleanupOrphanedFiles({ dryRun: true });
      expect(report.clean).toBe(true);
      // The task's next upload is v001: the dead claim did not burn a version.
      const id = await montu.media.uploadMedia({
        stream: bufferStream(png),
        fileName: 'ok.png',
        projectId: 'CRASH',
        taskId: 'big',
        author: 'k',
      });
      expect((await montu.media.getMediaById(id)).version).toBe('v001');
    } finally {
      await montu.close();
    }
  });

  it("keeps a client's sequence upload when the process that started it dies; sweeps a local one", async () => {
    const { dir, db, storageRoot, open } = await setup();
    const png = await makePng(path.join(dir, 'p.png'));
    const frames = [1001, 1002, 1003, 1004];
    const lib = `const { openMontu } = await import(${JSON.stringify(coreDist)});
      const m = await openMontu({ dataDir: ${JSON.stringify(dir)}, databaseUrl: ${JSON.stringify(db.url)},
        storage: { type: 'local', root: ${JSON.stringify(storageRoot)} }, jobs: false });
      const fs = await import('node:fs');`;
    const runChild = (script: string) =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', lib + script], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString()));
        child.on('exit', () => resolve(out.trim()));
      });
    // A server process starts a client's upload, receives two frames and is killed.
    const uploadId = await runChild(`
      const up = await m.sequences.startSequenceUpload({ projectId: 'SEQ', taskId: 'resumed', author: 'a',
        frames: ${JSON.stringify(frames)}.map((f) => ({ frame: f, fileName: 'b.' + f + '.png' })) });
      for (const f of [1001, 1002]) await m.sequences.putSequenceFrame(up.uploadId, f, fs.createReadStream(${JSON.stringify(png)}));
      process.stdout.write(up.uploadId + '\\n');
      process.kill(process.pid, 'SIGKILL');`);
    expect(uploadId).toMatch(/^[0-9a-f-]{36}$/);
    // A process sending a local sequence itself is killed after two frames.
    for (const f of frames) fs.copyFileSync(png, path.join(dir, `local.${f}.png`));
    await runChild(`
      await m.sequences.uploadSequence({ source: ${JSON.stringify(path.join(dir, 'local.####.png'))},
        projectId: 'SEQ', taskId: 'local', author: 'a',
        onProgress: (done) => { if (done === 2) process.kill(process.pid, 'SIGKILL'); } });`);

    const montu = await open();
    try {
      // The client's upload is still there, with its frames: it carries on where it stopped.
      const info = await montu.sequences.getSequenceUpload(uploadId);
      expect(info).toMatchObject({ version: 'v001', pendingFrames: [1003, 1004] });
      for (const f of [1003, 1004])
        await montu.sequences.putSequenceFrame(uploadId, f, fs.createReadStream(png));
      const id = await montu.sequences.completeSequenceUpload(uploadId);
      const item = await montu.media.getMediaById(id);
      expect(item).toMatchObject({ mediaType: 'sequence', version: 'v001' });
      expect(item.metadata).toMatchObject({ frameStart: 1001, frameEnd: 1004, frameCount: 4 });
      // The dead process's own upload went with it: no claim, no files; its task starts at v001.
      expect((await montu.media.searchMedia({ projectId: 'SEQ', taskId: 'local' })).items).toEqual([]);
      expect((await montu.maintenance.cleanupOrphanedFiles({ dryRun: true })).clean).toBe(true);
      const again = await montu.sequences.uploadSequence({
        source: path.join(dir, 'local.####.png'),
        projectId: 'SEQ',
        taskId: 'local',
        author: 'a',
      });
      expect((await montu.media.getMediaById(again)).version).toBe('v001');
    } finally {
      await montu.close();
    }
  });
});

function bufferStream(buf: Buffer) {
  return (async function* () {
    yield buf;
  })();
}

function* listFiles(root: string, rel = ''): Generator<string> {
  const dir = path.join(root, rel);
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) yield* listFiles(root, r);
    else yield r;
  }
}

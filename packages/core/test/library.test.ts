import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conflict, Forbidden, NotFound, NotSupported, ValidationError } from '../src/index.js';
import { CORPUS, DATABASES, makePng, WIDEST_CORPUS } from './helpers/env.js';
import { openTestLibrary, type TestLibrary } from './helpers/montu.js';

const sha = (buf: Buffer) => createHash('sha256').update(buf).digest('hex');
const img = (name: string) => path.join(CORPUS, 'media/image', name);

describe.each(DATABASES)('library API on %s', (kind) => {
  let lib: TestLibrary;
  let png: string;

  beforeAll(async () => {
    // The catalogue alone: processing has its own tests (processing.test.ts).
    lib = await openTestLibrary(kind, { jobs: false });
    png = await makePng(path.join(lib.dir, 'plate.png'), 64, 32);
  });
  afterAll(async () => lib.cleanup());

  it('uploads a file as v001 with size, sha256 and the sniffed type, stored under project/task/version', async () => {
    const { media } = lib.montu;
    const id = await media.uploadMedia({
      filePath: img('GammaChart.exr'),
      projectId: 'SWA',
      taskId: 'ep01_sq010_sh020_lighting',
      author: 'alice',
      description: 'First lighting pass',
      tags: ['Beauty', 'lighting'],
    });
    const m = await media.getMediaById(id);
    const bytes = fs.readFileSync(img('GammaChart.exr'));
    expect(m).toMatchObject({
      projectId: 'SWA',
      taskId: 'ep01_sq010_sh020_lighting',
      version: 'v001',
      versionNumber: 1,
      mediaType: 'image',
      mimeType: 'image/x-exr',
      fileName: 'GammaChart.exr',
      size: bytes.length,
      sha256: sha(bytes),
      author: 'alice',
      tags: ['beauty', 'lighting'],
      status: 'wip',
      reviewSelected: false,
      archivedAt: null,
    });
    expect(m.files).toHaveLength(1);
    const original = m.files[0]!;
    expect(original.key).toBe('SWA/ep01_sq010_sh020_lighting/v001/ep01_sq010_sh020_lighting_v001.exr');
    expect(fs.readFileSync(path.join(lib.storageRoot, original.key)).equals(bytes)).toBe(true);
    expect(original.sha256).toBe(sha(bytes));

    const task = await lib.montu.projects.getTask('SWA', 'ep01_sq010_sh020_lighting');
    expect(task).toMatchObject({ episode: 'ep01', sequence: 'sq010', shot: 'sh020', step: 'lighting' });
  });

  it('numbers versions per task, accepts an explicit one and refuses a taken one', async () => {
    const { media } = lib.montu;
    const v2 = await media.uploadMedia({
      filePath: png,
      projectId: 'SWA',
      taskId: 'ep01_sq010_sh020_lighting',
      author: 'bob',
    });
    expect((await media.getMediaById(v2)).version).toBe('v002');
    const v10 = await media.uploadMedia({
      filePath: png,
      projectId: 'SWA',
      taskId: 'ep01_sq010_sh020_lighting',
      author: 'bob',
      version: 'v010',
    });
    expect((await media.getMediaById(v10)).version).toBe('v010');
    await expect(
      media.uploadMedia({
        filePath: png,
        projectId: 'SWA',
        taskId: 'ep01_sq010_sh020_lighting',
        author: 'bob',
        version: 2,
      }),
    ).rejects.toBeInstanceOf(Conflict);
    const v11 = await media.createMediaVersion({
      sourceMediaId: v2,
      filePath: png,
      author: 'carol',
      description: 'fix',
    });
    const m11 = await media.getMediaById(v11);
    expect(m11).toMatchObject({
      version: 'v011',
      projectId: 'SWA',
      taskId: 'ep01_sq010_sh020_lighting',
      author: 'carol',
    });
    expect(await media.getMediaVersions('ep01_sq010_sh020_lighting')).toEqual([
      'v001',
      'v002',
      'v010',
      'v011',
    ]);
    const byTask = await media.getMediaByTask('ep01_sq010_sh020_lighting');
    expect(byTask.map((m) => m.version)).toEqual(['v001', 'v002', 'v010', 'v011']);
    const one = await media.getMediaByTask('ep01_sq010_sh020_lighting', 'v010');
    expect(one.map((m) => m.id)).toEqual([v10]);
  });

  it('uploads from a stream and verifies a client-supplied sha256', async () => {
    const { media } = lib.montu;
    const bytes = fs.readFileSync(png);
    const id = await media.uploadMedia({
      stream: Readable.from([bytes.subarray(0, 10), bytes.subarray(10)]),
      fileName: 'streamed.png',
      projectId: 'SWA',
      taskId: 'sq020_sh010_comp',
      author: 'dave',
      expectedSha256: sha(bytes),
    });
    const m = await media.getMediaById(id);
    expect(m.sha256).toBe(sha(bytes));
    expect(m.mediaType).toBe('image');
    const task = await lib.montu.projects.getTask('SWA', 'sq020_sh010_comp');
    expect(task).toMatchObject({ episode: null, sequence: 'sq020', shot: 'sh010', step: 'comp' });
  });

  it('keeps nothing when an upload fails: checksum mismatch, unsupported content, bad input', async () => {
    const { media, maintenance } = lib.montu;
    const before = await listStored(lib.storageRoot);
    await expect(
      media.uploadMedia({
        filePath: png,
        projectId: 'SWA',
        taskId: 'fail_task',
        author: 'eve',
        expectedSha256: '0'.repeat(64),
      }),
    ).rejects.toThrow(/Checksum mismatch/);
    const html = path.join(lib.dir, 'evil.png');
    fs.writeFileSync(html, '<html><script>alert(1)</script></html>');
    await expect(
      media.uploadMedia({ filePath: html, projectId: 'SWA', taskId: 'fail_task', author: 'eve' }),
    ).rejects.toThrow(/not a supported image, video or audio file/);
    const svg = path.join(lib.dir, 'image.jpg');
    fs.writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    await expect(
      media.uploadMedia({ filePath: svg, projectId: 'SWA', taskId: 'fail_task', author: 'eve' }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      media.uploadMedia({ filePath: png, projectId: '../etc', taskId: 'x', author: 'eve' }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      media.uploadMedia({ filePath: png, projectId: 'SWA', taskId: '../../x', author: 'eve' }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      media.uploadMedia({ filePath: png, projectId: 'SWA', taskId: 'ok', author: '' }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      media.uploadMedia({
        filePath: path.join(lib.dir, 'nope.png'),
        projectId: 'SWA',
        taskId: 'ok',
        author: 'eve',
      }),
    ).rejects.toBeInstanceOf(NotFound);
    expect(await media.getMediaByTask('fail_task')).toEqual([]);
    expect(await listStored(lib.storageRoot)).toEqual(before);
    expect(fs.readdirSync(path.join(lib.storageRoot, '.montu-tmp'))).toEqual([]);
    const report = await maintenance.cleanupOrphanedFiles({ dryRun: true });
    expect(report.clean).toBe(true);
  });

  it('stores generated names with the sniffed extension and keeps the original name as metadata', async () => {
    const { media } = lib.montu;
    const id = await media.uploadMedia({
      stream: fs.createReadStream(png),
      fileName: '..\\..\\wïndows name (final).png',
      projectId: 'SWA',
      taskId: 'names',
      author: 'eve',
    });
    const m = await media.getMediaById(id);
    expect(m.fileName).toBe('wïndows name (final).png');
    expect(m.files[0]!.key).toBe('SWA/names/v001/names_v001.png');
  });

  it('updates info and metadata, merging and validating', async () => {
    const { media, history } = lib.montu;
    const id = await media.uploadMedia({
      filePath: png,
      projectId: 'SWA',
      taskId: 'meta',
      author: 'fay',
      tags: ['a'],
    });
    const updated = await media.updateMediaInfo(id, {
      description: 'Graded',
      tags: ['Final', 'hero'],
      actor: 'fay',
    });
    expect(updated).toMatchObject({ description: 'Graded', tags: ['final', 'hero'] });
    const m1 = await media.updateMediaMetadata(id, {
      metadata: { colourSpace: 'ACEScg', camera: { lens: '35mm', iso: 800 } },
      customProperties: { shotgunId: 1234, notes: 'x' },
    });
    expect(m1.metadata).toMatchObject({
      colourSpace: 'ACEScg',
      camera: { lens: '35mm', iso: 800 },
      format: 'png',
    });
    const m2 = await media.updateMediaMetadata(id, {
      metadata: { camera: { iso: null, fstop: 2.8 } },
      customProperties: { notes: null },
    });
    expect(m2.metadata['camera']).toEqual({ lens: '35mm', fstop: 2.8 });
    expect(m2.customProperties).toEqual({ shotgunId: 1234 });
    await expect(
      media.updateMediaMetadata(id, { metadata: [] as unknown as Record<string, unknown> }),
    ).rejects.toBeInstanceOf(ValidationError);
    // The document's flat form: top-level keys are technical metadata, merged with the rest.
    const m3 = await media.updateMediaMetadata(id, {
      colorSpace: 'sRGB',
      renderEngine: 'Arnold',
      renderTime: 45.2,
      customProperties: { lightingSetup: 'three_point' },
    });
    expect(m3.metadata).toMatchObject({ colourSpace: 'ACEScg', colorSpace: 'sRGB', renderEngine: 'Arnold' });
    expect(m3.metadata['renderTime']).toBe(45.2);
    expect(m3.customProperties).toEqual({ shotgunId: 1234, lightingSetup: 'three_point' });
    expect((await media.updateMediaMetadata(id, { renderTime: null })).metadata).not.toHaveProperty(
      'renderTime',
    );
    // Measured fields keep their types: a patch that would not fit the wire schema is refused whole.
    await expect(media.updateMediaMetadata(id, { width: 'wide', renderer: 'x' })).rejects.toThrow(
      /metadata\.width must be integer/,
    );
    await expect(media.updateMediaMetadata(id, { metadata: { audio: 'stereo' } })).rejects.toThrow(
      /metadata\.audio must be object/,
    );
    expect((await media.getMediaById(id)).metadata).not.toHaveProperty('renderer');
    await expect(
      media.updateMediaMetadata(id, { renderEngine: 'a', metadata: { renderEngine: 'b' } }),
    ).rejects.toThrow(/renderEngine given both/);
    await expect(media.updateMediaMetadata('missing-id', { metadata: {} })).rejects.toBeInstanceOf(NotFound);

    // Only one version per task is put forward for review.
    const other = await media.createMediaVersion({ sourceMediaId: id, filePath: png, author: 'fay' });
    await media.updateMediaInfo(id, { reviewSelected: true, actor: 'fay' });
    await media.updateMediaInfo(other, { reviewSelected: true, actor: 'fay' });
    expect((await media.getMediaById(id)).reviewSelected).toBe(false);
    expect((await media.getMediaById(other)).reviewSelected).toBe(true);

    const actions = (await history.forSubject('media', id)).map((h) => h.action);
    expect(actions).toEqual([
      'media.created',
      'media.info_updated',
      'media.metadata_updated',
      'media.metadata_updated',
      'media.metadata_updated',
      'media.metadata_updated',
      'media.review_selected',
    ]);
  });

  it('searches with full text, filters and stable cursor pagination', async () => {
    const { media } = lib.montu;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(
        await media.uploadMedia({
          filePath: png,
          fileName: `hero_beauty_${i}.png`,
          projectId: 'SRCH',
          taskId: `ep02_sq030_sh0${i}0_comp`,
          author: i % 2 ? 'gina' : 'hugo',
          description: i === 3 ? 'Explosion with débris' : 'plate',
          tags: i < 2 ? ['hero'] : ['bg'],
        }),
      );
    }
    const all = await media.searchMedia({ projectId: 'SRCH' });
    expect(all.items.map((m) => m.id)).toEqual([...ids].reverse());
    expect(all.nextCursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await media.searchMedia({ projectId: 'SRCH', limit: 3, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((m) => m.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    expect((await media.searchMedia({ query: 'debris' })).items.map((m) => m.id)).toEqual([ids[3]]);
    expect((await media.searchMedia({ query: 'expl' })).items.map((m) => m.id)).toEqual([ids[3]]);
    expect(
      (await media.searchMedia({ query: 'sh030 comp', projectId: 'SRCH' })).items.map((m) => m.id),
    ).toEqual([ids[3]]);
    expect((await media.searchMedia({ query: 'beauty_5' })).items.map((m) => m.id)).toEqual([ids[5]]);
    expect((await media.searchMedia({ projectId: 'SRCH', author: 'gina' })).items).toHaveLength(3);
    expect((await media.searchMedia({ projectId: 'SRCH', tags: ['HERO'] })).items).toHaveLength(2);
    expect((await media.searchMedia({ projectId: 'SRCH', tags: ['hero', 'bg'] })).items).toHaveLength(0);
    expect((await media.searchMedia({ projectId: 'SRCH', mediaType: 'image' })).items).toHaveLength(7);
    expect((await media.searchMedia({ projectId: 'SRCH', mediaType: 'video' })).items).toHaveLength(0);
    expect((await media.searchMedia({ projectId: 'SRCH', status: 'wip' })).items).toHaveLength(7);
    expect(
      (await media.searchMedia({ projectId: 'SRCH', taskId: 'ep02_sq030_sh020_comp' })).items,
    ).toHaveLength(1);
    const today = new Date().toISOString().slice(0, 10);
    expect(
      (await media.searchMedia({ projectId: 'SRCH', dateFrom: today, dateTo: today })).items,
    ).toHaveLength(7);
    expect((await media.searchMedia({ projectId: 'SRCH', dateTo: '2000-01-01' })).items).toHaveLength(0);
    // Hostile input is data, never SQL or FTS syntax.
    for (const q of [`' OR 1=1 --`, '"unterminated', 'NEAR(a b)', '*', 'a OR b', `'; DROP TABLE media; --`]) {
      await expect(media.searchMedia({ query: q })).resolves.toBeDefined();
    }
    await expect(media.searchMedia({ cursor: 'garbage' })).rejects.toBeInstanceOf(ValidationError);
    await expect(media.searchMedia({ limit: -1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(media.searchMedia({ status: 'nope' as never })).rejects.toBeInstanceOf(ValidationError);
    await expect(media.searchMedia({ dateFrom: 'yesterday' })).rejects.toBeInstanceOf(ValidationError);
    expect((await media.searchMedia({ limit: 1_000_000 })).items.length).toBeLessThanOrEqual(500);
  });

  it('archives, restores and deletes', async () => {
    const { media, history } = lib.montu;
    const id = await media.uploadMedia({ filePath: png, projectId: 'ARC', taskId: 'shot_a', author: 'ivan' });
    const key = (await media.getMediaById(id)).files[0]!.key;
    await media.archiveMedia(id, { actor: 'ivan' });
    expect((await media.searchMedia({ projectId: 'ARC' })).items).toHaveLength(0);
    expect((await media.searchMedia({ projectId: 'ARC', archived: 'only' })).items).toHaveLength(1);
    expect(await media.getMediaByTask('shot_a')).toHaveLength(0);
    expect((await media.getMediaById(id)).archivedAt).not.toBeNull();
    await media.restoreMedia(id, { actor: 'ivan' });
    expect((await media.searchMedia({ projectId: 'ARC' })).items).toHaveLength(1);
    await media.deleteMedia(id, { actor: 'ivan' });
    await expect(media.getMediaById(id)).rejects.toBeInstanceOf(NotFound);
    expect(fs.existsSync(path.join(lib.storageRoot, key))).toBe(false);
    expect((await history.forSubject('media', id)).map((h) => h.action)).toEqual([
      'media.created',
      'media.archived',
      'media.restored',
      'media.deleted',
    ]);
  });

  it('computes statistics in SQL', async () => {
    const { media } = lib.montu;
    const wav = path.join(CORPUS, 'media/audio/mpeglayer3.wav');
    const mov = path.join(CORPUS, 'media/video/sample.mp4');
    const a = await media.uploadMedia({ filePath: png, projectId: 'STAT', taskId: 't1', author: 'jo' });
    await media.uploadMedia({ filePath: png, projectId: 'STAT', taskId: 't1', author: 'jo' });
    await media.uploadMedia({ filePath: wav, projectId: 'STAT', taskId: 't2', author: 'kim' });
    const movId = fs.existsSync(mov)
      ? await media.uploadMedia({ filePath: mov, projectId: 'STAT', taskId: 't3', author: 'kim' })
      : null;
    await lib.montu.review.submitForReview(a, 'jo');
    const stats = await media.getMediaStatistics({ projectId: 'STAT' });
    const size = fs.statSync(png).size * 2 + fs.statSync(wav).size + (movId ? fs.statSync(mov).size : 0);
    expect(stats).toMatchObject({
      projectId: 'STAT',
      totalMedia: movId ? 4 : 3,
      byType: { image: 2, audio: 1, ...(movId ? { video: 1 } : {}) },
      // The media services document's words: pending (pending_review), approved, rejected.
      byStatus: { wip: movId ? 3 : 2, pending: 1 },
      totalSize: size,
      versions: { tasks: movId ? 3 : 2, total: movId ? 4 : 3, maxPerTask: 2 },
    });
    expect(stats.authors).toEqual(
      movId
        ? [
            { author: 'kim', count: 2 },
            { author: 'jo', count: 2 },
          ].sort((x, y) => x.author.localeCompare(y.author))
        : expect.any(Array),
    );
  });

  it('runs the review calls and records every status change', async () => {
    const { media, review, history, notes } = lib.montu;
    const id = await media.uploadMedia({
      filePath: png,
      projectId: 'REV',
      taskId: 'sq1_sh1_anim',
      author: 'lee',
    });
    await review.submitForReview(id, 'lee');
    expect((await review.getMediaForReview('REV')).map((m) => m.id)).toEqual([id]);
    const approved = await review.approveMedia(id, 'maya', 'Looks great');
    expect(approved.status).toBe('approved');
    expect(approved.approval).toMatchObject({ by: 'maya', comment: 'Looks great' });
    await expect(review.approveMedia(id, 'maya')).rejects.toBeInstanceOf(Conflict);
    await review.rejectMedia(id, 'maya', 'Actually, no');
    const rejected = await media.getMediaById(id);
    expect(rejected.status).toBe('rejected');
    expect(rejected.approval).toBeNull();
    // A role check, when the caller names one: artists cannot approve.
    await review.submitForReview(id, 'lee', { role: 'artist' });
    await expect(review.approveMedia(id, 'lee', 'self-approve', { role: 'artist' })).rejects.toBeInstanceOf(
      Forbidden,
    );
    expect((await media.getMediaById(id)).status).toBe('pending_review');
    await review.changeStatus(id, 'changes_requested', { actor: 'maya', comment: 'tweak' });

    const note = await notes.addNote(id, {
      type: 'comment',
      content: 'Rim light too hot',
      author: 'maya',
      frame: 1012,
      position: { x: 0.25, y: 0.75 },
    });
    expect(note).toMatchObject({ frame: 1012, position: { x: 0.25, y: 0.75 }, resolved: false });
    expect(note.renditionSha256).toBe((await media.getMediaById(id)).sha256);
    const reply = await notes.addNote(id, {
      content: 'Fixed in v002',
      author: 'lee',
      parentId: note.id,
    });
    expect(reply.parentId).toBe(note.id);
    await expect(
      notes.addNote(id, { content: 'x', author: 'lee', position: { x: 2, y: 0 } }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(notes.addNote(id, { content: 'x', author: 'lee', frame: 1.5 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(await notes.listNotes(id)).toHaveLength(2);

    const changes = (await history.forSubject('media', id)).filter(
      (h) => h.action === 'media.status_changed',
    );
    expect(changes.map((h) => [h.actor, h.from, h.to])).toEqual([
      ['lee', 'wip', 'pending_review'],
      ['maya', 'pending_review', 'approved'],
      ['maya', 'approved', 'rejected'],
      ['lee', 'rejected', 'pending_review'],
      ['maya', 'pending_review', 'changes_requested'],
    ]);
    expect(changes[1]!.comment).toBe('Looks great');
  });

  it('cleans up old superseded versions (dry run by default)', async () => {
    const { media, review } = lib.montu;
    const old = await media.uploadMedia({ filePath: png, projectId: 'OLD', taskId: 'x', author: 'nia' });
    await media.uploadMedia({ filePath: png, projectId: 'OLD', taskId: 'x', author: 'nia' });
    const dry = await review.cleanupOldMedia('OLD', { daysOld: 0 });
    expect(dry.candidates.map((c) => c.id)).toEqual([old]);
    expect((await media.getMediaById(old)).archivedAt).toBeNull();
    const done = await review.cleanupOldMedia('OLD', { daysOld: 0, dryRun: false });
    expect(done.candidates).toHaveLength(1);
    expect((await media.getMediaById(old)).archivedAt).not.toBeNull();
    expect((await review.cleanupOldMedia('OLD', { daysOld: 30 })).candidates).toHaveLength(0);
  });

  it('says clearly that thumbnails need media processing when it is switched off', async () => {
    const id = await lib.montu.media.uploadMedia({
      filePath: png,
      projectId: 'NP',
      taskId: 'x',
      author: 'o',
    });
    await expect(lib.montu.media.regenerateThumbnail(id, { timestamp: 1 })).rejects.toBeInstanceOf(
      NotSupported,
    );
  });

  it('finds and fixes orphans, missing and corrupt files', async () => {
    const { media, maintenance } = lib.montu;
    const a = await media.uploadMedia({ filePath: png, projectId: 'ORPH', taskId: 'x', author: 'p' });
    const b = await media.uploadMedia({ filePath: png, projectId: 'ORPH', taskId: 'x', author: 'p' });
    const keyA = (await media.getMediaById(a)).files[0]!.key;
    const keyB = (await media.getMediaById(b)).files[0]!.key;
    fs.rmSync(path.join(lib.storageRoot, keyA));
    const fileB = path.join(lib.storageRoot, keyB);
    const bytes = fs.readFileSync(fileB);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
    fs.writeFileSync(fileB, bytes);
    const stray = path.join(lib.storageRoot, 'ORPH/x/v099/stray.png');
    fs.mkdirSync(path.dirname(stray), { recursive: true });
    fs.copyFileSync(png, stray);
    const old = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(stray, old, old);

    const report = await maintenance.cleanupOrphanedFiles({ dryRun: true });
    expect(report.clean).toBe(false);
    expect(report.orphanFiles).toEqual(['ORPH/x/v099/stray.png']);
    expect(report.missingFiles).toEqual([{ mediaId: a, key: keyA, role: 'original' }]);
    expect(report.corruptFiles.map((c) => c.mediaId)).toEqual([b]);
    expect(fs.existsSync(stray)).toBe(true);

    await maintenance.cleanupOrphanedFiles({ dryRun: false });
    expect(fs.existsSync(stray)).toBe(false);
    expect((await media.getMediaById(a)).files[0]!.state).toBe('missing');
    expect((await media.getMediaById(b)).files[0]!.state).toBe('corrupt');
    expect((await media.getMediaById(b)).processingState).toBe('failed');
    // Nothing left to fix; the records of lost files stay, marked, for a person to decide.
    expect((await maintenance.cleanupOrphanedFiles({ dryRun: true })).clean).toBe(true);
  });

  it('accepts every corpus image, video and audio file with the right media type', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(WIDEST_CORPUS, 'manifest.json'), 'utf8')) as {
      files: Array<{ path: string; kind: string; sha256: string }>;
    };
    const good = manifest.files.filter((f) => f.kind !== 'broken');
    const wrong: string[] = [];
    for (const f of good) {
      try {
        const id = await lib.montu.media.uploadMedia({
          filePath: path.join(WIDEST_CORPUS, f.path),
          projectId: 'CORPUS',
          taskId: 'all',
          author: 'corpus',
        });
        const m = await lib.montu.media.getMediaById(id);
        if (m.sha256 !== f.sha256) wrong.push(`${f.path}: sha256`);
        // An MPEG-4 container's first bytes cannot tell audio-only from video; probing decides later.
        const ambiguousMp4 =
          f.kind === 'audio' && m.mediaType === 'video' && m.mimeType.startsWith('video/mp4');
        if (m.mediaType !== f.kind && !ambiguousMp4)
          wrong.push(`${f.path}: ${m.mediaType} instead of ${f.kind}`);
      } catch (e) {
        wrong.push(`${f.path}: ${(e as Error).message}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

async function listStored(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.montu-tmp') continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  if (fs.existsSync(root)) walk(root);
  return out.sort();
}

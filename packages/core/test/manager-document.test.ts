/**
 * The Montu Manager media services document's walk-through on the library (`openMontu`), step by
 * step with the library's camelCase names, on SQLite and PostgreSQL, with real media made by
 * ffmpeg. (The Python client runs the document's own text: clients/python/tests.)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conflict, NotFound, ValidationError, actingName } from '../src/index.js';
import { DATABASES } from './helpers/env.js';
import { openTestLibrary, type TestLibrary } from './helpers/montu.js';

const TASK = 'ep01_sq010_sh020_lighting';

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);
}

describe.each(DATABASES)('the media services document on the library, %s', (kind) => {
  let lib: TestLibrary;
  let render: string;
  let renderV002: string;
  let video: string;

  beforeAll(async () => {
    lib = await openTestLibrary(kind);
    render = path.join(lib.dir, 'render.jpg');
    renderV002 = path.join(lib.dir, 'render_v002.jpg');
    video = path.join(lib.dir, 'sh030_anim.mp4');
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=640x480', '-frames:v', '1', '-q:v', '3', render);
    ffmpeg('-f', 'lavfi', '-i', 'smptehdbars=size=640x480', '-frames:v', '1', '-q:v', '3', renderV002);
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=24', '-t', '6'],
      ...['-pix_fmt', 'yuv420p', '-c:v', 'libx264', video],
    );
  }, 120_000);
  afterAll(async () => lib?.cleanup());

  it('runs every step of the walk-through', async () => {
    const { media, review, history, notes, maintenance } = lib.montu;

    // Upload Media File (the library waits for the metadata when asked, as the document's did).
    const mediaId = await media.uploadMedia({
      filePath: render,
      projectId: 'SWA',
      taskId: TASK,
      version: 'v001',
      author: 'John Doe',
      description: 'Lighting render for review',
      tags: ['lighting', 'render', 'review'],
      wait: true,
    });

    // Get Media by ID
    const record = await media.getMediaById(mediaId);
    expect(`File: ${record.fileName}`).toBe('File: render.jpg');
    expect(`Size: ${String(record.metadata['fileSize'])} bytes`).toBe(
      `Size: ${fs.statSync(render).size} bytes`,
    );
    expect(`Resolution: ${String(record.metadata['width'])}x${String(record.metadata['height'])}`).toBe(
      'Resolution: 640x480',
    );

    // Get Media by Task
    const taskMedia = await media.getMediaByTask(TASK);
    const versionMedia = await media.getMediaByTask(TASK, 'v001');
    expect(taskMedia.map((m) => m.id)).toEqual([mediaId]);
    expect(versionMedia.map((m) => m.version)).toEqual(['v001']);

    // Search Media (the author in any case)
    const searchResults = await media.searchMedia({
      query: 'lighting render',
      taskId: TASK,
      mediaType: 'image',
      author: 'john doe',
    });
    expect(searchResults.items.map((m) => m.id)).toEqual([mediaId]);

    // Update Media Metadata: the document's flat patch
    const patched = await media.updateMediaMetadata(mediaId, {
      colorSpace: 'sRGB',
      renderEngine: 'Arnold',
      renderTime: 45.2,
      customProperties: { lighting_setup: 'three_point', quality_level: 'final' },
    });
    expect(patched.metadata).toMatchObject({ colorSpace: 'sRGB', renderEngine: 'Arnold', renderTime: 45.2 });
    expect(patched.metadata['width']).toBe(640);
    expect(patched.customProperties).toEqual({ lighting_setup: 'three_point', quality_level: 'final' });

    // Update Media Information
    const updated = await media.updateMediaInfo(mediaId, {
      description: 'Final lighting render - approved',
      tags: ['lighting', 'final', 'approved'],
      reviewSelected: true,
      approvalStatus: 'approved',
      actor: 'John Doe',
    });
    expect(updated).toMatchObject({
      status: 'approved',
      reviewSelected: true,
      tags: ['approved', 'final', 'lighting'],
    });
    const originalMediaId = mediaId;

    // Create Media Version
    const newMediaId = await media.createMediaVersion({
      sourceMediaId: originalMediaId,
      filePath: renderV002,
      version: 'v002',
      author: 'John Doe',
      description: 'Updated lighting with client feedback',
      wait: true,
    });

    // Get All Versions
    expect(await media.getMediaVersions(TASK)).toEqual(['v001', 'v002']);

    // Regenerate Thumbnails: a video, at 5 seconds (waits for the new thumbnail)
    const videoMediaId = await media.uploadMedia({
      filePath: video,
      projectId: 'SWA',
      taskId: 'ep01_sq010_sh030_anim',
      author: 'John Doe',
      wait: true,
    });
    const { jobId } = await media.regenerateThumbnail(videoMediaId, { timestamp: 5.0 });
    expect((await lib.montu.jobs!.get(jobId)).state).toBe('done');
    const thumb = (await media.getMediaById(videoMediaId)).files.find((f) => f.role === 'thumbnail');
    expect(thumb?.info?.timestamp).toBe(5);

    // Media Statistics: the document's status words
    const stats = await media.getMediaStatistics({ projectId: 'SWA' });
    expect(stats).toMatchObject({
      totalMedia: 3,
      byType: { image: 2, video: 1 },
      byStatus: { approved: 1, wip: 2 },
      totalSize: fs.statSync(render).size + fs.statSync(renderV002).size + fs.statSync(video).size,
      authors: [{ author: 'John Doe', count: 3 }],
      versions: { tasks: 2, total: 3, averagePerTask: 1.5, maxPerTask: 2 },
    });

    // Review Workflow Operations, on the new version
    expect(await review.getMediaForReview('SWA', { status: 'pending' })).toEqual([]);
    await review.submitForReview(newMediaId, 'Review Supervisor');
    expect((await review.getMediaForReview('SWA', { status: 'pending' })).map((m) => m.id)).toEqual([
      newMediaId,
    ]);
    const note = await notes.addNote(newMediaId, {
      type: 'note',
      content: 'Color balance needs adjustment',
      author: 'Review Supervisor',
      positionPx: { x: 100, y: 200 },
    });
    expect(note.position).toEqual({ x: 100 / 640, y: 200 / 480 });
    expect(note.positionPx).toEqual({ x: 100, y: 200 });
    const approved = await review.approveMedia(newMediaId, 'Review Supervisor', 'Approved with minor notes');
    expect(approved.approval).toMatchObject({
      by: 'Review Supervisor',
      comment: 'Approved with minor notes',
    });

    // Delete Media (record and files)
    const keys = (await media.getMediaById(newMediaId)).files.map((f) => f.key);
    await media.deleteMedia(newMediaId, { removeFiles: true });
    await expect(media.getMediaById(newMediaId)).rejects.toBeInstanceOf(NotFound);
    for (const key of keys) expect(fs.existsSync(path.join(lib.storageRoot, key))).toBe(false);

    // Archive Media (soft delete) and restore it
    expect((await media.archiveMedia(originalMediaId)).archivedAt).not.toBeNull();
    expect((await media.restoreMedia(originalMediaId)).archivedAt).toBeNull();

    // Cleanup Operations
    const cleanupStats = await maintenance.cleanupOrphanedFiles({ dryRun: false });
    expect(cleanupStats.missingFilesCleaned).toBe(0);
    const old = await review.cleanupOldMedia('SWA', { daysOld: 30, dryRun: false });
    expect(old.recordsArchived).toBe(0);

    const actions = (await history.forSubject('media', originalMediaId)).map((h) => h.action);
    expect(actions).toEqual(expect.arrayContaining(['media.created', 'media.archived', 'media.restored']));
  }, 300_000);

  it('records the person named and, in history, who acted for them', async () => {
    const { media, review, history, notes } = lib.montu;
    const via = 'svc-publish (publish-hook)';
    const id = await media.uploadMedia({
      filePath: render,
      projectId: 'PIPE',
      taskId: 'ep01_sq010_sh040_lighting',
      author: 'John Doe',
      via,
    });
    await review.submitForReview(id, 'Jane Roe', { via });
    await notes.addNote(id, { content: 'x', author: 'Review Supervisor', via });
    await review.approveMedia(id, 'Review Supervisor', undefined, { via });
    expect((await media.getMediaById(id)).author).toBe('John Doe');
    expect((await history.forSubject('media', id)).map((h) => h.actor)).toEqual([
      'John Doe via svc-publish (publish-hook)',
      'Jane Roe via svc-publish (publish-hook)',
      'Review Supervisor via svc-publish (publish-hook)',
      'Review Supervisor via svc-publish (publish-hook)',
    ]);
    expect(actingName('ana', 'ana')).toBe('ana');
    expect(actingName('ana')).toBe('ana');
  });

  it('places positions in pixels only where the picture has them', async () => {
    const { media, notes } = lib.montu;
    const wav = path.join(lib.dir, 'tone.wav');
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '1', wav);
    const still = await media.uploadMedia({
      filePath: render,
      projectId: 'POS',
      taskId: 'p1',
      author: 'a',
      wait: true,
    });
    const sound = await media.uploadMedia({
      filePath: wav,
      projectId: 'POS',
      taskId: 'p2',
      author: 'a',
      wait: true,
    });
    const add = (mediaId: string, more: Record<string, unknown>) =>
      notes.addNote(mediaId, { content: 'x', author: 'a', ...more });
    await expect(add(still, { positionPx: { x: 641, y: 0 } })).rejects.toThrow(/outside the picture/);
    await expect(add(still, { positionPx: { x: 1, y: 1 }, position: { x: 0, y: 0 } })).rejects.toThrow(
      /not both/,
    );
    await expect(add(still, { positionPx: { x: '1', y: 1 } })).rejects.toBeInstanceOf(ValidationError);
    await expect(add(still, { positionPx: { x: 1, y: 1, unit: 'px' } })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(add(still, { position: { x: 100, y: 200 } })).rejects.toThrow(/use positionPx for pixels/);
    await expect(add(sound, { positionPx: { x: 1, y: 1 } })).rejects.toThrow(/audio item has no pixels/);
    // Given normalised, it is returned in pixels too.
    const note = await add(still, { position: { x: 0.5, y: 0.25 } });
    expect(note.positionPx).toEqual({ x: 320, y: 120 });
    expect((await notes.listNotes(still)).map((n) => n.positionPx)).toEqual([{ x: 320, y: 120 }]);
  });

  it('answers 409 for pixels while the size is still being read', async () => {
    const other = await openTestLibrary(kind, { jobs: { work: false } });
    try {
      const id = await other.montu.media.uploadMedia({
        filePath: render,
        projectId: 'POS',
        taskId: 'p3',
        author: 'a',
      });
      const err = await other.montu.notes
        .addNote(id, { content: 'x', author: 'a', positionPx: { x: 1, y: 1 } })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Conflict);
      expect((err as Conflict).details).toMatchObject({ reason: 'size_pending' });
    } finally {
      await other.cleanup();
    }
  });

  it('takes the document words for statuses wherever a status is given', async () => {
    const { media, review } = lib.montu;
    const id = await media.uploadMedia({ filePath: render, projectId: 'WORDS', taskId: 'w1', author: 'a' });
    await media.updateMediaInfo(id, { approvalStatus: 'pending', actor: 'a' });
    expect((await media.getMediaById(id)).status).toBe('pending_review');
    expect(
      (await media.searchMedia({ projectId: 'WORDS', status: 'pending' })).items.map((m) => m.id),
    ).toEqual([id]);
    await review.changeStatus(id, 'rejected', { actor: 'a' });
    expect((await review.getMediaForReview('WORDS', { status: 'rejected' })).map((m) => m.id)).toEqual([id]);
    expect((await media.getMediaStatistics({ projectId: 'WORDS' })).byStatus).toEqual({ rejected: 1 });
    await expect(media.searchMedia({ status: 'done' as never })).rejects.toThrow(
      /status must be one of wip, pending_review, .*pending/,
    );
  });
});

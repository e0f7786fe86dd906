import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDrawing } from '../../src/index.js';
import { DATABASES } from '../helpers/env.js';
import { makeMovie, reviewFixture, TASK, type ReviewFixture } from './helpers.js';

const DRAWING = {
  version: 1,
  shapes: [
    {
      type: 'freehand',
      color: '#FF0000',
      width: 0.01,
      points: [
        { x: 0.1, y: 0.1, pressure: 0.5 },
        { x: 0.2, y: 0.25 },
      ],
    },
    { type: 'arrow', color: '#00ff00', width: 0.005, from: { x: 0.5, y: 0.5 }, to: { x: 0.7, y: 0.6 } },
    { type: 'rect', color: '#0000ff80', width: 0.004, x: 0.1, y: 0.1, w: 0.3, h: 0.2 },
    { type: 'ellipse', color: '#ffffff', width: 0.004, cx: 0.5, cy: 0.5, rx: 0.1, ry: 0.2 },
    { type: 'line', color: '#ffff00', width: 0.002, from: { x: 0, y: 0 }, to: { x: 1, y: 1 } },
    { type: 'text', color: '#ffffff', width: 0.002, x: 0.2, y: 0.9, text: 'fix <this> & that', size: 0.05 },
  ],
};

describe('drawing schema', () => {
  it('accepts every shape type and cleans colours', () => {
    const d = parseDrawing(DRAWING);
    expect(d.shapes).toHaveLength(6);
    expect(d.shapes[0]!.color).toBe('#ff0000');
  });
  it('refuses bad drawings naming the field', () => {
    expect(() =>
      parseDrawing({
        shapes: [{ type: 'line', color: '#fff', width: 0.1, from: { x: 0, y: 0 }, to: { x: 1, y: 1 } }],
      }),
    ).toThrow(/shapes\[0\]\.color/);
    expect(() =>
      parseDrawing({
        shapes: [{ type: 'line', color: '#ffffff', width: 0.1, from: { x: 0, y: 1.2 }, to: { x: 1, y: 1 } }],
      }),
    ).toThrow(/shapes\[0\]\.from\.y: must be a number from 0 to 1/);
    expect(() => parseDrawing({ shapes: [{ type: 'blob', color: '#ffffff', width: 0.1 }] })).toThrow(
      /type: must be one of/,
    );
    expect(() =>
      parseDrawing({ shapes: [{ type: 'freehand', color: '#ffffff', width: 0.1, points: [] }] }),
    ).toThrow(/non-empty/);
    expect(() =>
      parseDrawing({
        shapes: [{ type: 'rect', color: '#ffffff', width: 0.1, x: 0.8, y: 0, w: 0.5, h: 0.1 }],
      }),
    ).toThrow(/inside the image/);
    expect(() =>
      parseDrawing({
        shapes: [
          { type: 'line', color: '#ffffff', width: 0.1, from: { x: 0, y: 0 }, to: { x: 1, y: 1 }, evil: 1 },
        ],
      }),
    ).toThrow(/unknown property "evil"/);
    expect(() => parseDrawing({ shapes: [], extra: true })).toThrow(/unknown property/);
  });
});

for (const kind of DATABASES) {
  describe(`notes (${kind})`, () => {
    let fx: ReviewFixture;
    let movie: string;
    beforeAll(async () => {
      fx = await reviewFixture(kind);
      movie = await fx.upload({
        file: makeMovie(fx.lib.dir),
        metadata: { fps: '24000/1001', frameCount: 2000 },
      });
    });
    afterAll(async () => fx.lib.cleanup());

    it('a note on frame 1001 of a 23.976 movie is at 00:00:41:17', async () => {
      const n = await fx.lib.montu.notes.addNote(movie, {
        content: 'pop',
        author: 'sue',
        frame: 1001,
      });
      expect(n.frame).toBe(1001);
      expect(n.timecode).toBe('00:00:41:17');
      const media = await fx.lib.montu.media.getMediaById(movie);
      expect(n.renditionSha256).toBe(media.sha256);
      const range = await fx.lib.montu.notes.addNote(movie, {
        content: 'range',
        author: 'sue',
        frame: 1001,
        frameEnd: 1024,
      });
      expect(range.timecodeEnd).toBe('00:00:42:16');
      const listed = await fx.lib.montu.notes.listNotes(movie, { frame: 1010 });
      expect(listed.map((x) => x.id)).toEqual([range.id]);
    });

    it('drawings are validated, stored and editable and deletable by their author only', async () => {
      const { review, notes } = fx.lib.montu;
      const before = (await review.getHistory(movie)).length;
      await expect(
        notes.addNote(movie, {
          content: 'x',
          author: 'sue',
          drawing: { shapes: [{ type: 'rect' }] },
        }),
      ).rejects.toMatchObject({ code: 'validation_error' });
      expect((await review.getHistory(movie)).length).toBe(before);
      const n = await notes.addNote(movie, {
        content: 'look',
        author: 'sue',
        frame: 12,
        drawing: DRAWING,
        mentions: ['@ann', 'bob', 'bob'],
      });
      expect(n.type).toBe('drawing');
      expect(n.drawing?.shapes).toHaveLength(6);
      expect(n.mentions).toEqual(['ann', 'bob']);
      await expect(notes.updateNote(n.id, { actor: 'bob', content: 'hijack' })).rejects.toMatchObject({
        code: 'forbidden',
      });
      await expect(notes.deleteNote(n.id, { actor: 'bob' })).rejects.toMatchObject({
        code: 'forbidden',
      });
      const edited = await notes.updateNote(n.id, {
        actor: 'sue',
        drawing: { version: 1, shapes: [DRAWING.shapes[1]] },
        content: 'look here',
      });
      expect(edited.drawing?.shapes).toHaveLength(1);
      expect(edited.content).toBe('look here');
      const removed = await notes.updateNote(n.id, { actor: 'sue', drawing: null });
      expect(removed.drawing).toBeNull();
      await notes.deleteNote(n.id, { actor: 'sue' });
      await expect(notes.getNote(n.id)).rejects.toMatchObject({ code: 'not_found' });
      const actions = (await review.getHistory(movie)).map((h) => h.action);
      expect(actions).toEqual(
        expect.arrayContaining(['annotation.created', 'annotation.updated', 'annotation.deleted']),
      );
    });

    it('threads, resolution and attachments', async () => {
      const { media, storage, notes, maintenance } = fx.lib.montu;
      const root = await notes.addNote(movie, { content: 'root', author: 'sue', frame: 5 });
      const reply = await notes.addNote(movie, {
        content: 'done',
        author: 'ann',
        parentId: root.id,
      });
      expect(reply.parentId).toBe(root.id);
      const other = await fx.upload();
      await expect(
        notes.addNote(other, { content: 'x', author: 'a', parentId: root.id }),
      ).rejects.toMatchObject({ code: 'not_found' });
      const resolved = await notes.resolveNote(root.id, { actor: 'ann' });
      expect(resolved.resolved).toBe(true);
      expect((await notes.listNotes(movie, { resolved: true })).map((x) => x.id)).toEqual([root.id]);
      await notes.resolveNote(root.id, { actor: 'ann', resolved: false });

      const fs = await import('node:fs');
      const png = fs.readFileSync(fx.png);
      await expect(
        notes.addAttachment(reply.id, { actor: 'sue', fileName: 'ref.png', data: png }),
      ).rejects.toMatchObject({ code: 'forbidden' });
      await expect(
        notes.addAttachment(reply.id, {
          actor: 'ann',
          fileName: 'x.txt',
          data: Buffer.from('hello'),
        }),
      ).rejects.toMatchObject({ code: 'validation_error' });
      const att = await notes.addAttachment(reply.id, {
        actor: 'ann',
        fileName: 'ref.png',
        data: png,
      });
      expect(att).toMatchObject({
        fileName: 'ref.png',
        contentType: 'image/png',
        width: 64,
        height: 32,
        size: png.length,
      });
      const got = await notes.getAttachment(reply.id, att.fileId);
      const chunks: Buffer[] = [];
      for await (const c of got.stream) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(png)).toBe(true);
      expect((await notes.getNote(reply.id)).attachments).toHaveLength(1);
      const file = (await media.getMediaById(movie)).files.find((f) => f.id === att.fileId)!;
      expect(file.role).toBe('attachment');
      // Deleting the root removes the reply and the attachment file.
      await notes.deleteNote(root.id, { actor: 'sue' });
      await expect(notes.getNote(reply.id)).rejects.toMatchObject({ code: 'not_found' });
      expect(await storage.stat(file.key)).toBeNull();
      expect((await media.getMediaById(movie)).files.some((f) => f.id === att.fileId)).toBe(false);
      const report = await maintenance.cleanupOrphanedFiles({ dryRun: true, minOrphanAgeSeconds: 0 });
      expect(report.orphanFiles).toEqual([]);
    });

    it('compares two versions with aligned frames and notes', async () => {
      const { review, notes } = fx.lib.montu;
      const v2 = await fx.lib.montu.media.createMediaVersion({
        sourceMediaId: movie,
        filePath: makeMovie(fx.lib.dir, 30, 'm2.mp4'),
        author: 'ann',
        description: '',
      });
      await fx.lib.montu.media.updateMediaMetadata(v2, { metadata: { fps: '24000/1001', frameCount: 1500 } });
      const m1 = await fx.lib.montu.media.getMediaById(movie);
      const m2 = await fx.lib.montu.media.getMediaById(v2);
      await notes.addNote(v2, { content: 'v2 note', author: 'sue', frame: 3 });
      const cmp = await review.compareVersions(TASK, m1.version, m2.version, { projectId: 'SWA' });
      expect(cmp.a.media.id).toBe(movie);
      expect(cmp.b.media.id).toBe(v2);
      expect(cmp.a.renditions.map((r) => r.role)).toContain('original');
      expect(cmp.alignment).toMatchObject({
        mode: 'frame_index',
        union: { start: 0, end: 1999 },
        overlap: { start: 0, end: 1499 },
        sameRate: true,
      });
      expect(cmp.b.notes.map((n) => n.content)).toEqual(['v2 note']);
      expect(cmp.a.notes.length).toBeGreaterThan(0);
      await expect(review.compareVersions(TASK, 'v001', 'v099', { projectId: 'SWA' })).rejects.toMatchObject({
        code: 'not_found',
      });
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conflict, Forbidden, type Shape } from '../../src/index.js';
import { DATABASES } from '../helpers/env.js';
import { reviewFixture, type ReviewFixture } from './helpers.js';

const line = (x: number, id?: string): Shape => ({
  ...(id ? { id } : {}),
  type: 'line',
  color: '#ff0000',
  width: 0.01,
  from: { x, y: 0.1 },
  to: { x, y: 0.9 },
});

describe.each(DATABASES)('drawings that never move or vanish on %s', (kind) => {
  let fx: ReviewFixture;
  let mediaId: string;
  beforeAll(async () => {
    fx = await reviewFixture(kind);
    mediaId = await fx.upload({ metadata: { fps: '24/1' } });
  });
  afterAll(async () => fx.lib.cleanup());

  it('every stroke has an id; strokes stored before ids read as s<index>', async () => {
    const { notes } = fx.lib.montu;
    const n = await notes.addNote(mediaId, {
      content: 'x',
      author: 'ann',
      frame: 3,
      drawing: { version: 1, shapes: [line(0.1), line(0.2, 'mine')] },
    });
    expect(n.revision).toBe(1);
    const ids = n.drawing!.shapes.map((s) => s.id);
    expect(ids[0]).toMatch(/^.{8,}$/);
    expect(ids[1]).toBe('mine');
    await expect(
      notes.addNote(mediaId, {
        content: 'x',
        author: 'ann',
        drawing: { version: 1, shapes: [line(0.1, 'a'), line(0.2, 'a')] },
      }),
    ).rejects.toThrow(/used twice/);
    // A drawing written before stroke ids (raw, as the old code stored it).
    await fx.lib.montu.db
      .updateTable('annotation')
      .set({ drawing: JSON.stringify({ version: 1, shapes: [line(0.3), line(0.4)] }) })
      .where('id', '=', n.id)
      .execute();
    const old = await notes.getNote(n.id);
    expect(old.drawing!.shapes.map((s) => s.id)).toEqual(['s0', 's1']);
  });

  it('a save on a stale revision is a 409 with the current strokes; merging keeps both writers’ strokes', async () => {
    const { notes } = fx.lib.montu;
    const n = await notes.addNote(mediaId, {
      content: 'shared',
      author: 'ann',
      frame: 5,
      drawing: { version: 1, shapes: [line(0.1, 'base')] },
    });
    // Two of ann's sessions (two screens) load revision 1 and draw at once.
    const tab1 = [...n.drawing!.shapes, line(0.5, 'tab1')];
    const tab2 = [...n.drawing!.shapes, line(0.6, 'tab2')];
    const saved = await notes.updateNote(n.id, {
      actor: 'ann',
      revision: 1,
      drawing: { version: 1, shapes: tab1 },
    });
    expect(saved.revision).toBe(2);
    const stale = await notes
      .updateNote(n.id, { actor: 'ann', revision: 1, drawing: { version: 1, shapes: tab2 } })
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(Conflict);
    const details = (stale as Conflict).details as {
      reason: string;
      revision: number;
      drawing: { shapes: Shape[] };
    };
    expect(details.reason).toBe('stale_revision');
    expect(details.revision).toBe(2);
    expect(details.drawing.shapes.map((s) => s.id)).toEqual(['base', 'tab1']);
    // Nothing was written by the refused save.
    expect((await notes.getNote(n.id)).drawing!.shapes.map((s) => s.id)).toEqual(['base', 'tab1']);
    // The merge path: send only the new stroke.
    // Strokes ann saved whole (unstamped) are hers: bob may not remove them.
    await expect(notes.changeStrokes(n.id, { actor: 'bob', remove: ['tab1'] })).rejects.toBeInstanceOf(
      Forbidden,
    );
    const merged = await notes.changeStrokes(n.id, { actor: 'ann', add: [line(0.6, 'tab2')] });
    expect(merged.drawing!.shapes.map((s) => s.id)).toEqual(['base', 'tab1', 'tab2']);
    expect(merged.revision).toBe(3);
  });

  it('two people adding strokes at the same moment both keep every stroke', async () => {
    const { notes } = fx.lib.montu;
    const n = await notes.addNote(mediaId, { content: 'race', author: 'ann', frame: 7 });
    const writes = [];
    for (let i = 0; i < 8; i++) {
      writes.push(notes.changeStrokes(n.id, { actor: 'ann', add: [line(0.05 + i * 0.1, `ann${i}`)] }));
      writes.push(notes.changeStrokes(n.id, { actor: 'bob', add: [line(0.06 + i * 0.1, `bob${i}`)] }));
    }
    await Promise.all(writes);
    const after = await notes.getNote(n.id);
    const ids = after.drawing!.shapes.map((s) => s.id).sort();
    expect(ids).toHaveLength(16);
    expect(ids).toEqual([...Array(8).keys()].flatMap((i) => [`ann${i}`, `bob${i}`]).sort());
    expect(after.revision).toBe(17);
    expect(after.drawing!.shapes.find((s) => s.id === 'bob3')?.author).toBe('bob');
    // bob may not remove ann's stroke; ann (the note's author) may remove bob's.
    await expect(notes.changeStrokes(n.id, { actor: 'bob', remove: ['ann1'] })).rejects.toBeInstanceOf(
      Forbidden,
    );
    const removed = await notes.changeStrokes(n.id, { actor: 'ann', remove: ['bob1', 'gone-already'] });
    expect(removed.drawing!.shapes.map((s) => s.id)).not.toContain('bob1');
    expect(removed.drawing!.shapes).toHaveLength(15);
  });

  it('a drawing held over a frame range is found on every frame of it; a note pins a frame without a drawing', async () => {
    const { notes } = fx.lib.montu;
    const held = await notes.addNote(mediaId, {
      content: 'hold',
      author: 'ann',
      frame: 20,
      frameEnd: 24,
      drawing: { version: 1, shapes: [line(0.5)] },
    });
    const pin = await notes.addNote(mediaId, { content: 'pinned', author: 'ann', frame: 22 });
    expect(pin).toMatchObject({ frame: 22, drawing: null, type: 'comment' });
    for (const f of [20, 22, 24]) {
      const at = (await notes.listNotes(mediaId, { frame: f })).map((x) => x.id);
      expect(at).toContain(held.id);
    }
    expect((await notes.listNotes(mediaId, { frame: 25 })).map((x) => x.id)).not.toContain(held.id);
    expect((await notes.listNotes(mediaId, { frame: 22 })).map((x) => x.id)).toContain(pin.id);
  });
});

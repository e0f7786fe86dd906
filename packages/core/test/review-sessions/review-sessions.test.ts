/**
 * Live review sessions in the library (decision 140): the state rules (domain), one order of
 * updates when two libraries (two API processes) write at once, and webhooks without a filter
 * not flooded by session updates.
 */
import { describe, expect, it } from 'vitest';
import { applySessionPatch, initialSessionState } from '@montu/domain';
import { eventMatches } from '../../src/webhooks/webhook-service.js';
import { DATABASES } from '../helpers/env.js';
import { reviewFixture } from '../review/helpers.js';

describe('session state patches', () => {
  const s0 = initialSessionState('m1');

  it('applies what is given, keeps the rest, merges colour and compare', () => {
    const s1 = applySessionPatch(s0, { frame: 10, colour: { exposure: -1 } });
    expect(s1).toMatchObject({ mediaId: 'm1', frame: 10, playing: false, rate: 1 });
    expect(s1.colour).toEqual({ display: null, view: null, exposure: -1, gamma: 1, channel: 'rgb' });
    expect(applySessionPatch(s1, { colour: { gamma: 2.2, channel: 'luminance' } }).colour).toEqual({
      display: null,
      view: null,
      exposure: -1,
      gamma: 2.2,
      channel: 'luminance',
    });
    const s2 = applySessionPatch(s1, { compare: { mediaId: 'm2' } });
    expect(s2.compare).toEqual({ mediaId: 'm2', layout: 'side', wipe: 0.5, opacity: 0.5 });
    expect(applySessionPatch(s2, { compare: { layout: 'wipe' } }).compare).toEqual({
      mediaId: 'm2',
      layout: 'wipe',
      wipe: 0.5,
      opacity: 0.5,
    });
    // Every layout of the compare page, overlay with its opacity.
    expect(applySessionPatch(s2, { compare: { layout: 'overlay', opacity: 0.3 } }).compare).toEqual({
      mediaId: 'm2',
      layout: 'overlay',
      wipe: 0.5,
      opacity: 0.3,
    });
    expect(applySessionPatch(s2, { compare: { layout: 'difference' } }).compare?.layout).toBe('difference');
    expect(applySessionPatch(s2, { compare: null }).compare).toBeNull();
    // While playing, when the driver's picture was at the frame (the driver's clock).
    expect(applySessionPatch(s2, { playing: true, frame: 12, frameAt: 1_796_000_000_000 })).toMatchObject({
      playing: true,
      frame: 12,
      frameAt: 1_796_000_000_000,
    });
    expect(s0.frameAt).toBeNull();
    expect(s0.colour.exposure).toBe(0); // the input state is not changed
  });

  it('refuses unknown fields and values out of range, never coerces', () => {
    for (const bad of [
      {},
      { frame: '3' },
      { frame: 1.5 },
      { playing: 1 },
      { rate: 0 },
      { rate: 17 },
      { colour: { channel: 'x' } },
      { colour: { exposure: Number.NaN } },
      { colour: { hue: 1 } },
      { colour: { gamma: 0 } },
      { colour: { gamma: 10.01 } },
      { colour: { gamma: '2.2' } },
      { colour: { exposure: 20.5 } },
      { colour: { display: '' } },
      { compare: { layout: 'side' } }, // no compare media yet
      { compare: { mediaId: 'm2', wipe: 2 } },
      { compare: { mediaId: 'm2', opacity: -0.1 } },
      { frameAt: '2026-12-06T04:00:00Z' },
      { frameAt: -1 },
      { compare: { mediaId: 'm2', layout: 'blend' } },
      { drawing: { shapes: [{ type: 'nope' }] } },
      { extra: true },
      [],
      null,
    ])
      expect(() => applySessionPatch(s0, bad), JSON.stringify(bad)).toThrow(/./);
  });
});

describe('webhooks and session updates', () => {
  it('a webhook without a filter skips session updates (ticks); one that names them gets them', () => {
    expect(eventMatches([], 'review-session.updated')).toBe(false);
    expect(eventMatches([], 'job.progress')).toBe(false);
    expect(eventMatches([], 'annotation.created')).toBe(true);
    expect(eventMatches(['review-session.*'], 'review-session.updated')).toBe(true);
  });
});

for (const kind of DATABASES) {
  describe(`review sessions across two libraries (${kind})`, () => {
    it('updates written at once by two processes get one gap-free order, each stored once', async () => {
      const fx = await reviewFixture(kind);
      const other = await fx.lib.reopen({ jobs: false });
      try {
        const mediaId = await fx.upload();
        const a = fx.lib.montu.reviewSessions;
        const b = other.reviewSessions;
        const s = await a.startSession({ actor: 'sup', mediaId });
        const writes = Array.from({ length: 24 }, (_, i) =>
          (i % 2 ? a : b).updateState(s.id, { actor: 'sup', patch: { frame: i + 1 } }),
        );
        const done = await Promise.all(writes);
        const seqs = done.map((d) => d.seq).sort((x, y) => x - y);
        expect(seqs).toEqual(Array.from({ length: 24 }, (_, i) => i + 2));
        const events = await b.eventsAfter(s.id, 0);
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
        // Each accepted update's state is the one its event recorded; the last is the session's.
        const bySeq = new Map(events.map((e) => [e.seq, e]));
        for (const d of done) expect((bySeq.get(d.seq)!.data as { state: unknown }).state).toEqual(d.state);
        const snap = await a.getSession(s.id);
        expect(snap.seq).toBe(25);
        // The bells are not copied into the library's event log (the session keeps its own events).
        await fx.lib.montu.eventLog.flush();
        await other.eventLog.flush();
        const logged = await fx.lib.montu.db.selectFrom('event_log').select('event').execute();
        expect(logged.filter((r) => r.event.includes('review-session.updated'))).toEqual([]);
        expect(snap.state).toEqual((events.at(-1)!.data as { state: unknown }).state);
      } finally {
        await other.close();
        await fx.lib.cleanup();
      }
    });
  });
}

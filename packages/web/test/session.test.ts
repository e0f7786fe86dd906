import { describe, expect, it } from 'vitest';
import { initialSessionState } from '@montu/domain';
import {
  applyEvent,
  driftCorrection,
  eventAge,
  expectedFrame,
  stateAge,
  fromSnapshot,
  type ReviewSession,
  type ReviewSessionEvent,
} from '../src/lib/session.js';

const at = '2026-01-01T00:00:00.000Z';
const T = Date.parse(at);

function snapshot(): ReviewSession {
  return {
    id: 's1',
    projectId: 'P',
    playlistId: 'pl',
    mediaId: null,
    owner: 'sup',
    driver: 'sup',
    status: 'live',
    seq: 3,
    state: initialSessionState('m1') as unknown as ReviewSession['state'],
    items: ['m1', 'm2'],
    presence: [],
    createdAt: at,
    updatedAt: at,
    endedAt: null,
    endedBy: null,
    joinPath: '/review-sessions/s1',
  };
}

const event = (
  seq: number,
  type: ReviewSessionEvent['type'],
  data: Record<string, unknown>,
): ReviewSessionEvent => ({
  seq,
  type,
  actor: 'sup',
  at,
  data,
});

describe('session view', () => {
  it('applies events in order and ignores repeats', () => {
    const v0 = fromSnapshot(snapshot(), 1000);
    const state = { ...initialSessionState('m2'), frame: 12, playing: true };
    const v1 = applyEvent(v0, event(4, 'state', { state }), 5000);
    expect(v1.session.seq).toBe(4);
    expect(v1.session.state).toMatchObject({ mediaId: 'm2', frame: 12, playing: true });
    // A replayed event (seq at or below the view's) changes nothing.
    expect(applyEvent(v1, event(4, 'state', { state: initialSessionState('m1') }), 6000)).toBe(v1);
    const v2 = applyEvent(v1, event(5, 'control', { driver: 'bea', from: 'sup' }), 6000);
    expect(v2.session.driver).toBe('bea');
    const v3 = applyEvent(
      v2,
      event(6, 'note', { noteId: 'n1', mediaId: 'm2', frame: 12, sourceFrame: 1012, author: 'cal' }),
      7000,
    );
    expect(v3.notes).toEqual([{ noteId: 'n1', mediaId: 'm2', frame: 12, sourceFrame: 1012, author: 'cal' }]);
    expect(applyEvent(v3, event(7, 'ended', { endedBy: 'sup' }), 8000).session.status).toBe('ended');
  });

  it("bounds an event's age: larger gaps are clock skew, not latency", () => {
    expect(eventAge(at, T + 40)).toBe(40);
    expect(eventAge(at, T - 500)).toBe(0);
    expect(eventAge(at, T + 60_000)).toBe(2000);
  });

  it("playing: a state's age is from the driver's frameAt (a late joiner a minute on is a minute on)", () => {
    const playing = { playing: true, frameAt: T - 60_000 };
    // The server recorded the change 150 ms after the driver's picture was at the frame.
    expect(stateAge({ playing: true, frameAt: T - 150 }, at, T)).toBe(150);
    expect(stateAge(playing, at, T)).toBe(60_000);
    // Paused, without frameAt, or with a frameAt far in the future (clocks disagree): the server's time.
    expect(stateAge({ playing: false, frameAt: T - 150 }, at, T + 40)).toBe(40);
    expect(stateAge({ playing: true, frameAt: null }, at, T + 40)).toBe(40);
    expect(stateAge({ playing: true, frameAt: T + 10_000 }, at, T + 40)).toBe(40);
  });
});

describe('following the driver', () => {
  it('paused: the state frame; playing: advanced from the anchor, looping', () => {
    const paused = { frame: 1010, playing: false, rate: 1 };
    expect(expectedFrame(paused, 0, 5000, 24, 1000, 48)).toBe(10);
    const playing = { frame: 10, playing: true, rate: 1 };
    expect(expectedFrame(playing, 1000, 2000, 24, 0, 48)).toBe(34);
    expect(expectedFrame(playing, 1000, 3000, 24, 0, 48)).toBe(10); // 58 wraps to 10
    expect(expectedFrame({ ...playing, rate: -1 }, 1000, 1500, 24, 0, 48)).toBe(46);
  });

  it('corrects small drift with the rate and only seeks when far off', () => {
    expect(driftCorrection(10, 10.3, 48, 1)).toEqual({ seekTo: null, playbackRate: 1 });
    const behind = driftCorrection(10, 12, 48, 1);
    expect(behind.seekTo).toBeNull();
    expect(behind.playbackRate).toBeGreaterThan(1);
    const ahead = driftCorrection(12, 10, 48, 1);
    expect(ahead.playbackRate).toBeLessThan(1);
    expect(driftCorrection(10, 40, 480, 1, 24, 5)).toEqual({ seekTo: 45, playbackRate: 1 });
    // Across the loop point the short way round: 47 → 1 is two frames behind, not 46 ahead.
    expect(driftCorrection(47, 1, 48, 1).playbackRate).toBeGreaterThan(1);
  });
});

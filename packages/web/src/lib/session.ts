/**
 * Live review sessions in the browser (issue 22, decisions 140 and 196): the session as the
 * event stream describes it, and the follower's clock. Pure functions; the page does the I/O.
 */
import type { ReviewSessionState } from '@montu/domain';
import type { ReviewSession, ReviewSessionEvent } from '@montu/client';

export type { ReviewSession, ReviewSessionEvent };

/** A note taken in the session, as its `note` event tells it. */
export interface SessionNoteEvent {
  noteId: string;
  mediaId: string;
  frame: number | null;
  sourceFrame: number | null;
  author: string;
}

/** What the page shows of the session: the server's snapshot, kept current by the events. */
export interface SessionView {
  session: ReviewSession;
  /** Where the state became what it is, on this page's clock (performance.now()): the play anchor. */
  anchorMs: number;
  notes: SessionNoteEvent[];
}

/** The wire state, typed by the domain's rules (the schema says `drawing: unknown`). */
export function stateOf(session: ReviewSession): ReviewSessionState {
  return session.state as unknown as ReviewSessionState;
}

/**
 * How long ago (ms) the server recorded an event, bounded to [0, 2000]: browsers' and servers'
 * clocks differ by more than a frame, so a larger age is taken as skew, not as latency.
 */
export function eventAge(at: string, nowMs = Date.now()): number {
  const age = nowMs - Date.parse(at);
  return Number.isFinite(age) ? Math.min(Math.max(age, 0), 2000) : 0;
}

/**
 * How long ago (ms) the state's frame was the driver's picture: while playing, from the driver's
 * own `frameAt` (the request's time to the server does not count); else, or when `frameAt` is more
 * than 2 s in the future (the clocks disagree), from when the server recorded `at`.
 */
export function stateAge(
  state: Pick<ReviewSessionState, 'playing' | 'frameAt'>,
  at: string,
  nowMs = Date.now(),
): number {
  if (state.playing && state.frameAt !== null && state.frameAt !== undefined) {
    const age = nowMs - state.frameAt;
    if (Number.isFinite(age) && age >= -2000) return age;
  }
  return eventAge(at, nowMs);
}

/** A snapshot replaces everything (a late join, a reconnect, a resume past pruned events). */
export function fromSnapshot(session: ReviewSession, nowMs: number, prev?: SessionView): SessionView {
  return {
    session,
    anchorMs: nowMs - stateAge(stateOf(session), session.updatedAt),
    notes: prev && prev.session.id === session.id ? prev.notes : [],
  };
}

/**
 * The view after one event (in seq order; an event at or below the view's seq is a repeat and
 * changes nothing). Every `state` event carries the whole state, so none needs merging.
 */
export function applyEvent(view: SessionView, e: ReviewSessionEvent, nowMs: number): SessionView {
  const s = view.session;
  if (e.seq <= s.seq) return view;
  const d = e.data as Record<string, unknown>;
  const session: ReviewSession = { ...s, seq: e.seq, updatedAt: e.at };
  let anchorMs = view.anchorMs;
  let notes = view.notes;
  switch (e.type) {
    case 'started':
    case 'state':
      session.state = d['state'] as ReviewSession['state'];
      anchorMs = nowMs - stateAge(stateOf(session), e.at);
      break;
    case 'presence':
      session.presence = (d['presence'] as ReviewSession['presence']) ?? s.presence;
      break;
    case 'control':
      session.driver = String(d['driver']);
      break;
    case 'note':
      notes = [...notes, d as unknown as SessionNoteEvent];
      break;
    case 'ended':
      session.status = 'ended';
      session.endedBy = String(d['endedBy'] ?? '');
      session.endedAt = e.at;
      break;
  }
  return { session, anchorMs, notes };
}

/**
 * The frame (0-based index into the item) the driver shows `nowMs` on this page's clock: the
 * state's frame while paused; while playing, the frame advanced by the time since the anchor at
 * the state's rate, looping over the item as the driver's player does.
 */
export function expectedFrame(
  state: Pick<ReviewSessionState, 'frame' | 'playing' | 'rate'>,
  anchorMs: number,
  nowMs: number,
  fps: number,
  frameStart: number,
  frameCount: number,
): number {
  const base = state.frame - frameStart;
  if (!state.playing) return base;
  const f = base + ((nowMs - anchorMs) / 1000) * fps * state.rate;
  if (frameCount <= 0) return f;
  return ((f % frameCount) + frameCount) % frameCount;
}

/**
 * How a playing follower corrects its video: a faster or slower rate in proportion to the drift
 * (a video keeps decoding through a rate change, while a seek stalls it for the decode from the
 * last keyframe, which on a busy machine leaves it further behind than before); a seek only
 * when more than `farFrames` off, aimed `leadFrames` ahead to make up for the seek's own time.
 */
export function driftCorrection(
  shownFrame: number,
  wantedFrame: number,
  frameCount: number,
  rate: number,
  farFrames = 24,
  leadFrames = 0,
): { seekTo: number | null; playbackRate: number } {
  let drift = wantedFrame - shownFrame;
  // Across the loop point the short way round is the real drift.
  if (frameCount > 0 && Math.abs(drift) > frameCount / 2) drift -= Math.sign(drift) * frameCount;
  if (Math.abs(drift) > farFrames) {
    const to = wantedFrame + leadFrames * Math.sign(rate);
    return {
      seekTo: frameCount > 0 ? ((to % frameCount) + frameCount) % frameCount : to,
      playbackRate: rate,
    };
  }
  // Within half a frame: the driver's rate. Else up to twice as fast, or half as fast, to catch up.
  if (Math.abs(drift) <= 0.5) return { seekTo: null, playbackRate: rate };
  const nudge = Math.max(-0.5, Math.min(1, drift * 0.15 * Math.sign(rate)));
  return { seekTo: null, playbackRate: rate * (1 + nudge) };
}

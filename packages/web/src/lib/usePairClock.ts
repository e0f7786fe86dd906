/**
 * One clock for two <video>s (compare): A's frame is the timeline, B shows A's frame + `offset`.
 *
 * Paused, the clock is exact: every seek, step and pause puts both videos on the middle of their
 * frame, and `settled` turns true only once both have finished seeking, so both always show the
 * same aligned frame. Playing, one side is the master (the one whose sound plays, else A) and
 * runs freely at rate 1; the other follows it: at each frame it presents
 * (`requestVideoFrameCallback`) its picture is compared with where the master's is at that same
 * display time, and its playback rate is nudged to close the gap; past one frame (a stalled
 * decode on either side) the side that is ahead holds its frame until the other catches up.
 * Pausing re-locks both on the frame A shows. The counter on screen is A's presented frame.
 * See decision 177.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { clampFrame, frameToSeekTime, timeToFrame, type Rational } from './timecode.js';
import type { Player } from './usePlayer.js';

export interface PairSide {
  video: HTMLVideoElement | null;
  /**
   * A canvas over the video (same box): during playback both sides' pictures are painted there
   * together, a pair of frames at a time (decision 206); hidden when paused and locked.
   */
  canvas?: HTMLCanvasElement | null;
  fps: Rational;
  frameCount: number;
}

export interface PairClock extends Player {
  /** True when paused and both videos show the clock's frame (no seek pending). */
  settled: boolean;
  /** B's frame for A's frame `a` (clamped to B's frames). */
  bFrame(a: number): number;
}

type FrameMeta = { mediaTime: number; expectedDisplayTime: number };
type RvfcVideo = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: (now: number, meta: FrameMeta) => void) => number;
  cancelVideoFrameCallback?: (id: number) => void;
};

/**
 * Gaps (in frames): under DEADBAND the follower runs at rate 1; up to HOLD its rate is nudged;
 * past HOLD the side that is ahead holds its frame until the other reaches it.
 */
const DEADBAND = 0.2;
const HOLD = 1;
/** Rate correction per frame of gap, and its limit. */
const GAIN = 0.3;
const MAX_NUDGE = 0.3;

function seekTo(v: HTMLVideoElement, time: number): Promise<void> {
  if (!v.seeking && Math.abs(v.currentTime - time) < 1e-4) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      v.removeEventListener('seeked', done);
      v.removeEventListener('emptied', done);
      resolve();
    };
    v.addEventListener('seeked', done);
    v.addEventListener('emptied', done);
    v.currentTime = time;
  });
}

function whenLoaded(v: HTMLVideoElement): Promise<void> {
  if (v.readyState >= 1) return Promise.resolve();
  return new Promise((resolve) => v.addEventListener('loadedmetadata', () => resolve(), { once: true }));
}

export function usePairClock({
  a,
  b,
  offset,
  master,
  initialFrame,
}: {
  a: PairSide;
  b: PairSide;
  /** B's frame index minus A's. */
  offset: number;
  /** The side that runs freely during playback (the one whose sound plays). */
  master: 'a' | 'b';
  /** A's frame index to open on. */
  initialFrame: number;
}): PairClock {
  const [frame, setFrame] = useState(() => clampFrame(initialFrame, a.frameCount));
  const [playing, setPlaying] = useState(false);
  const [settled, setSettled] = useState(false);
  const [inPoint, setIn] = useState<number | null>(null);
  const [outPoint, setOut] = useState<number | null>(null);
  const [loop, setLoop] = useState(true);

  // What callbacks read without re-subscribing.
  const live = useRef({ a, b, offset, master, frame, playing, inPoint, outPoint, loop });
  live.current = { a, b, offset, master, frame, playing, inPoint, outPoint, loop };
  /** The frame of the latest seek (steps add to it, not to a frame still being reached). */
  const target = useRef<number | null>(null);
  /** Each seek's number: only the latest one settles. */
  const generation = useRef(0);

  const bFrame = useCallback(
    (f: number) => clampFrame(f + live.current.offset, live.current.b.frameCount),
    [],
  );

  /**
   * Pauses both and puts them on A's frame `f` (and B's aligned frame). Resolves true when this
   * was still the latest seek once both arrived (false: another seek or a pause came first).
   */
  const lock = useCallback(
    (f: number): Promise<boolean> => {
      const { a: A, b: B } = live.current;
      const fa = clampFrame(f, A.frameCount);
      const gen = ++generation.current;
      target.current = fa;
      setFrame(fa);
      setSettled(false);
      const seeks: Array<Promise<void>> = [];
      for (const [side, to] of [
        [A, fa],
        [B, bFrame(fa)],
      ] as const) {
        const v = side.video;
        if (!v) continue;
        v.pause();
        v.playbackRate = 1;
        seeks.push(whenLoaded(v).then(() => seekTo(v, frameToSeekTime(to, side.fps))));
      }
      return Promise.all(seeks).then(() => {
        if (gen !== generation.current) return false;
        // Both videos are on their frames: they are the picture again.
        for (const c of [A.canvas, B.canvas]) if (c) delete c.dataset['shown'];
        target.current = null;
        setSettled(Boolean(A.video && B.video));
        return true;
      });
    },
    [bFrame],
  );

  // A (new) pair of videos, or a new alignment: stop and show the clock's frame on both.
  useEffect(() => {
    setPlaying(false);
    void lock(target.current ?? live.current.frame);
  }, [a.video, b.video, offset, lock]);

  // Only the master's sound plays.
  useEffect(() => {
    if (a.video) a.video.muted = master !== 'a';
    if (b.video) b.video.muted = master !== 'b';
  }, [a.video, b.video, master]);

  // Playback: the counter follows A's presented frames, the follower follows the master, and
  // the end of the range loops or stops.
  useEffect(() => {
    const A = a.video as RvfcVideo | null;
    const B = b.video as RvfcVideo | null;
    if (!A || !B || !playing || !A.requestVideoFrameCallback) return;
    const lead = master === 'a' ? A : B;
    const follow = master === 'a' ? B : A;
    let last: FrameMeta | null = null;
    let handles: Array<[RvfcVideo, number]> = [];
    let stopped = false;

    const { a: SA0, b: SB0 } = live.current;
    const [leadFps, followFps] = master === 'a' ? [SA0.fps, SB0.fps] : [SB0.fps, SA0.fps];
    const leadFrameMs = (1000 * leadFps.den) / leadFps.num;
    /** The follower's frame (in master frames, offset removed) while it holds for the master. */
    let held: number | null = null;
    /** The master's frame (in follower frames) while it waits for a follower that fell behind. */
    let leadHeld: number | null = null;

    const onLead = (_: number, meta: FrameMeta) => {
      last = meta;
      // A follower that got ahead waits on its frame; the master has caught up: go on.
      if (held !== null && (meta.mediaTime * leadFps.num) / leadFps.den >= held - 0.5) {
        held = null;
        void follow.play().catch(() => undefined);
      }
      handles.push([lead, lead.requestVideoFrameCallback!(onLead)]);
    };
    const onFollow = (_: number, meta: FrameMeta) => {
      const off = live.current.offset;
      const have = (meta.mediaTime * followFps.num) / followFps.den;
      if (leadHeld !== null && have >= leadHeld - 0.5) {
        // The follower caught up with the waiting master: both go on.
        leadHeld = null;
        void lead.play().catch(() => undefined);
      } else if (last && !follow.seeking && held === null && leadHeld === null) {
        // Where the master's picture is at the follower's display time, in master frames. It is
        // projected at most one frame past its last presented one: a master that stalls (a slow
        // decode) is not assumed to be moving on.
        const ahead = Math.min(meta.expectedDisplayTime - last.expectedDisplayTime, leadFrameMs);
        const leadAt = ((last.mediaTime + ahead / 1000) * leadFps.num) / leadFps.den;
        const want = master === 'a' ? leadAt + off : leadAt - off;
        const gap = have - want;
        // Frame-locked sides of different rates: the follower runs at the master's frame rate.
        const base = (leadFps.num * followFps.den) / (leadFps.den * followFps.num);
        if (gap > HOLD) {
          // Ahead: hold this frame until the master reaches it (never run away from it).
          held = master === 'a' ? have - off : have + off;
          follow.pause();
        } else if (gap < -HOLD) {
          // Behind (its decoding stalled): the master waits on its frame for it; the sound
          // pauses with it rather than let the pictures part.
          leadHeld = want;
          lead.pause();
          follow.playbackRate = base;
        } else if (Math.abs(gap) > DEADBAND)
          follow.playbackRate = base * (1 - Math.max(-MAX_NUDGE, Math.min(MAX_NUDGE, gap * GAIN)));
        else follow.playbackRate = base;
      }
      handles.push([follow, follow.requestVideoFrameCallback!(onFollow)]);
    };
    const { a: SA1, b: SB1 } = live.current;
    const pairs = SA1.canvas && SB1.canvas ? pairPainter(SA1, SB1, () => live.current.offset) : null;
    const capture =
      (side: 'a' | 'b', v: RvfcVideo) =>
      (_: number, meta: FrameMeta): void => {
        if (stopped) return;
        const shown = pairs?.capture(side, v, meta.mediaTime);
        if (shown !== undefined && shown !== null) setFrame(shown);
        handles.push([v, v.requestVideoFrameCallback!(capture(side, v))]);
      };
    const onA = (_: number, meta: FrameMeta) => {
      if (stopped) return;
      const { a: SA, inPoint: from, outPoint: to, loop: looping } = live.current;
      const f = clampFrame(timeToFrame(meta.mediaTime, SA.fps), SA.frameCount);
      // With the paired canvases the counter is the pair on screen (set when it is painted).
      if (!pairs) setFrame(f);
      const end = to ?? SA.frameCount - 1;
      if (f >= end) {
        stopped = true;
        setPlaying(false);
        void lock(looping ? (from ?? 0) : end).then((latest) => {
          if (looping && latest) setPlaying(true);
        });
        return;
      }
      handles.push([A, A.requestVideoFrameCallback!(onA)]);
    };
    handles.push([lead, lead.requestVideoFrameCallback(onLead)]);
    handles.push([follow, follow.requestVideoFrameCallback!(onFollow)]);
    handles.push([A, A.requestVideoFrameCallback(onA)]);
    if (pairs) {
      // The two videos start on the same frame but not on the same refresh: show the locked pair
      // until the first pair of new frames is painted.
      pairs.hold();
      handles.push([A, A.requestVideoFrameCallback(capture('a', A))]);
      handles.push([B, B.requestVideoFrameCallback(capture('b', B))]);
    }
    // Both start in the same task, from the same aligned frame.
    for (const v of [A, B])
      v.play().catch(() => {
        // Sound refused without a user gesture: play muted rather than not at all.
        v.muted = true;
        return v.play().catch(() => setPlaying(false));
      });
    const prune = setInterval(() => {
      handles = handles.slice(-8);
    }, 1000);
    return () => {
      stopped = true;
      clearInterval(prune);
      for (const [v, h] of handles) v.cancelVideoFrameCallback?.(h);
    };
    // The rates are read once per run: a change of rate or alignment restarts it (lock above).
  }, [a.video, b.video, playing, master, lock]);

  const seek = useCallback(
    (f: number) => {
      setPlaying(false);
      void lock(f);
    },
    [lock],
  );

  const pause = useCallback(() => {
    // Playing: re-lock on the frame A holds now (the last callback may be a frame behind the
    // picture). Not yet playing: stay where we are, which also cancels a pending start.
    const { a: A, playing: was } = live.current;
    setPlaying(false);
    const f =
      was && A.video
        ? clampFrame(timeToFrame(A.video.currentTime, A.fps), A.frameCount)
        : (target.current ?? live.current.frame);
    void lock(f);
  }, [lock]);

  const play = useCallback(() => {
    if (live.current.playing || !a.video || !b.video) return;
    const { frame: f, inPoint: from, outPoint: to } = live.current;
    const start = f >= (to ?? a.frameCount - 1) ? (from ?? 0) : (target.current ?? f);
    void lock(start).then((latest) => latest && setPlaying(true));
  }, [a.video, b.video, a.frameCount, lock]);

  const step = (delta: number) => seek((target.current ?? live.current.frame) + delta);
  return {
    frame,
    playing,
    settled: settled && !playing,
    inPoint,
    outPoint,
    loop,
    bFrame,
    play,
    pause,
    toggle: () => (live.current.playing ? pause() : play()),
    seek,
    step,
    first: () => seek(inPoint ?? 0),
    last: () => seek(outPoint ?? a.frameCount - 1),
    setIn,
    setOut,
    setLoop,
  };
}

/** Frames kept per side for pairing: a side up to this many frames ahead still finds its pair. */
const PAIR_RING = 4;

/**
 * Paints both sides' pictures together (decision 206). Each side's presented frame is copied, in
 * its frame callback, into a small ring (frame number → copy); whenever A's newest frame whose
 * partner (A + offset, clamped to B's frames) is also in B's ring is newer than the pair on
 * screen, both copies are drawn on the sides' canvases in the same task, so one composited frame
 * always holds a matching pair. A side that runs ahead waits in its ring; one that stalls holds
 * the pair on screen until it presents the partner. Returns A's frame of the pair just shown.
 */
function pairPainter(A: PairSide, B: PairSide, offset: () => number) {
  const rings = {
    a: [] as Array<{ frame: number; copy: HTMLCanvasElement }>,
    b: [] as Array<{ frame: number; copy: HTMLCanvasElement }>,
  };
  let shownA = -1;
  const paint = (to: HTMLCanvasElement, from: HTMLCanvasElement | HTMLVideoElement) => {
    const w = from instanceof HTMLVideoElement ? from.videoWidth : from.width;
    const h = from instanceof HTMLVideoElement ? from.videoHeight : from.height;
    if (!w || !h) return;
    if (to.width !== w || to.height !== h) {
      to.width = w;
      to.height = h;
    }
    to.getContext('2d', { alpha: false })?.drawImage(from, 0, 0);
    // Shown through the style sheet (visibility: inherit): a hidden pane (A/B toggle) hides it.
    to.dataset['shown'] = 'true';
  };
  return {
    /** Both videos are paused on a locked pair: show it on the canvases before they start. */
    hold() {
      if (A.video && B.video && A.canvas && B.canvas) {
        paint(A.canvas, A.video);
        paint(B.canvas, B.video);
      }
    },
    capture(side: 'a' | 'b', v: HTMLVideoElement, mediaTime: number): number | null {
      const S = side === 'a' ? A : B;
      const ring = rings[side];
      if (!v.videoWidth) return null;
      // The copy is named by its own time stamp: under load the video may already hold a newer
      // frame than the callback's mediaTime by the time the callback runs. WebCodecs' VideoFrame
      // of the element carries the time stamp of the picture it holds.
      let picture: VideoFrame | null = null;
      try {
        picture = typeof VideoFrame === 'function' ? new VideoFrame(v) : null;
      } catch {
        // No picture to wrap this instant (a seek, an error): the callback's mediaTime names it.
      }
      const time = picture ? picture.timestamp / 1e6 : mediaTime;
      const frame = clampFrame(timeToFrame(time, S.fps), S.frameCount);
      if (ring.some((e) => e.frame === frame)) {
        picture?.close();
        return null;
      }
      // Reuse the oldest copy once the ring is full; a loop back to the start empties it.
      if (side === 'a' && frame < shownA) {
        shownA = -1;
        rings.a.length = 0;
        rings.b.length = 0;
      }
      const slot = ring.length >= PAIR_RING ? ring.shift()!.copy : document.createElement('canvas');
      slot.width = v.videoWidth;
      slot.height = v.videoHeight;
      slot.getContext('2d', { alpha: false })?.drawImage(picture ?? v, 0, 0, slot.width, slot.height);
      picture?.close();
      ring.push({ frame, copy: slot });
      let best: { a: HTMLCanvasElement; b: HTMLCanvasElement; frame: number } | null = null;
      for (const ea of rings.a) {
        if (ea.frame <= shownA || (best && ea.frame < best.frame)) continue;
        const fb = clampFrame(ea.frame + offset(), B.frameCount);
        const eb = rings.b.find((e) => e.frame === fb);
        if (eb) best = { a: ea.copy, b: eb.copy, frame: ea.frame };
      }
      if (!best || !A.canvas || !B.canvas) return null;
      paint(A.canvas, best.a);
      paint(B.canvas, best.b);
      shownA = best.frame;
      return best.frame;
    },
  };
}

/**
 * Frame-exact control of a <video>: the frame on screen comes from requestVideoFrameCallback's
 * mediaTime (the presented frame's timestamp), not from currentTime at paint; seeks go to the
 * middle of the wanted frame so rounding never lands on a neighbour. With a step screen (decision
 * 205) a paused seek to a frame already decoded shows it at once; the video seeks behind it.
 */
import { startTransition, useCallback, useEffect, useRef, useState } from 'react';
import { clampFrame, frameToSeekTime, timeToFrame, type Rational } from './timecode.js';
import type { StepScreen } from './stepFrames.js';

export interface PlayerState {
  frame: number;
  /**
   * True once the picture shows `frame`: a frame callback presented it (or, where a paused seek
   * presents none, the seek finished). False between a seek and its picture.
   */
  settled: boolean;
  playing: boolean;
  inPoint: number | null;
  outPoint: number | null;
  loop: boolean;
}

export interface Player extends PlayerState {
  play(): void;
  pause(): void;
  toggle(): void;
  seek(frame: number): void;
  step(delta: number): void;
  first(): void;
  last(): void;
  setIn(frame: number | null): void;
  setOut(frame: number | null): void;
  setLoop(loop: boolean): void;
}

type FrameCallbackVideo = HTMLVideoElement & {
  requestVideoFrameCallback?: (
    cb: (now: number, meta: { mediaTime: number; presentedFrames: number }) => void,
  ) => number;
  cancelVideoFrameCallback?: (id: number) => void;
};

export function usePlayer(
  video: HTMLVideoElement | null,
  fps: Rational,
  frameCount: number,
  initialFrame = 0,
  screen: StepScreen | null = null,
): Player {
  const [state, setState] = useState<PlayerState>({
    frame: initialFrame,
    settled: initialFrame === 0,
    playing: false,
    inPoint: null,
    outPoint: null,
    loop: true,
  });
  const stateRef = useRef(state);
  stateRef.current = state;
  const target = useRef<number | null>(null);
  /** The way the last step went: the prefetch decodes that side first. */
  const direction = useRef<1 | -1>(1);
  const screenRef = useRef(screen);
  screenRef.current = screen;
  /**
   * The frame the step screen shows while the video, paused, still holds another: the video
   * seeks there once the neighbours are decoded (or before it plays), not on every step — two
   * decoders working at once would slow both.
   */
  const lagging = useRef<number | null>(null);

  const setFrame = useCallback(
    (frame: number, settled = true) =>
      setState((s) => (s.frame === frame && s.settled === settled ? s : { ...s, frame, settled })),
    [],
  );

  useEffect(() => {
    const v = video as FrameCallbackVideo | null;
    if (!v) return;
    let handle = 0;
    let raf = 0;
    // Loop on: back to the in point (or the first frame), still playing.
    const wrap = () => {
      v.currentTime = frameToSeekTime(stateRef.current.inPoint ?? 0, fps);
      if (v.paused) void v.play().catch(() => undefined);
    };
    // Loop off: stop on the end frame and show it. Paused there by a seek to its middle, not left
    // wherever the clock was when the pause took effect (a frame short, seen at 24 fps).
    const stopAtEnd = () => {
      const end = stateRef.current.outPoint ?? frameCount - 1;
      target.current = end;
      setFrame(end, false);
      v.pause();
      v.currentTime = frameToSeekTime(end, fps);
    };
    const onFrame = (_now: number, meta: { mediaTime: number }) => {
      const f = clampFrame(timeToFrame(meta.mediaTime, fps), frameCount);
      const { outPoint, loop, playing } = stateRef.current;
      const end = outPoint ?? frameCount - 1;
      if (playing && !v.paused && f >= end) {
        if (loop) wrap();
        else {
          stopAtEnd();
          handle = v.requestVideoFrameCallback!(onFrame);
          return;
        }
      }
      if (lagging.current === null && (target.current === null || target.current === f)) {
        if (target.current === f && v.paused) screenRef.current?.capture(f);
        target.current = null;
        setFrame(f);
      }
      handle = v.requestVideoFrameCallback!(onFrame);
    };
    if (v.requestVideoFrameCallback) handle = v.requestVideoFrameCallback(onFrame);
    else {
      // Fallback without rVFC (older Firefox): poll currentTime each animation frame.
      const tick = () => {
        setFrame(clampFrame(timeToFrame(v.currentTime, fps), frameCount));
        raf = requestAnimationFrame(tick);
      };
      raf = requestAnimationFrame(tick);
    }
    const onPlay = () => {
      // Playing, the video is the picture and the decoder is its own.
      screenRef.current?.stop();
      screenRef.current?.hide();
      // Played by someone else (a playlist) while the video lagged the screen: from the screen's frame.
      if (lagging.current !== null) v.currentTime = frameToSeekTime(lagging.current, fps);
      lagging.current = null;
      setState((s) => ({ ...s, playing: true }));
    };
    const onPause = () => {
      setState((s) => ({ ...s, playing: false }));
      // Paused by the user (not by a seek): the last frame callback may be a frame behind the
      // picture. Settle on the frame holding currentTime and seek to its middle, so the picture,
      // currentTime and the counter agree.
      if (target.current === null && lagging.current === null && !v.seeking) {
        const f = clampFrame(timeToFrame(v.currentTime, fps), frameCount);
        target.current = f;
        setFrame(f, false);
        v.currentTime = frameToSeekTime(f, fps);
      }
    };
    // The media ran out before a frame callback saw the end frame (a short last frame, a busy page).
    const onEnded = () => (stateRef.current.loop ? wrap() : stopAtEnd());
    const onSeeked = () => {
      // A seek while paused may not present a new frame callback in every browser: settle here too.
      if (target.current !== null) {
        if (v.paused) screenRef.current?.capture(target.current);
        setFrame(target.current);
        target.current = null;
      }
    };
    v.addEventListener('play', onPlay);
    v.addEventListener('pause', onPause);
    v.addEventListener('seeked', onSeeked);
    v.addEventListener('ended', onEnded);
    return () => {
      if (handle && v.cancelVideoFrameCallback) v.cancelVideoFrameCallback(handle);
      cancelAnimationFrame(raf);
      v.removeEventListener('play', onPlay);
      v.removeEventListener('pause', onPause);
      v.removeEventListener('seeked', onSeeked);
      v.removeEventListener('ended', onEnded);
    };
  }, [video, fps, frameCount, setFrame]);

  const seek = useCallback(
    (frame: number) => {
      const f = clampFrame(frame, frameCount);
      // A kept frame is on screen now, the video follows later; otherwise the picture follows
      // the video's seek, and the neighbours' decoding waits until that frame is shown.
      if (video && screenRef.current?.show(f)) {
        lagging.current = f;
        target.current = null;
        // The picture is painted; the page's render of the new frame (counter, timeline, notes)
        // may yield to the browser so that paint is not held back by it.
        startTransition(() => setFrame(f, true));
        video.pause();
        return;
      }
      screenRef.current?.stop();
      lagging.current = null;
      target.current = f;
      setFrame(f, !video);
      if (video) {
        video.pause();
        video.currentTime = frameToSeekTime(f, fps);
      }
    },
    [video, fps, frameCount, setFrame],
  );

  // Paused on a frame: decode its neighbours for the next step, then bring the video there.
  useEffect(() => {
    if (!screen || state.playing || !state.settled) return;
    void screen.prefetch(state.frame, direction.current).then((done) => {
      const f = lagging.current;
      if (!done || f === null || !video || !video.paused) return;
      lagging.current = null;
      target.current = f;
      video.currentTime = frameToSeekTime(f, fps);
    });
  }, [screen, video, fps, state.frame, state.settled, state.playing]);

  // Go to the initial frame once the video can seek.
  useEffect(() => {
    if (!video || initialFrame === 0) return;
    const go = () => seek(initialFrame);
    if (video.readyState >= 1) go();
    else video.addEventListener('loadedmetadata', go, { once: true });
    return () => video.removeEventListener('loadedmetadata', go);
  }, [video, initialFrame, seek]);

  /** Plays from the frame on screen (the in point at the end of the range). */
  const start = () => {
    if (!video) return;
    const { frame, outPoint, inPoint } = stateRef.current;
    if (frame >= (outPoint ?? frameCount - 1)) video.currentTime = frameToSeekTime(inPoint ?? 0, fps);
    else if (lagging.current !== null) video.currentTime = frameToSeekTime(lagging.current, fps);
    lagging.current = null;
    target.current = null;
    // A pause before the play settles rejects it (AbortError); the player's state follows the
    // element's play/pause events, so nothing is lost by not answering the promise.
    void video.play().catch(() => undefined);
  };

  return {
    ...state,
    play: () => start(),
    pause: () => video?.pause(),
    toggle: () => {
      if (!video) return;
      if (video.paused) start();
      else video.pause();
    },
    seek,
    step: (delta) => {
      direction.current = delta < 0 ? -1 : 1;
      // From the frame last asked for: a seek still landing, or the screen's frame whose render
      // is still pending (a transition), not the frame last rendered.
      seek((target.current ?? lagging.current ?? stateRef.current.frame) + delta);
    },
    first: () => seek(stateRef.current.inPoint ?? 0),
    last: () => seek(stateRef.current.outPoint ?? frameCount - 1),
    setIn: (f) => setState((s) => ({ ...s, inPoint: f })),
    setOut: (f) => setState((s) => ({ ...s, outPoint: f })),
    setLoop: (loop) => setState((s) => ({ ...s, loop })),
  };
}

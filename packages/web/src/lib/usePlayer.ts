/**
 * Frame-exact control of a <video>: the frame on screen comes from requestVideoFrameCallback's
 * mediaTime (the presented frame's timestamp), not from currentTime at paint; seeks go to the
 * middle of the wanted frame so rounding never lands on a neighbour.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { clampFrame, frameToSeekTime, timeToFrame, type Rational } from './timecode.js';

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
      if (v.paused) void v.play();
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
      if (target.current === null || target.current === f) {
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
    const onPlay = () => setState((s) => ({ ...s, playing: true }));
    const onPause = () => {
      setState((s) => ({ ...s, playing: false }));
      // Paused by the user (not by a seek): the last frame callback may be a frame behind the
      // picture. Settle on the frame holding currentTime and seek to its middle, so the picture,
      // currentTime and the counter agree.
      if (target.current === null && !v.seeking) {
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
      target.current = f;
      setFrame(f, !video);
      if (video) {
        video.pause();
        video.currentTime = frameToSeekTime(f, fps);
      }
    },
    [video, fps, frameCount, setFrame],
  );

  // Go to the initial frame once the video can seek.
  useEffect(() => {
    if (!video || initialFrame === 0) return;
    const go = () => seek(initialFrame);
    if (video.readyState >= 1) go();
    else video.addEventListener('loadedmetadata', go, { once: true });
    return () => video.removeEventListener('loadedmetadata', go);
  }, [video, initialFrame, seek]);

  return {
    ...state,
    play: () => {
      if (!video) return;
      const { frame, outPoint, inPoint } = stateRef.current;
      if (frame >= (outPoint ?? frameCount - 1)) video.currentTime = frameToSeekTime(inPoint ?? 0, fps);
      void video.play();
    },
    pause: () => video?.pause(),
    toggle: () => {
      if (!video) return;
      if (video.paused) {
        const { frame, outPoint, inPoint } = stateRef.current;
        if (frame >= (outPoint ?? frameCount - 1)) video.currentTime = frameToSeekTime(inPoint ?? 0, fps);
        void video.play();
      } else video.pause();
    },
    seek,
    step: (delta) => seek((target.current ?? stateRef.current.frame) + delta),
    first: () => seek(stateRef.current.inPoint ?? 0),
    last: () => seek(stateRef.current.outPoint ?? frameCount - 1),
    setIn: (f) => setState((s) => ({ ...s, inPoint: f })),
    setOut: (f) => setState((s) => ({ ...s, outPoint: f })),
    setLoop: (loop) => setState((s) => ({ ...s, loop })),
  };
}

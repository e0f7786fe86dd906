/**
 * Frame stepping without waiting for a decode (issue 21: a step under 50 ms on a 1080p proxy;
 * decision 205). A paused step is a seek, and a seek decodes from the key frame before the wanted
 * frame (one every 12 in a proxy): 50–230 ms at 1080p in software. So while the player is paused,
 * a second, detached <video> of the same proxy seeks to the neighbouring frames' middles and each
 * is kept as an ImageBitmap. A step to a kept frame paints it at once on a canvas laid exactly
 * over the video (same box, same channel filter); the video seeks behind it. Paused, the canvas
 * is what is shown whenever it holds the player's frame; playing, the video is.
 */
import { useEffect, useState } from 'react';
import { frameToSeekTime, type Rational } from './timecode.js';

/** Frames kept ahead in the direction of travel, and behind it. */
export const AHEAD = 4;
export const BEHIND = 2;

/**
 * The frames to decode around `frame`, nearest first and, at equal distance, the direction of
 * travel first: +1, −1, +2, −2, +3, +4 for AHEAD 4 / BEHIND 2 going forward.
 */
export function prefetchOrder(
  frame: number,
  direction: 1 | -1,
  frameCount: number,
  ahead = AHEAD,
  behind = BEHIND,
): number[] {
  const out: number[] = [];
  for (let d = 1; d <= Math.max(ahead, behind); d++) {
    if (d <= ahead) out.push(frame + direction * d);
    if (d <= behind) out.push(frame - direction * d);
  }
  return out.filter((f) => f >= 0 && f < frameCount);
}

/** True when a kept frame is still worth its memory around `frame` (either direction). */
export function worthKeeping(kept: number, frame: number): boolean {
  return Math.abs(kept - frame) <= Math.max(AHEAD, BEHIND);
}

function seekTo(v: HTMLVideoElement, time: number): Promise<void> {
  if (!v.seeking && v.readyState >= 2 && Math.abs(v.currentTime - time) < 1e-4) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      v.removeEventListener('seeked', done);
      v.removeEventListener('error', done);
      resolve();
    };
    v.addEventListener('seeked', done);
    v.addEventListener('error', done);
    v.currentTime = time;
  });
}

/**
 * The video's picture now, and whether it is the picture presented at `frame`'s seek time (its
 * middle) by the picture's own time stamp (WebCodecs' VideoFrame of the element): a frame starts
 * at its time stamp and lasts one frame, so a proxy whose time stamps are shifted (audio priming,
 * an edit list) is still judged as the element shows it. Without VideoFrame the landed seek is
 * trusted. Close it after use.
 */
function pictureOf(
  v: HTMLVideoElement,
  fps: Rational,
  frame: number,
): { source: CanvasImageSource; isFrame: boolean; close(): void } {
  let picture: VideoFrame;
  try {
    if (typeof VideoFrame !== 'function') throw new Error('no WebCodecs');
    picture = new VideoFrame(v);
  } catch {
    // Without VideoFrame (or no picture to wrap this instant) the landed seek is trusted.
    return { source: v, isFrame: true, close: () => undefined };
  }
  const at = frameToSeekTime(frame, fps);
  const start = picture.timestamp / 1e6;
  const length = fps.den / fps.num;
  return {
    source: picture,
    isFrame: start <= at + 1e-4 && at < start + length - 1e-4,
    close: () => picture.close(),
  };
}

/** What the player asks of the still canvas. */
export interface StepScreen {
  /** Paints `frame` if it is kept; true when it is now what the stage shows. */
  show(frame: number): boolean;
  /** The video shows `frame` (paused, seeked): copy it onto the canvas, keep it, show the canvas. */
  capture(frame: number): void;
  /** The video is shown (playing, or the canvas does not hold the frame). */
  hide(): void;
  /**
   * Decodes the neighbours of `frame` (stops a previous round). Resolves true when all are kept,
   * false when a newer round, a stop or an error ended it first.
   */
  prefetch(frame: number, direction: 1 | -1): Promise<boolean>;
  /** Stops prefetching (playback needs the decoder). */
  stop(): void;
  dispose(): void;
}

export function createStepScreen(
  video: HTMLVideoElement,
  canvas: HTMLCanvasElement,
  fps: Rational,
  frameCount: number,
): StepScreen {
  const kept = new Map<number, ImageBitmap>();
  const ctx = canvas.getContext('2d', { alpha: false });
  let hidden: HTMLVideoElement | null = null;
  /** Each prefetch round's number: an older round stops at its next await. */
  let round = 0;
  let disposed = false;

  const setVisible = (frame: number | null) => {
    // Shown through a data attribute and the style sheet (visibility: inherit), so a hidden pane
    // hides it too.
    if (frame === null) {
      delete canvas.dataset['frame'];
      delete canvas.dataset['shown'];
    } else {
      canvas.dataset['frame'] = String(frame);
      canvas.dataset['shown'] = 'true';
    }
  };
  setVisible(null);

  const paint = (source: CanvasImageSource, w: number, h: number) => {
    if (!ctx || !w || !h) return false;
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    ctx.drawImage(source, 0, 0, w, h);
    return true;
  };

  const keep = (frame: number, bitmap: ImageBitmap) => {
    kept.get(frame)?.close();
    kept.set(frame, bitmap);
  };

  const evict = (around: number) => {
    for (const [f, b] of kept)
      if (!worthKeeping(f, around)) {
        b.close();
        kept.delete(f);
      }
  };

  /** The detached decoder for neighbours: made on first use, same proxy as the video. */
  const decoder = (): HTMLVideoElement => {
    if (hidden) return hidden;
    const v = document.createElement('video');
    v.muted = true;
    v.preload = 'auto';
    v.playsInline = true;
    v.crossOrigin = video.crossOrigin;
    v.src = video.currentSrc || video.src;
    hidden = v;
    return v;
  };

  const loaded = (v: HTMLVideoElement) =>
    v.readyState >= 1
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const done = () => {
            v.removeEventListener('loadedmetadata', done);
            v.removeEventListener('error', done);
            resolve();
          };
          v.addEventListener('loadedmetadata', done);
          v.addEventListener('error', done);
        });

  return {
    show(frame) {
      const b = kept.get(frame);
      if (!b || !paint(b, b.width, b.height)) {
        setVisible(null);
        return false;
      }
      setVisible(frame);
      return true;
    },
    capture(frame) {
      if (!video.videoWidth) return;
      const picture = pictureOf(video, fps, frame);
      // Not the frame by its time stamp (a guard): the video stays the picture.
      if (!picture.isFrame) return picture.close();
      if (canvas.dataset['frame'] !== String(frame) || canvas.dataset['shown'] !== 'true') {
        paint(picture.source, video.videoWidth, video.videoHeight);
        setVisible(frame);
      }
      if (kept.has(frame)) return picture.close();
      createImageBitmap(picture.source as ImageBitmapSource)
        .then((b) => (disposed ? b.close() : keep(frame, b)))
        // No bitmap (out of memory, a closed frame): the prefetch decodes it again if needed.
        .catch(() => undefined)
        .finally(() => picture.close());
    },
    hide() {
      setVisible(null);
    },
    prefetch(frame, direction) {
      const mine = ++round;
      evict(frame);
      const wanted = prefetchOrder(frame, direction, frameCount).filter((f) => !kept.has(f));
      if (!wanted.length) return Promise.resolve(true);
      const v = decoder();
      return (async () => {
        await loaded(v);
        for (const f of wanted) {
          if (mine !== round || disposed) return false;
          if (kept.has(f)) continue;
          await seekTo(v, frameToSeekTime(f, fps));
          if (mine !== round || disposed || v.readyState < 2) return false;
          const picture = pictureOf(v, fps, f);
          try {
            // Kept only when the decoder's picture is the frame asked for (by its time stamp);
            // kept even if a newer round began meanwhile.
            if (picture.isFrame) keep(f, await createImageBitmap(picture.source as ImageBitmapSource));
          } catch {
            return false;
          } finally {
            picture.close();
          }
        }
        return mine === round;
      })();
    },
    stop() {
      round++;
    },
    dispose() {
      disposed = true;
      round++;
      for (const b of kept.values()) b.close();
      kept.clear();
      if (hidden) {
        hidden.removeAttribute('src');
        hidden.load();
      }
    },
  };
}

/** The step screen of a video and its canvas, made when both are there (null before). */
export function useStepScreen(
  video: HTMLVideoElement | null,
  canvas: HTMLCanvasElement | null,
  fps: Rational,
  frameCount: number,
): StepScreen | null {
  const [screen, setScreen] = useState<StepScreen | null>(null);
  useEffect(() => {
    if (!video || !canvas) return;
    const s = createStepScreen(video, canvas, fps, frameCount);
    setScreen(s);
    return () => {
      s.dispose();
      setScreen(null);
    };
  }, [video, canvas, fps, frameCount]);
  return screen;
}

/**
 * Fast-scroll detection for the browser grid. While the list is flung (scrollbar drag, trackpad
 * fling, End key) cards fly past faster than anyone can see them; starting a thumbnail request,
 * decode and paint for each of them is most of the main thread's work. Thumbnails therefore wait
 * until scrolling slows down (see `Thumb`), as photo apps do.
 */
import { useSyncExternalStore } from 'react';

/** Moving more than this per animation frame (~3,000 px/s at 60 Hz) is a fling: thumbnails wait. */
export const FAST_PX_PER_FRAME = 48;
/** Scrolling has settled after this many animation frames in a row below that speed (~130 ms at 60 Hz). */
export const SETTLE_FRAMES = 8;

let fast = false;
const listeners = new Set<() => void>();

function set(next: boolean): void {
  if (next === fast) return;
  fast = next;
  listeners.forEach((l) => l());
}

/**
 * Pure step of the detector: given whether we are fast, the distance moved in the last frame and
 * the count of calm frames so far, returns the next state. Counting frames rather than
 * milliseconds keeps a stalled frame (a busy machine) from looking like a slow scroll.
 */
export function nextSpeedState(
  state: { fast: boolean; calm: number },
  dy: number,
): { fast: boolean; calm: number } {
  if (Math.abs(dy) > FAST_PX_PER_FRAME) return { fast: true, calm: 0 };
  const calm = state.calm + 1;
  return { fast: state.fast && calm < SETTLE_FRAMES, calm };
}

/** Tracks one scroll element (a frame loop runs only while it scrolls); returns the cleanup. */
export function trackScrollSpeed(el: HTMLElement): () => void {
  let top = el.scrollTop;
  let lastTop = top;
  let state = { fast: false, calm: 0 };
  let raf = 0;
  const frame = (): void => {
    state = nextSpeedState(state, top - lastTop);
    lastTop = top;
    set(state.fast);
    raf = state.calm < SETTLE_FRAMES ? requestAnimationFrame(frame) : 0;
  };
  const onScroll = (): void => {
    top = el.scrollTop;
    if (!raf) {
      state = { fast: state.fast, calm: 0 };
      raf = requestAnimationFrame(frame);
    }
  };
  el.addEventListener('scroll', onScroll, { passive: true });
  return () => {
    el.removeEventListener('scroll', onScroll);
    cancelAnimationFrame(raf);
    set(false);
  };
}

const subscribe = (l: () => void): (() => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
export const isScrollingFast = (): boolean => fast;
export const useScrollingFast = (): boolean => useSyncExternalStore(subscribe, isScrollingFast);

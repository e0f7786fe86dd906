/**
 * The 0-based toggle (decision 170): frames from 0 and timecode from 00:00:00:00 instead of
 * source frame and source timecode. Kept per browser (a supervisor who counts from 0 does so
 * everywhere) and shared by every counter and label on the page, so flipping it in one transport
 * renames the compare sides' frames too.
 */
import { useSyncExternalStore } from 'react';

const KEY = 'montu.player.zeroBased';
const listeners = new Set<() => void>();

const read = (): boolean => localStorage.getItem(KEY) === '1';

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function setZeroBased(on: boolean): void {
  localStorage.setItem(KEY, on ? '1' : '0');
  for (const l of listeners) l();
}

export function useZeroBased(): [boolean, (on: boolean) => void] {
  return [useSyncExternalStore(subscribe, read), setZeroBased];
}

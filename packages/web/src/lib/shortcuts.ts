/**
 * Every keyboard shortcut of the app, in one table: the pages' key handlers are built from it
 * (`keyMap`) and the `?` overlay lists it, so a key cannot do one thing and be documented as
 * another. Key names are `keyName`'s (useKeys.ts): `shift+a`, `ArrowLeft`, `[`.
 */
import type { KeyMap } from './useKeys.js';
import type { Player } from './usePlayer.js';

export type ShortcutGroup = 'Playback' | 'Review' | 'Navigation' | 'View' | 'Drawing' | 'Compare';

/** The overlay's groups, in order, with what a reader needs to know of each. */
export const SHORTCUT_GROUPS: ReadonlyArray<{ group: ShortcutGroup; note?: string }> = [
  { group: 'Playback', note: 'In compare they drive both sides on one clock.' },
  { group: 'Review' },
  { group: 'Navigation' },
  { group: 'View' },
  { group: 'Drawing' },
  { group: 'Compare', note: 'On the compare page, where these letters replace the channel keys.' },
];

export interface Shortcut {
  keys: readonly string[];
  label: string;
  group: ShortcutGroup;
}

export const SHORTCUTS = {
  // Playback
  playPause: { keys: [' ', 'k'], label: 'Play / pause', group: 'Playback' },
  stepBack: { keys: ['ArrowLeft'], label: 'Previous frame', group: 'Playback' },
  stepForward: { keys: ['ArrowRight'], label: 'Next frame', group: 'Playback' },
  stepBack10: { keys: ['shift+ArrowLeft'], label: 'Back 10 frames', group: 'Playback' },
  stepForward10: { keys: ['shift+ArrowRight'], label: 'Forward 10 frames', group: 'Playback' },
  first: { keys: ['Home'], label: 'First frame', group: 'Playback' },
  last: { keys: ['End'], label: 'Last frame', group: 'Playback' },
  setIn: { keys: ['i'], label: 'Set in point', group: 'Playback' },
  setOut: { keys: ['o'], label: 'Set out point', group: 'Playback' },
  clearInOut: { keys: ['shift+x'], label: 'Clear in and out', group: 'Playback' },
  loop: { keys: ['l'], label: 'Loop on / off', group: 'Playback' },
  // Review
  approve: { keys: ['shift+a'], label: 'Approve', group: 'Review' },
  requestChanges: { keys: ['shift+c'], label: 'Request changes', group: 'Review' },
  note: { keys: ['m'], label: 'Write a note on this frame', group: 'Review' },
  compare: { keys: ['c'], label: 'Compare with another version', group: 'Review' },
  // Navigation
  prevVersion: { keys: ['['], label: 'Previous version of the task', group: 'Navigation' },
  nextVersion: { keys: [']'], label: 'Next version of the task', group: 'Navigation' },
  prevItem: { keys: ['PageUp', 'shift+p'], label: 'Previous playlist item', group: 'Navigation' },
  nextItem: { keys: ['PageDown', 'shift+n'], label: 'Next playlist item', group: 'Navigation' },
  tabNotes: { keys: ['alt+1'], label: 'Notes tab', group: 'Navigation' },
  tabReview: { keys: ['alt+2'], label: 'Review tab', group: 'Navigation' },
  tabInfo: { keys: ['alt+3'], label: 'Metadata tab', group: 'Navigation' },
  help: { keys: ['?'], label: 'Show these shortcuts', group: 'Navigation' },
  search: { keys: ['/'], label: 'Search the browser', group: 'Navigation' },
  // View
  fit: { keys: ['f'], label: 'Fit to window', group: 'View' },
  actualSize: { keys: ['1'], label: 'Actual pixels (1:1)', group: 'View' },
  zoomIn: { keys: ['+', '='], label: 'Zoom in', group: 'View' },
  zoomOut: { keys: ['-'], label: 'Zoom out', group: 'View' },
  channelR: { keys: ['r'], label: 'Red channel', group: 'View' },
  channelG: { keys: ['g'], label: 'Green channel', group: 'View' },
  channelB: { keys: ['b'], label: 'Blue channel', group: 'View' },
  channelA: { keys: ['a'], label: 'Alpha channel', group: 'View' },
  channelY: { keys: ['y'], label: 'Luminance (grey)', group: 'View' },
  // Drawing
  toolSelect: { keys: ['v'], label: 'Select (no drawing tool)', group: 'Drawing' },
  toolPen: { keys: ['p'], label: 'Pen', group: 'Drawing' },
  toolLine: { keys: ['u'], label: 'Line', group: 'Drawing' },
  toolArrow: { keys: ['w'], label: 'Arrow', group: 'Drawing' },
  toolRect: { keys: ['x'], label: 'Rectangle', group: 'Drawing' },
  toolEllipse: { keys: ['q'], label: 'Ellipse', group: 'Drawing' },
  toolText: { keys: ['t'], label: 'Text', group: 'Drawing' },
  toolEraser: { keys: ['e'], label: 'Eraser', group: 'Drawing' },
  undo: { keys: ['ctrl+z'], label: 'Undo drawing', group: 'Drawing' },
  redo: { keys: ['ctrl+shift+z', 'ctrl+y'], label: 'Redo drawing', group: 'Drawing' },
  cancel: { keys: ['Escape'], label: 'Put the tool down / close', group: 'Drawing' },
  onion: { keys: ['shift+o'], label: 'Onion skin (neighbouring frames’ drawings)', group: 'Drawing' },
  // Compare
  compareShowA: { keys: ['a'], label: 'Show A (A/B toggle layout)', group: 'Compare' },
  compareShowB: { keys: ['b'], label: 'Show B (A/B toggle layout)', group: 'Compare' },
  compareSwap: { keys: ['t'], label: 'Switch between A and B', group: 'Compare' },
} as const satisfies Record<string, Shortcut>;

export type ShortcutId = keyof typeof SHORTCUTS;

/** A page's key map from handlers by shortcut id: every key of each handled shortcut. */
export function keyMap(handlers: Partial<Record<ShortcutId, (e: KeyboardEvent) => void>>): KeyMap {
  const map: KeyMap = {};
  for (const [id, fn] of Object.entries(handlers) as Array<[ShortcutId, (e: KeyboardEvent) => void]>) {
    for (const key of SHORTCUTS[id].keys) map[key] = fn;
  }
  return map;
}

/** The Playback group's handlers for a player (the viewer's, or compare's clock over both sides). */
export function transportKeys(
  p: Pick<Player, 'frame' | 'loop' | 'toggle' | 'step' | 'first' | 'last' | 'setIn' | 'setOut' | 'setLoop'>,
): Partial<Record<ShortcutId, () => void>> {
  return {
    playPause: () => p.toggle(),
    stepBack: () => p.step(-1),
    stepForward: () => p.step(1),
    stepBack10: () => p.step(-10),
    stepForward10: () => p.step(10),
    first: () => p.first(),
    last: () => p.last(),
    setIn: () => p.setIn(p.frame),
    setOut: () => p.setOut(p.frame),
    clearInOut: () => {
      p.setIn(null);
      p.setOut(null);
    },
    loop: () => p.setLoop(!p.loop),
  };
}

/** A key name as printed on a key cap: `shift+a` → `⇧ A`, `ArrowLeft` → `←`. */
export function keyCap(key: string): string {
  const names: Record<string, string> = {
    ' ': 'Space',
    ArrowLeft: '←',
    ArrowRight: '→',
    ArrowUp: '↑',
    ArrowDown: '↓',
    PageUp: 'Page Up',
    PageDown: 'Page Down',
    Escape: 'Esc',
  };
  const mods = { ctrl: 'Ctrl', alt: 'Alt', shift: '⇧' } as const;
  // The key itself is the part after the last modifier (the key may be `+`).
  const m = /^((?:(?:ctrl|alt|shift)\+)*)(.+)$/.exec(key)!;
  const prefix = m[1]!
    .split('+')
    .filter(Boolean)
    .map((p) => mods[p as keyof typeof mods]);
  const k = m[2]!;
  return [...prefix, names[k] ?? (k.length === 1 ? k.toUpperCase() : k)].join(' ');
}

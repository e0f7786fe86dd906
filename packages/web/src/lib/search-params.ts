/**
 * The URL's search parameters, read with the domain's rules: each page's state that a reload must
 * restore (frame, compare pair and layout, wipe position, playlist item, search and filters).
 * A parameter that breaks a rule is dropped (the page's default applies), never thrown: a pasted
 * or hand-edited link must open the page, not crash it. Pure functions (no router, no DOM), so
 * the rules are unit-tested in Node; `routes.ts` wires them into the router.
 */
import {
  APPROVAL_STATUSES,
  COMPARE_LAYOUTS,
  MEDIA_TYPES,
  formatVersion,
  parseVersion,
  type CompareLayout,
} from '@montu/domain';

/**
 * What the URL parser hands a validator: every value a string. Validators return every key of
 * their schema, undefined when absent or refused: the router lays a page's validated parameters
 * over the raw ones of the address, so a refused value must be overwritten by an explicit
 * undefined, not left out (else the raw string would show through).
 */
export type RawSearch = Record<string, unknown>;

function text(raw: RawSearch, key: string, max = 200): string | undefined {
  const v = raw[key];
  const s = Array.isArray(v) ? v[0] : v;
  if (typeof s !== 'string' && typeof s !== 'number') return undefined;
  const t = String(s).slice(0, max);
  return t === '' ? undefined : t;
}

/** A whole number in [min, max] written in decimal (`37`, `-5`); anything else is undefined. */
function integer(raw: RawSearch, key: string, min: number, max: number): number | undefined {
  const s = text(raw, key, 20);
  if (s === undefined || !/^-?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** A fraction in [0, 1] (`0.3`, `1`), kept to 4 decimals so the URL stays short. */
function fraction(raw: RawSearch, key: string): number | undefined {
  const s = text(raw, key, 20);
  if (s === undefined || !/^(?:0|1|0?\.\d+|1\.0+)$/.test(s)) return undefined;
  return roundFraction(Number(s));
}

export function roundFraction(v: number): number {
  return Math.round(Math.min(1, Math.max(0, v)) * 10_000) / 10_000;
}

function oneOf<T extends string>(raw: RawSearch, key: string, values: readonly T[]): T | undefined {
  const s = text(raw, key, 40);
  return s !== undefined && (values as readonly string[]).includes(s) ? (s as T) : undefined;
}

/** A version as the domain writes it (`v001`); `3` and `V3` are read as v003. */
function version(raw: RawSearch, key: string): string | undefined {
  const s = text(raw, key, 20);
  if (s === undefined) return undefined;
  try {
    return formatVersion(parseVersion(s));
  } catch {
    return undefined;
  }
}

/** An id of ours (media, note, playlist, item): letters, digits, `_` and `-` only. */
function id(raw: RawSearch, key: string): string | undefined {
  const s = text(raw, key, 100);
  return s !== undefined && /^[A-Za-z0-9_-]+$/.test(s) ? s : undefined;
}

/**
 * A flag: `1` (or `true`) is on; anything else, or nothing, is off (undefined). Written `1`. The
 * router also runs a validator over the typed values a link was built with, so `true` is on too.
 */
function flag(raw: RawSearch, key: string): true | undefined {
  if (raw[key] === true) return true;
  const s = text(raw, key, 10);
  return s === '1' || s === 'true' ? true : undefined;
}

/** A calendar date `YYYY-MM-DD` that exists. */
function date(raw: RawSearch, key: string): string | undefined {
  const s = text(raw, key, 10);
  if (s === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return undefined;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s ? s : undefined;
}

/** Frame numbers in a URL: a source frame (sequences start at 1001, timecode frames reach 2 million). */
const FRAME_MAX = 100_000_000;

// ── The browser: search and filters ──────────────────────────────────────────

export interface BrowserSearch {
  q?: string;
  status?: (typeof APPROVAL_STATUSES)[number];
  type?: (typeof MEDIA_TYPES)[number];
  author?: string;
  tags?: string;
  from?: string;
  to?: string;
}

export function browserSearch(raw: RawSearch): BrowserSearch {
  return {
    q: text(raw, 'q'),
    status: oneOf(raw, 'status', APPROVAL_STATUSES),
    type: oneOf(raw, 'type', MEDIA_TYPES),
    author: text(raw, 'author', 100),
    tags: text(raw, 'tags'),
    from: date(raw, 'from'),
    to: date(raw, 'to'),
  };
}

/** The browser's filter fields as the filter form edits them ('' = any). */
export interface BrowserFilters {
  query: string;
  status: string;
  mediaType: string;
  author: string;
  tags: string;
  dateFrom: string;
  dateTo: string;
}

export function browserFilters(s: BrowserSearch): BrowserFilters {
  return {
    query: s.q ?? '',
    status: s.status ?? '',
    mediaType: s.type ?? '',
    author: s.author ?? '',
    tags: s.tags ?? '',
    dateFrom: s.from ?? '',
    dateTo: s.to ?? '',
  };
}

/** The form's fields back to parameters, through the same rules (a bad value is left out). */
export function browserSearchOf(f: BrowserFilters): BrowserSearch {
  return browserSearch({
    q: f.query,
    status: f.status,
    type: f.mediaType,
    author: f.author,
    tags: f.tags,
    from: f.dateFrom,
    to: f.dateTo,
  });
}

// ── The viewer: frame, note, playlist item ───────────────────────────────────

export interface ViewerSearch {
  /** The frame on screen, numbered as notes are (a sequence's own numbers, a movie's index). */
  frame?: number;
  /** The selected note. */
  note?: string;
  /** Opened from this playlist, at this item. */
  playlist?: string;
  item?: string;
  /** Playing the playlist through: each item starts, the next follows at its end. */
  play?: true;
  /** The playlist's review mode: a verdict moves on to the next item. */
  review?: true;
}

export function viewerSearch(raw: RawSearch): ViewerSearch {
  return {
    frame: integer(raw, 'frame', -FRAME_MAX, FRAME_MAX),
    note: id(raw, 'note'),
    playlist: id(raw, 'playlist'),
    item: id(raw, 'item'),
    play: flag(raw, 'play'),
    review: flag(raw, 'review'),
  };
}

// ── Playlists: which playlist, which item ────────────────────────────────────

export interface PlaylistsSearch {
  id?: string;
  item?: string;
}

export function playlistsSearch(raw: RawSearch): PlaylistsSearch {
  return { id: id(raw, 'id'), item: id(raw, 'item') };
}

// ── Compare: the pair, the layout, the alignment, the frame ──────────────────

// The layouts are the domain's: a session's compare state uses the same ones.
export { COMPARE_LAYOUTS, type CompareLayout } from '@montu/domain';
/**
 * How B's frames line up with A's: `start` (first frame with first frame), `timecode` (the same
 * source timecode, or the same source frame number when a side has no timecode), `offset` (B
 * shows A's frame + `offset`, a chosen pairing).
 */
export const COMPARE_SYNCS = ['start', 'timecode', 'offset'] as const;
export type CompareSync = (typeof COMPARE_SYNCS)[number];
export const COMPARE_AUDIO = ['a', 'b', 'none'] as const;
export type CompareAudio = (typeof COMPARE_AUDIO)[number];

export interface CompareSearch {
  a?: string;
  b?: string;
  layout?: CompareLayout;
  /** Wipe divider position, 0 (all B) … 1 (all A). */
  wipe?: number;
  /** Overlay: B's opacity over A, 0 … 1. */
  opacity?: number;
  /** A's frame, numbered as in the viewer. */
  frame?: number;
  sync?: CompareSync;
  /** With sync=offset: B's frame minus A's. */
  offset?: number;
  audio?: CompareAudio;
}

export const COMPARE_DEFAULTS = {
  layout: 'wipe',
  wipe: 0.5,
  opacity: 0.5,
  sync: 'start',
  offset: 0,
  audio: 'a',
} as const satisfies Required<
  Pick<CompareSearch, 'layout' | 'wipe' | 'opacity' | 'sync' | 'offset' | 'audio'>
>;

export function compareSearch(raw: RawSearch): CompareSearch {
  return {
    a: version(raw, 'a'),
    b: version(raw, 'b'),
    // `mode` is the name links used before the layout had its own parameter.
    layout: oneOf(raw, 'layout', COMPARE_LAYOUTS) ?? oneOf(raw, 'mode', COMPARE_LAYOUTS),
    wipe: fraction(raw, 'wipe'),
    opacity: fraction(raw, 'opacity'),
    frame: integer(raw, 'frame', -FRAME_MAX, FRAME_MAX),
    sync: oneOf(raw, 'sync', COMPARE_SYNCS),
    offset: integer(raw, 'offset', -FRAME_MAX, FRAME_MAX),
    audio: oneOf(raw, 'audio', COMPARE_AUDIO),
  };
}

// ── Plain query strings: every value a string, nothing JSON-encoded ──────────

/** `?a=1&b=x` → `{ a: '1', b: 'x' }` (the validators above do the typing). */
export function parseQuery(search: string): RawSearch {
  const out: RawSearch = {};
  for (const [k, v] of new URLSearchParams(search)) if (!(k in out)) out[k] = v;
  return out;
}

/**
 * The reverse; undefined, null, false and '' are left out, so defaults never clutter a link, and
 * a flag that is on is written `1`.
 */
export function stringifyQuery(search: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(search)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    p.set(k, v === true ? '1' : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

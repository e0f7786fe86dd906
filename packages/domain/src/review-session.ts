/**
 * Live review sessions (issue 22): the state every follower mirrors from the driver, and the
 * rules for changing it. The server stores it; the web app and clients apply the same patches.
 */
import { ValidationError } from './errors.js';
import { parseDrawing, type Drawing } from './drawing.js';
import type { Role } from './workflow.js';

/**
 * How two versions are shown together, in the compare page and in a session: side by side, wipe
 * (a divider), overlay (B over A at an opacity), difference (|A − B|) or A/B toggle.
 */
export const COMPARE_LAYOUTS = ['side', 'wipe', 'overlay', 'difference', 'toggle'] as const;
export type CompareLayout = (typeof COMPARE_LAYOUTS)[number];

/** Which channel the viewer shows; `rgb` is the picture, the others in grey. */
export const VIEW_CHANNELS = ['rgb', 'r', 'g', 'b', 'a', 'luminance'] as const;
export type ViewChannel = (typeof VIEW_CHANNELS)[number];

export const SESSION_RATE_LIMIT = 16;
export const SESSION_EXPOSURE_LIMIT = 20;
/** Display gamma range (applied after the view: code value^(1/gamma); 1 = the view as baked). */
export const VIEW_GAMMA_MIN = 0.1;
export const VIEW_GAMMA_MAX = 10;

export interface SessionCompare {
  /** The other version shown beside/over the current item. */
  mediaId: string;
  layout: CompareLayout;
  /** Wipe divider position, 0 (all B) to 1 (all A). */
  wipe: number;
  /** Overlay: B's opacity over A, 0 to 1. */
  opacity: number;
}

/** A compare's wipe and opacity before anyone moves them (a state stored without them reads so). */
export const DEFAULT_COMPARE_MIX = Object.freeze({ wipe: 0.5, opacity: 0.5 });

/** The colour view (issue 22 item 3): the driver's display/view, exposure and channel. */
export interface SessionColour {
  /** OCIO display, or null for the project's default. */
  display: string | null;
  /** OCIO view, or null for the display's default. */
  view: string | null;
  /** Stops applied in scene-linear before the view. */
  exposure: number;
  /** Display gamma after the view, VIEW_GAMMA_MIN–VIEW_GAMMA_MAX; 1 shows the view as baked. */
  gamma: number;
  channel: ViewChannel;
}

/** What a viewer shows before anyone changes it: the thumbnails' view, no exposure, all channels. */
export const DEFAULT_SESSION_COLOUR: Readonly<SessionColour> = Object.freeze({
  display: null,
  view: null,
  exposure: 0,
  gamma: 1,
  channel: 'rgb',
});

export interface ReviewSessionState {
  /** The media item being shown (a playlist item, or the session's single version). */
  mediaId: string;
  /** The frame shown, numbered as notes' `frame` (a sequence's own numbers, else from 0). */
  frame: number;
  playing: boolean;
  /**
   * While playing: when the driver's picture was at `frame` (ms since the epoch, on the driver's
   * clock), so followers run from that moment rather than from when the server recorded the
   * change (which is later by the request's time). Null: the server's time of the change.
   */
  frameAt: number | null;
  /** Playback rate (1 = real time, negative = backwards; never 0). */
  rate: number;
  compare: SessionCompare | null;
  colour: SessionColour;
  /** The driver's drawing in progress, or null. */
  drawing: Drawing | null;
}

/** What the driver may change in one update; every field optional, nothing else allowed. */
export type ReviewSessionPatch = Partial<ReviewSessionState>;

export function initialSessionState(mediaId: string, frame = 0): ReviewSessionState {
  return {
    mediaId,
    frame,
    playing: false,
    frameAt: null,
    rate: 1,
    compare: null,
    colour: { ...DEFAULT_SESSION_COLOUR },
    drawing: null,
  };
}

/**
 * Who steers a session besides its driver: whether `actor` may hand control to someone here
 * (themselves included, which is taking control) and end the session. The driver, the session's
 * owner, and the project's supervisors and admins may (an abandoned session must be closable).
 * The server enforces it; the web app shows the buttons from it.
 */
export function maySteerSession(
  session: { driver: string; owner: string },
  actor: string,
  role: Role | null | undefined,
): boolean {
  return actor === session.driver || actor === session.owner || role === 'supervisor' || role === 'admin';
}

const PATCH_KEYS = [
  'mediaId',
  'frame',
  'playing',
  'frameAt',
  'rate',
  'compare',
  'colour',
  'drawing',
] as const;

function fail(field: string, message: string): never {
  throw new ValidationError(`${field} ${message}.`, { field });
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'must be an object');
  return value as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, keys: readonly string[], field: string): void {
  for (const k of Object.keys(o))
    if (!keys.includes(k))
      fail(`${field}${field ? '.' : ''}${k}`, `is not a field (allowed: ${keys.join(', ')})`);
}

function name(value: unknown, field: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !value.trim() || value.length > 200)
    fail(field, 'must be null or a name of 1 to 200 characters');
  return value;
}

/**
 * The state after `patch`: each given field replaces the current one (`colour` and `compare`
 * may be given in part). Refuses unknown fields and out-of-range values; never coerces.
 */
export function applySessionPatch(state: ReviewSessionState, input: unknown): ReviewSessionState {
  const patch = record(input, 'state');
  onlyKeys(patch, PATCH_KEYS, '');
  if (Object.keys(patch).length === 0) fail('state', 'must change at least one field');
  const next: ReviewSessionState = { ...state, colour: { ...state.colour } };
  if (patch['mediaId'] !== undefined) {
    if (typeof patch['mediaId'] !== 'string' || !patch['mediaId'] || patch['mediaId'].length > 64)
      fail('mediaId', 'must be a media id');
    next.mediaId = patch['mediaId'];
  }
  if (patch['frame'] !== undefined) {
    const f = patch['frame'];
    if (typeof f !== 'number' || !Number.isSafeInteger(f) || f < -1e9 || f > 1e9)
      fail('frame', 'must be a whole frame number');
    next.frame = f;
  }
  if (patch['playing'] !== undefined) {
    if (typeof patch['playing'] !== 'boolean') fail('playing', 'must be true or false');
    next.playing = patch['playing'];
  }
  if (patch['frameAt'] !== undefined) {
    const t = patch['frameAt'];
    if (t !== null && (typeof t !== 'number' || !Number.isFinite(t) || t <= 0))
      fail('frameAt', 'must be null or a time in ms since the epoch');
    next.frameAt = t;
  }
  if (patch['rate'] !== undefined) {
    const r = patch['rate'];
    if (typeof r !== 'number' || !Number.isFinite(r) || r === 0 || Math.abs(r) > SESSION_RATE_LIMIT)
      fail('rate', `must be a non-zero number from -${SESSION_RATE_LIMIT} to ${SESSION_RATE_LIMIT}`);
    next.rate = r;
  }
  if (patch['compare'] !== undefined) {
    if (patch['compare'] === null) next.compare = null;
    else {
      const c = record(patch['compare'], 'compare');
      onlyKeys(c, ['mediaId', 'layout', 'wipe', 'opacity'], 'compare');
      const mediaId = c['mediaId'] ?? next.compare?.mediaId;
      if (typeof mediaId !== 'string' || !mediaId || mediaId.length > 64)
        fail('compare.mediaId', 'must be a media id');
      const layout = c['layout'] ?? next.compare?.layout ?? 'side';
      if (!COMPARE_LAYOUTS.includes(layout as CompareLayout))
        fail('compare.layout', `must be one of ${COMPARE_LAYOUTS.join(', ')}`);
      const wipe = c['wipe'] ?? next.compare?.wipe ?? DEFAULT_COMPARE_MIX.wipe;
      if (typeof wipe !== 'number' || !(wipe >= 0 && wipe <= 1)) fail('compare.wipe', 'must be from 0 to 1');
      const opacity = c['opacity'] ?? next.compare?.opacity ?? DEFAULT_COMPARE_MIX.opacity;
      if (typeof opacity !== 'number' || !(opacity >= 0 && opacity <= 1))
        fail('compare.opacity', 'must be from 0 to 1');
      next.compare = { mediaId, layout: layout as CompareLayout, wipe, opacity };
    }
  }
  if (patch['colour'] !== undefined) {
    const c = record(patch['colour'], 'colour');
    onlyKeys(c, ['display', 'view', 'exposure', 'gamma', 'channel'], 'colour');
    if (c['display'] !== undefined) next.colour.display = name(c['display'], 'colour.display');
    if (c['view'] !== undefined) next.colour.view = name(c['view'], 'colour.view');
    if (c['exposure'] !== undefined) {
      const e = c['exposure'];
      if (typeof e !== 'number' || !Number.isFinite(e) || Math.abs(e) > SESSION_EXPOSURE_LIMIT)
        fail('colour.exposure', `must be stops from -${SESSION_EXPOSURE_LIMIT} to ${SESSION_EXPOSURE_LIMIT}`);
      next.colour.exposure = e;
    }
    if (c['gamma'] !== undefined) {
      const g = c['gamma'];
      if (typeof g !== 'number' || !(g >= VIEW_GAMMA_MIN && g <= VIEW_GAMMA_MAX))
        fail('colour.gamma', `must be a number from ${VIEW_GAMMA_MIN} to ${VIEW_GAMMA_MAX}`);
      next.colour.gamma = g;
    }
    if (c['channel'] !== undefined) {
      if (!VIEW_CHANNELS.includes(c['channel'] as ViewChannel))
        fail('colour.channel', `must be one of ${VIEW_CHANNELS.join(', ')}`);
      next.colour.channel = c['channel'] as ViewChannel;
    }
  }
  if (patch['drawing'] !== undefined)
    next.drawing = patch['drawing'] === null ? null : parseDrawing(patch['drawing']);
  return next;
}

/**
 * Frame ↔ timecode arithmetic from exact rational frame rates.
 * Frames are integers; seconds are only used to talk to <video> (media time), never as identity.
 */

export interface Rational {
  num: number;
  den: number;
}

const COMMON_FLOAT_RATES: ReadonlyArray<[number, Rational]> = [
  [23.976, { num: 24000, den: 1001 }],
  [29.97, { num: 30000, den: 1001 }],
  [47.952, { num: 48000, den: 1001 }],
  [59.94, { num: 60000, den: 1001 }],
  [119.88, { num: 120000, den: 1001 }],
];

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

/** Parses `24000/1001`, `24`, `25/1` or a float such as `23.976` (mapped to the NTSC rational). */
export function parseFps(value: string | number | null | undefined): Rational | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string' && value.includes('/')) {
    const [n, d] = value.split('/').map((s) => Number(s.trim()));
    if (
      n === undefined ||
      d === undefined ||
      !Number.isInteger(n) ||
      !Number.isInteger(d) ||
      n <= 0 ||
      d <= 0
    )
      return null;
    const g = gcd(n, d);
    return { num: n / g, den: d / g };
  }
  const f = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(f) || f <= 0) return null;
  if (Number.isInteger(f)) return { num: f, den: 1 };
  for (const [approx, r] of COMMON_FLOAT_RATES) if (Math.abs(f - approx) < 0.002) return r;
  // Arbitrary decimal: keep three decimals exactly.
  const num = Math.round(f * 1000);
  const g = gcd(num, 1000);
  return { num: num / g, den: 1000 / g };
}

export function fpsToNumber(r: Rational): number {
  return r.num / r.den;
}

export function formatFps(r: Rational): string {
  const v = r.num / r.den;
  return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/0+$/, '');
}

/** The nominal (integer) frames-per-second counted by timecode: 24 for 23.976, 30 for 29.97. */
export function nominalFps(r: Rational): number {
  return Math.round(r.num / r.den);
}

/** Drop-frame timecode applies to the NTSC rates 29.97 and 59.94 (x/1001 with nominal multiple of 30). */
export function supportsDropFrame(r: Rational): boolean {
  return r.den === 1001 && nominalFps(r) % 30 === 0;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Timecode `HH:MM:SS:FF` for a 0-based frame index (plus an optional start frame offset).
 * With `dropFrame` (29.97/59.94 only) the separator before frames is `;` and frame numbers
 * 0–1 (0–3 at 59.94) are skipped at the start of every minute except each tenth minute.
 */
export function frameToTimecode(frame: number, fps: Rational, dropFrame = false): string {
  if (!Number.isInteger(frame)) throw new RangeError(`frame must be an integer: ${frame}`);
  const nominal = nominalFps(fps);
  const neg = frame < 0;
  let f = Math.abs(frame);
  const df = dropFrame && supportsDropFrame(fps);
  if (df) {
    const drop = (nominal / 30) * 2;
    const perMinute = nominal * 60 - drop;
    const perTenMinutes = perMinute * 10 + drop;
    const tens = Math.floor(f / perTenMinutes);
    const rem = f % perTenMinutes;
    f += drop * 9 * tens + (rem > drop ? drop * Math.floor((rem - drop) / perMinute) : 0);
  }
  const ff = f % nominal;
  const totalSeconds = Math.floor(f / nominal);
  const ss = totalSeconds % 60;
  const mm = Math.floor(totalSeconds / 60) % 60;
  const hh = Math.floor(totalSeconds / 3600);
  return `${neg ? '-' : ''}${pad(hh)}:${pad(mm)}:${pad(ss)}${df ? ';' : ':'}${pad(ff)}`;
}

/** Inverse of {@link frameToTimecode}. Accepts `:` or `;` before the frames (`;` implies drop-frame). */
export function timecodeToFrame(tc: string, fps: Rational, dropFrame?: boolean): number {
  const m = /^(-)?(\d+):(\d{2}):(\d{2})([:;.])(\d+)$/.exec(tc.trim());
  if (!m) throw new SyntaxError(`not a timecode: ${tc}`);
  const [, neg, h, mi, s, sep, fr] = m;
  const nominal = nominalFps(fps);
  const hh = Number(h),
    mm = Number(mi),
    ss = Number(s),
    ff = Number(fr);
  if (mm > 59 || ss > 59 || ff >= nominal) throw new RangeError(`timecode out of range: ${tc}`);
  const df = (dropFrame ?? (sep === ';' || sep === '.')) && supportsDropFrame(fps);
  let frames = (hh * 3600 + mm * 60 + ss) * nominal + ff;
  if (df) {
    const drop = (nominal / 30) * 2;
    const totalMinutes = hh * 60 + mm;
    frames -= drop * (totalMinutes - Math.floor(totalMinutes / 10));
  }
  return neg ? -frames : frames;
}

/** The media time (seconds) at the middle of a frame: seeking there lands on that frame unambiguously. */
export function frameToSeekTime(frame: number, fps: Rational): number {
  return ((frame + 0.5) * fps.den) / fps.num;
}

/** The media time at which a frame starts. */
export function frameToTime(frame: number, fps: Rational): number {
  return (frame * fps.den) / fps.num;
}

/**
 * The frame shown at a media time (e.g. `requestVideoFrameCallback`'s `metadata.mediaTime`, the
 * frame's presentation timestamp). A small tolerance absorbs the container's timebase rounding.
 */
export function timeToFrame(seconds: number, fps: Rational): number {
  const exact = (seconds * fps.num) / fps.den;
  return Math.max(0, Math.floor(exact + 1e-3));
}

/** Total frames of a clip from its duration, when the container did not say. */
export function frameCountFromDuration(seconds: number, fps: Rational): number {
  return Math.max(1, Math.round((seconds * fps.num) / fps.den));
}

export function clampFrame(frame: number, frameCount: number): number {
  return Math.min(Math.max(0, Math.round(frame)), Math.max(0, frameCount - 1));
}

/** How a media item counts frames (mirrors @montu/core review/timing.ts). */
export interface MediaTiming {
  fps: Rational;
  /** True when the rate is only a fallback (stills, unprobed). */
  fpsGuessed: boolean;
  dropFrame: boolean;
  /** First frame number: the sequence's own number, 0 for movies. */
  frameStart: number;
  frameCount: number;
}

export function mediaTiming(
  media: { mediaType: string; metadata: Record<string, unknown> },
  projectDefaultFps?: string | null,
): MediaTiming {
  const m = media.metadata ?? {};
  const own = parseFps(m['fps'] as string | number | null);
  const fps = own ?? parseFps(projectDefaultFps ?? null) ?? { num: 24, den: 1 };
  const tc = typeof m['timecode'] === 'string' ? m['timecode'] : '';
  const dropFrame = supportsDropFrame(fps) && /[;.,]\d+$/.test(tc);
  const start =
    media.mediaType === 'sequence' && Number.isSafeInteger(m['frameStart']) ? (m['frameStart'] as number) : 0;
  let count = Number.isSafeInteger(m['frameCount']) ? (m['frameCount'] as number) : 0;
  if (!count && media.mediaType === 'sequence' && Number.isSafeInteger(m['frameEnd']))
    count = (m['frameEnd'] as number) - start + 1;
  if (!count && typeof m['duration'] === 'number') count = frameCountFromDuration(m['duration'], fps);
  return { fps, fpsGuessed: own === null, dropFrame, frameStart: start, frameCount: Math.max(1, count) };
}

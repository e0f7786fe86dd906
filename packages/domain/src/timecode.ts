/**
 * Frames ↔ SMPTE timecode from exact rational frame rates, with integer arithmetic only.
 *
 * A frame number is the identity of a moment in Montu; timecode is derived from it and the
 * media's rational rate (`24000/1001`), never from float seconds. Timecode counts frames at the
 * nominal (integer) rate: 24000/1001 counts 24 frames a second, 30000/1001 counts 30.
 * Drop-frame (SMPTE 12M) is defined for 30000/1001 and 60000/1001 only: labels :00 and :01
 * (:00–:03 at 60) are skipped at the start of every minute except each tenth minute.
 * See docs/decisions/053-timecode.md.
 */
import { ValidationError } from './errors.js';
import { parseRational, type Rational } from './rational.js';

export interface TimecodeOptions {
  /** Use drop-frame counting (only for 30000/1001 and 60000/1001). Default false. */
  dropFrame?: boolean;
}

/** The rate as a reduced rational; throws ValidationError when it is not a positive rational. */
export function fpsRational(fps: string | Rational): Rational {
  const r = typeof fps === 'string' ? parseRational(fps) : parseRational(`${fps.num}/${fps.den}`);
  if (!r)
    throw new ValidationError(
      `${JSON.stringify(fps)} is not a frame rate (use a rational such as 24000/1001).`,
    );
  return r;
}

/** The integer rate timecode counts at: round(num/den), computed without floats. */
export function nominalRate(fps: string | Rational): number {
  const r = fpsRational(fps);
  const n = Math.floor((2 * r.num + r.den) / (2 * r.den));
  return Math.max(1, n);
}

/** True for the NTSC rates where drop-frame timecode is defined. */
export function supportsDropFrame(fps: string | Rational): boolean {
  const r = fpsRational(fps);
  return r.den === 1001 && (r.num === 30000 || r.num === 60000);
}

function dropCount(fps: string | Rational, options: TimecodeOptions): number {
  if (!options.dropFrame) return 0;
  if (!supportsDropFrame(fps)) {
    throw new ValidationError(
      `Drop-frame timecode exists only for 30000/1001 and 60000/1001, not ${formatFps(fps)}.`,
    );
  }
  return nominalRate(fps) / 15; // 2 at 29.97, 4 at 59.94
}

function formatFps(fps: string | Rational): string {
  return typeof fps === 'string' ? fps : `${fps.num}/${fps.den}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * Timecode `HH:MM:SS:FF` (drop-frame `HH:MM:SS;FF`) of a frame counted from 0 at 00:00:00:00.
 * Negative frames get a leading `-`. Hours are not wrapped at 24.
 */
export function frameToTimecode(
  frame: number,
  fps: string | Rational,
  options: TimecodeOptions = {},
): string {
  if (!Number.isSafeInteger(frame)) throw new ValidationError('A frame number must be a whole number.');
  if (frame < 0) return '-' + frameToTimecode(-frame, fps, options);
  const base = nominalRate(fps);
  const drop = dropCount(fps, options);
  let f = frame;
  if (drop > 0) {
    const perMinute = base * 60 - drop;
    const perTenMinutes = base * 600 - 9 * drop;
    const tens = Math.floor(f / perTenMinutes);
    const rest = f % perTenMinutes;
    f += 9 * drop * tens + (rest > drop ? drop * Math.floor((rest - drop) / perMinute) : 0);
  }
  const ff = f % base;
  const totalSeconds = Math.floor(f / base);
  const ss = totalSeconds % 60;
  const mm = Math.floor(totalSeconds / 60) % 60;
  const hh = Math.floor(totalSeconds / 3600);
  return `${pad(hh)}:${pad(mm)}:${pad(ss)}${drop > 0 ? ';' : ':'}${pad(ff)}`;
}

/**
 * The frame a timecode names. Accepts `HH:MM:SS:FF`, and `;` or `.` before the frames for
 * drop-frame (which then must be allowed for the rate). Labels a drop-frame count skips and
 * frame fields at or past the nominal rate are refused.
 */
export function timecodeToFrame(
  timecode: string,
  fps: string | Rational,
  options: TimecodeOptions = {},
): number {
  const m = /^(-)?(\d{2,}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$/.exec(timecode.trim());
  if (!m) throw new ValidationError(`${JSON.stringify(timecode)} is not a timecode (HH:MM:SS:FF).`);
  const dropFrame = options.dropFrame ?? (m[5] === ';' || m[5] === '.' || m[5] === ',');
  const base = nominalRate(fps);
  const drop = dropCount(fps, { dropFrame });
  const [hh, mm, ss, ff] = [m[2], m[3], m[4], m[6]].map(Number) as [number, number, number, number];
  if (mm > 59 || ss > 59 || ff >= base) {
    throw new ValidationError(
      `${JSON.stringify(timecode)} is not a valid timecode at ${base} frames a second.`,
    );
  }
  const totalMinutes = hh * 60 + mm;
  if (drop > 0 && ss === 0 && ff < drop && mm % 10 !== 0) {
    throw new ValidationError(
      `${timecode} does not exist in drop-frame timecode (labels ;00–;${pad(drop - 1)} are skipped).`,
    );
  }
  const frame =
    (hh * 3600 + mm * 60 + ss) * base + ff - drop * (totalMinutes - Math.floor(totalMinutes / 10));
  return m[1] ? -frame : frame;
}

/** Exact start time of a frame as a reduced rational of seconds: frame × den / num. */
export function frameStartSeconds(frame: number, fps: string | Rational): Rational {
  const r = fpsRational(fps);
  const num = BigInt(frame) * BigInt(r.den);
  const den = BigInt(r.num);
  const g = bigGcd(num < 0n ? -num : num, den) || 1n;
  return { num: Number(num / g), den: Number(den / g) };
}

/**
 * A decimal seconds string for `ffmpeg -ss` that selects `frame`. ffmpeg outputs the first frame
 * whose timestamp is at or after the seek time, so we seek half a frame *before* the frame's start,
 * (frame − ½) × den / num (0 for frame 0): container timestamps rounded either way by less than
 * half a frame still land on the right frame. Exact, to the microsecond, with BigInt.
 */
export function frameSeekSeconds(frame: number, fps: string | Rational): string {
  const r = fpsRational(fps);
  if (frame <= 0) return '0.000000';
  const micros = (BigInt(2 * frame - 1) * BigInt(r.den) * 1_000_000n) / (2n * BigInt(r.num));
  return `${micros / 1_000_000n}.${String(micros % 1_000_000n).padStart(6, '0')}`;
}

/** The frame holding a time given as a rational of seconds: floor(seconds × num / den). */
export function secondsToFrame(seconds: Rational, fps: string | Rational): number {
  const r = fpsRational(fps);
  const n = BigInt(seconds.num) * BigInt(r.num);
  const d = BigInt(seconds.den) * BigInt(r.den);
  let q = n / d;
  if (n % d !== 0n && n < 0n !== d < 0n) q -= 1n;
  return Number(q);
}

function bigGcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

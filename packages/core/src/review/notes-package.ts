/**
 * The notes package (issue 21 item 8): a zip that editorial and compositing take straight into
 * their tools — each annotated frame as a PNG (the frame at its source frame with every drawing on
 * it composited), named `<task>_<version>.<source frame>.png`; the notes as CSV and JSON; the
 * markers as a CMX3600 EDL with locators, as an OTIO timeline with markers and as FCPXML markers. Streamed: frames
 * are rendered and zipped one at a time, never all held at once. See docs/review.md.
 */
import { Readable } from 'node:stream';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import {
  frameToTimecode,
  parseRational,
  sourceFrameAt,
  sourceTimecodeAt,
  timecodeFrameAt,
  timecodeToFrame,
  type Drawing,
  type MediaTiming,
  type Rational,
} from '@montu/domain';
import { exportCsv, exportOtio, type PlaylistReport } from './exports.js';
import { frameImage, renderAnnotatedFrame, type FrameSources } from './render.js';
import type { ReviewNote } from './note-service.js';

/** `ep01_sq010_sh020_comp_v002.1041.png`: task, version and the source frame (at least 4 digits). */
export function annotatedFrameName(taskId: string, version: string, sourceFrame: number): string {
  const digits = String(Math.abs(sourceFrame)).padStart(4, '0');
  return `${safeName(`${taskId}_${version}`)}.${sourceFrame < 0 ? '-' : ''}${digits}.png`;
}

function safeName(s: string): string {
  return s.replace(/[^\w.-]+/g, '_').slice(0, 120) || 'media';
}

interface FrameEntry {
  file: string;
  frame: number;
  sourceFrame: number;
  timecode: string | null;
  noteIds: string[];
  drawing: Drawing | null;
}

/** The frames of an item that carry top-level notes, in frame order, with their drawings merged. */
function annotatedFrames(item: {
  media: PlaylistReport['items'][number]['media'];
  timing: MediaTiming;
  notes: ReviewNote[];
}): FrameEntry[] {
  const byFrame = new Map<number, ReviewNote[]>();
  for (const n of item.notes) {
    if (n.frame === null || n.parentId !== null) continue;
    byFrame.set(n.frame, [...(byFrame.get(n.frame) ?? []), n]);
  }
  return [...byFrame.entries()]
    .sort(([a], [b]) => a - b)
    .map(([frame, notes]) => {
      const sourceFrame = sourceFrameAt(frame, item.timing) ?? frame;
      const shapes = notes.flatMap((n) => n.drawing?.shapes ?? []);
      return {
        file: annotatedFrameName(item.media.taskId, item.media.version, sourceFrame),
        frame,
        sourceFrame,
        timecode: sourceTimecodeAt(frame, item.timing),
        noteIds: notes.map((n) => n.id),
        // Every note's shapes were checked when saved; together they may pass one drawing's limits.
        drawing: shapes.length === 0 ? null : { version: 1, shapes },
      };
    });
}

// ---------------------------------------------------------------- CMX3600 EDL

const EDL_REEL = 'AX';
/** Locator colours Avid reads. */
const LOC_COLOR = { open: 'RED', resolved: 'GREEN' } as const;

/**
 * Markers as a CMX3600 EDL: one cut event per item (source in/out in its source timecode, record
 * time laid end to end from 01:00:00:00 at the item's rate), `* FROM CLIP NAME:` and one
 * `* LOC: <source timecode> <colour> <text>` per top-level note on a frame (Avid's locator form,
 * which the OTIO cmx_3600 adapter reads as markers). `FCM:` says drop-frame or not per event.
 */
export function exportEdl(report: PlaylistReport): string {
  const title = report.playlist.name.replace(/[\r\n]+/g, ' ').slice(0, 70) || 'Montu notes';
  const lines = [`TITLE: ${title}`];
  let record = 0; // frames since 01:00:00:00 on the record side
  let lastFcm = '';
  report.items.forEach((it, i) => {
    const fps = it.timing.fps ?? '24/1';
    const timing: MediaTiming = { ...it.timing, fps };
    const df = timing.dropFrame;
    const tc = (count: number) => frameToTimecode(count, fps, { dropFrame: df });
    const fcm = `FCM: ${df ? 'DROP FRAME' : 'NON-DROP FRAME'}`;
    if (fcm !== lastFcm) {
      lines.push(fcm);
      lastFcm = fcm;
    }
    const first = timing.frameStart ?? 0;
    const count = Math.max(1, timing.frameCount ?? 1);
    const srcIn = timecodeFrameAt(first, timing) ?? 0;
    const recordBase = timecodeToFrame(df ? '01:00:00;00' : '01:00:00:00', fps, { dropFrame: df });
    lines.push('');
    lines.push(
      `${String(i + 1).padStart(3, '0')}  ${EDL_REEL.padEnd(8)} V     C        ${tc(srcIn)} ${tc(srcIn + count)} ${tc(recordBase + record)} ${tc(recordBase + record + count)}`,
    );
    lines.push(`* FROM CLIP NAME: ${it.media.taskId}_${it.media.version}`);
    for (const n of it.notes) {
      if (n.frame === null || n.parentId !== null) continue;
      const at = timecodeFrameAt(n.frame, timing);
      if (at === null) continue;
      const text = `${n.author}: ${n.content}`.replace(/[\r\n]+/g, ' ').slice(0, 200);
      lines.push(`* LOC: ${tc(at)} ${(n.resolved ? LOC_COLOR.resolved : LOC_COLOR.open).padEnd(7)} ${text}`);
    }
    record += count;
  });
  return lines.join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------- FCPXML

/** The FCPXML version written: 1.9 (Final Cut Pro 10.4.7+; later versions import it too). */
export const FCPXML_VERSION = '1.9';

function gcdOf(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * `frames` frames at `fps` as an FCPXML rational time: `1001/24000s` style, reduced; whole seconds
 * as `Ns`; zero as `0s`. Exact integer arithmetic, so a marker's time is its frame exactly.
 */
export function fcpxmlTime(frames: number, fps: Rational): string {
  if (frames === 0) return '0s';
  const num = frames * fps.den;
  const g = gcdOf(Math.abs(num), fps.num);
  const [n, d] = [num / g, fps.num / g];
  return d === 1 ? `${n}s` : `${n}/${d}s`;
}

const xmlEscape = (s: string): string =>
  s
    .replace(
      /[<>&"']/g,
      (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
    )
    // XML 1.0 allows no other control characters (even escaped).
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, ' ');

/**
 * Markers as FCPXML (version FCPXML_VERSION): one asset and format per item, a project whose
 * sequence lays the items end to end from 01:00:00:00 (as the EDL), each item an `asset-clip`
 * whose `start` is its source timecode, with one `marker` per top-level note on a frame at the
 * note's source time (a to-do marker: `completed` 1 when resolved). Times are rationals of the
 * item's frame duration, so every marker sits exactly on its frame. See decision 180.
 */
export function exportFcpxml(report: PlaylistReport, options: { baseUrl?: string } = {}): string {
  const base = (options.baseUrl ?? '').replace(/\/+$/, '');
  const formats = new Map<string, string>();
  const resources: string[] = [];
  const clips: string[] = [];
  let nextId = 1;
  // The sequence time so far, exactly: offsetNum/offsetDen seconds (items may differ in rate).
  let offsetNum = 0;
  let offsetDen = 1;
  const seconds = (n: number, d: number) => (n === 0 ? '0s' : d === 1 ? `${n}s` : `${n}/${d}s`);
  const first = report.items[0];
  const seqFps = parseRational(first?.timing.fps ?? '24/1') ?? { num: 24, den: 1 };
  const seqDf = first?.timing.dropFrame ?? false;
  for (const it of report.items) {
    const fpsText = it.timing.fps ?? '24/1';
    const fps = parseRational(fpsText) ?? { num: 24, den: 1 };
    const width = Number(it.media.metadata['width']) || 1920;
    const height = Number(it.media.metadata['height']) || 1080;
    const formatKey = `${fps.num}/${fps.den} ${width}x${height}`;
    let formatId = formats.get(formatKey);
    if (!formatId) {
      formatId = `r${nextId++}`;
      formats.set(formatKey, formatId);
      resources.push(
        `    <format id="${formatId}" frameDuration="${fcpxmlTime(1, fps)}" width="${width}" height="${height}"/>`,
      );
    }
    const count = Math.max(1, it.timing.frameCount ?? 1);
    const srcIn = timecodeFrameAt(it.timing.frameStart ?? 0, { ...it.timing, fps: fpsText }) ?? 0;
    const name = `${it.media.taskId}_${it.media.version}`;
    const assetId = `r${nextId++}`;
    const src = base
      ? `${base}/api/v1/media/${encodeURIComponent(it.media.id)}/files/original`
      : `montu://media/${encodeURIComponent(it.media.id)}`;
    resources.push(
      `    <asset id="${assetId}" name="${xmlEscape(name)}" uid="${it.media.sha256}" start="${fcpxmlTime(srcIn, fps)}" duration="${fcpxmlTime(count, fps)}" hasVideo="1" format="${formatId}" src="${xmlEscape(src)}"/>`,
    );
    const markers = it.notes
      .filter((n) => n.frame !== null && n.parentId === null)
      .sort((a, b) => a.frame! - b.frame!)
      .map((n) => {
        const at = timecodeFrameAt(n.frame, { ...it.timing, fps: fpsText });
        if (at === null) return null;
        const value = `${n.author}: ${n.content}`.replace(/[\r\n]+/g, ' ').slice(0, 200);
        const length = Math.max(1, (n.frameEnd ?? n.frame!) - n.frame! + 1);
        return `          <marker start="${fcpxmlTime(at, fps)}" duration="${fcpxmlTime(length, fps)}" value="${xmlEscape(value)}" completed="${n.resolved ? 1 : 0}" note="${xmlEscape(n.id)}"/>`;
      })
      .filter((x): x is string => x !== null);
    const offset = seconds(offsetNum, offsetDen);
    clips.push(
      [
        `        <asset-clip ref="${assetId}" name="${xmlEscape(name)}" offset="${offset}" start="${fcpxmlTime(srcIn, fps)}" duration="${fcpxmlTime(count, fps)}" format="${formatId}" tcFormat="${it.timing.dropFrame ? 'DF' : 'NDF'}">`,
        ...markers,
        '        </asset-clip>',
      ].join('\n'),
    );
    // offset += count / fps seconds, exactly.
    const addNum = count * fps.den;
    const addDen = fps.num;
    const n = offsetNum * addDen + addNum * offsetDen;
    const d = offsetDen * addDen;
    const g = gcdOf(n, d);
    [offsetNum, offsetDen] = [n / g, d / g];
  }
  const total = seconds(offsetNum, offsetDen);
  const tcStart = timecodeToFrame(seqDf ? '01:00:00;00' : '01:00:00:00', seqFps, { dropFrame: seqDf });
  const title = report.playlist.name.slice(0, 200) || 'Montu notes';
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE fcpxml>',
    `<fcpxml version="${FCPXML_VERSION}">`,
    '  <resources>',
    ...resources,
    '  </resources>',
    '  <library>',
    `    <event name="${xmlEscape(title)}">`,
    `      <project name="${xmlEscape(title)}">`,
    `        <sequence format="${formats.values().next().value ?? 'r1'}" duration="${total}" tcStart="${fcpxmlTime(tcStart, seqFps)}" tcFormat="${seqDf ? 'DF' : 'NDF'}">`,
    '          <spine>',
    ...clips.map((c) => c.replace(/^/gm, '    ')),
    '          </spine>',
    '        </sequence>',
    '      </project>',
    '    </event>',
    '  </library>',
    '</fcpxml>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- the zip

export interface NotesPackageOptions {
  /** Base URL for the OTIO media references. */
  baseUrl?: string;
  /** Long edge of the PNGs in pixels (default: the picture's own size, at most 8192). */
  maxEdge?: number;
}

/**
 * The notes package as a zip stream: `frames/<name>.png`, `notes.csv`, `notes.json`,
 * `markers.edl`, `markers.fcpxml`, `markers.otio`. PNGs are stored (already compressed), text is deflated.
 */
export function notesPackage(
  report: PlaylistReport,
  files: FrameSources,
  options: NotesPackageOptions = {},
): Readable {
  return Readable.from(zipEntries(report, files, options));
}

async function* zipEntries(
  report: PlaylistReport,
  files: FrameSources,
  options: NotesPackageOptions,
): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) failure = err;
    else out.push(chunk);
  });
  const add = (name: string, data: Uint8Array, compress: boolean) => {
    const entry = compress ? new ZipDeflate(name, { level: 6 }) : new ZipPassThrough(name);
    zip.add(entry);
    entry.push(data, true);
    if (failure) throw failure;
  };
  const drain = function* () {
    while (out.length) yield out.shift()!;
  };
  const text = (s: string) => new TextEncoder().encode(s);
  const items = [];
  for (const it of report.items) {
    const frames = annotatedFrames(it);
    const edge =
      options.maxEdge ??
      Math.min(
        8192,
        Math.max(Number(it.media.metadata['width']) || 1920, Number(it.media.metadata['height']) || 0),
      );
    for (const f of frames) {
      const picture = await frameImage(files, it.media, it.timing, f.frame, edge);
      add(`frames/${f.file}`, await renderAnnotatedFrame(picture.png, f.drawing), false);
      yield* drain();
    }
    items.push({
      position: it.position,
      media: {
        id: it.media.id,
        projectId: it.media.projectId,
        taskId: it.media.taskId,
        version: it.media.version,
        fileName: it.media.fileName,
        status: it.media.status,
        fps: it.timing.fps,
        startTimecode: it.timing.startTimecode,
        startFrame: it.timing.startFrame,
      },
      frames: frames.map(({ drawing: _d, ...f }) => ({ ...f, file: `frames/${f.file}` })),
      notes: it.notes,
    });
  }
  add('notes.csv', text(exportCsv(report)), true);
  add(
    'notes.json',
    text(
      JSON.stringify(
        { format: 'montu-notes-package', version: 1, playlist: report.playlist, items },
        null,
        2,
      ),
    ),
    true,
  );
  add('markers.edl', text(exportEdl(report)), true);
  add(
    'markers.fcpxml',
    text(exportFcpxml(report, options.baseUrl ? { baseUrl: options.baseUrl } : {})),
    true,
  );
  add(
    'markers.otio',
    text(JSON.stringify(exportOtio(report, options.baseUrl ? { baseUrl: options.baseUrl } : {}), null, 2)),
    true,
  );
  zip.end();
  if (failure) throw failure;
  yield* drain();
}

/**
 * Playlist exports: notes as CSV, HTML and PDF reports with annotated frames, and the playlist
 * as an OpenTimelineIO timeline. See docs/review.md.
 */
import type { Media } from '@montu/domain';
import { parseRational, timecodeFrameAt } from '@montu/domain';
import type { ReviewNote } from './note-service.js';
import { frameImage, renderAnnotatedFrame, type FrameSources } from './render.js';
import type { MediaTiming } from '@montu/domain';

export interface PlaylistReport {
  playlist: {
    id: string;
    projectId: string;
    name: string;
    date: string | null;
    owner: string;
    description: string;
  };
  items: Array<{ position: number; media: Media; timing: MediaTiming; notes: ReviewNote[] }>;
}

export interface ExportOptions {
  /** Render annotated frames into the report (default true). */
  frames?: boolean;
  /** Long edge of rendered frames in pixels (default 960). */
  maxEdge?: number;
  onlyPlaylistNotes?: boolean;
}

// ---------------------------------------------------------------- CSV

export const CSV_COLUMNS = [
  'position',
  'task',
  'version',
  'media_id',
  'status',
  'note_id',
  'parent_id',
  'frame',
  'frame_end',
  'source_frame',
  'source_frame_end',
  'timecode',
  'timecode_end',
  'fps',
  'author',
  'created_at',
  'resolved',
  'mentions',
  'text',
] as const;

function csvCell(v: string | number | boolean | null, text = false): string {
  if (v === null) return '';
  let s = String(v);
  // Spreadsheet formula injection: text cells starting with = + - @ (or tab/CR) are prefixed with '.
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Notes as CSV (RFC 4180, CRLF line ends, UTF-8), one row per note, playlist order then note order. */
export function exportCsv(report: PlaylistReport): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const it of report.items) {
    for (const n of it.notes) {
      lines.push(
        [
          csvCell(it.position + 1),
          csvCell(it.media.taskId, true),
          csvCell(it.media.version),
          csvCell(it.media.id),
          csvCell(it.media.status),
          csvCell(n.id),
          csvCell(n.parentId),
          csvCell(n.frame),
          csvCell(n.frameEnd),
          csvCell(n.sourceFrame),
          csvCell(n.sourceFrameEnd),
          csvCell(n.timecode),
          csvCell(n.timecodeEnd),
          csvCell(it.timing.fps),
          csvCell(n.author, true),
          csvCell(n.createdAt),
          csvCell(n.resolved),
          csvCell(n.mentions.join(' '), true),
          csvCell(n.content, true),
        ].join(','),
      );
    }
  }
  return lines.join('\r\n') + '\r\n';
}

/** Parses CSV written by exportCsv (and any RFC 4180 CSV) into rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

// ---------------------------------------------------------------- frames

async function noteFrames(
  report: PlaylistReport,
  files: FrameSources,
  options: ExportOptions,
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (options.frames === false) return out;
  for (const it of report.items) {
    const cache = new Map<number, Buffer>();
    for (const n of it.notes) {
      if (n.frame === null && !n.drawing) continue;
      const f = n.frame ?? it.timing.frameStart ?? 0;
      let base = cache.get(f);
      if (!base) {
        base = (await frameImage(files, it.media, it.timing, n.frame, options.maxEdge ?? 960)).png;
        cache.set(f, base);
      }
      out.set(n.id, await renderAnnotatedFrame(base, n.drawing));
    }
  }
  return out;
}

// ---------------------------------------------------------------- HTML

/**
 * Marks a reply in the PDF. The PDF's built-in Helvetica has only the WinAnsi characters: "↳"
 * came out as "!³". "»" is one of them.
 */
const REPLY_MARK = '» ';

const esc = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** A self-contained HTML report (frames as data: URIs, no scripts, no external requests). */
export async function exportHtml(
  report: PlaylistReport,
  files: FrameSources,
  options: ExportOptions = {},
): Promise<string> {
  const frames = await noteFrames(report, files, options);
  const p = report.playlist;
  const parts: string[] = [];
  parts.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
  );
  parts.push(
    `<title>${esc(p.name)} — review notes</title><style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}section{margin-bottom:2em;border-top:1px solid #ccc}article{margin:1em 0 1em 1em}.meta{color:#666;font-size:.9em}.reply{margin-left:2em}img{max-width:100%;display:block;margin:.5em 0}</style></head><body>`,
  );
  parts.push(
    `<h1>${esc(p.name)}</h1><p class="meta">Project ${esc(p.projectId)} · ${esc(p.date ?? 'no date')} · owner ${esc(p.owner)}</p>`,
  );
  if (p.description) parts.push(`<p>${esc(p.description)}</p>`);
  for (const it of report.items) {
    const m = it.media;
    parts.push(
      `<section><h2>${it.position + 1}. ${esc(m.taskId)} ${esc(m.version)}</h2><p class="meta">${esc(m.fileName)} · status ${esc(m.status)} · by ${esc(m.author)}${it.timing.fps ? ` · ${esc(it.timing.fps)} fps` : ''}</p>`,
    );
    if (it.notes.length === 0) parts.push('<p class="meta">No notes.</p>');
    for (const n of it.notes) {
      const where =
        n.frame === null
          ? 'whole item'
          : `frame ${n.sourceFrame ?? n.frame}${n.frameEnd !== null ? `–${n.sourceFrameEnd ?? n.frameEnd}` : ''}${n.timecode ? ` (${esc(n.timecode)}${n.timecodeEnd ? `–${esc(n.timecodeEnd)}` : ''})` : ''}`;
      parts.push(
        `<article class="${n.parentId ? 'reply' : 'note'}" id="note-${esc(n.id)}"><p class="meta">${esc(n.author)} · ${where} · ${esc(n.createdAt)}${n.resolved ? ' · resolved' : ''}</p><p>${esc(n.content).replace(/\n/g, '<br>')}</p>`,
      );
      const png = frames.get(n.id);
      if (png)
        parts.push(
          `<img alt="${esc(`${m.taskId} ${m.version} ${where}`)}" src="data:image/png;base64,${png.toString('base64')}">`,
        );
      parts.push('</article>');
    }
    parts.push('</section>');
  }
  parts.push('</body></html>');
  return parts.join('\n');
}

// ---------------------------------------------------------------- PDF

/** A PDF report (pdfkit): one section per item, each note with its annotated frame. */
export async function exportPdf(
  report: PlaylistReport,
  files: FrameSources,
  options: ExportOptions = {},
): Promise<Buffer> {
  const frames = await noteFrames(report, files, options);
  const PDFDocument = (await import('pdfkit')).default;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    info: {
      Title: `${report.playlist.name} — review notes`,
      Author: report.playlist.owner,
      Creator: 'Montu',
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const p = report.playlist;
  const width = doc.page.width - 96;
  doc.fontSize(20).text(p.name);
  doc
    .fontSize(10)
    .fillColor('#666')
    .text(`Project ${p.projectId} · ${p.date ?? 'no date'} · owner ${p.owner}`)
    .fillColor('#000');
  if (p.description) doc.moveDown(0.5).fontSize(11).text(p.description);
  for (const it of report.items) {
    const m = it.media;
    doc
      .moveDown(1)
      .fontSize(14)
      .fillColor('#000')
      .text(`${it.position + 1}. ${m.taskId} ${m.version}`);
    doc
      .fontSize(9)
      .fillColor('#666')
      .text(
        `${m.fileName} · status ${m.status} · by ${m.author}${it.timing.fps ? ` · ${it.timing.fps} fps` : ''}`,
      )
      .fillColor('#000');
    if (it.notes.length === 0) doc.fontSize(10).text('No notes.');
    for (const n of it.notes) {
      const where =
        n.frame === null
          ? 'whole item'
          : `frame ${n.sourceFrame ?? n.frame}${n.frameEnd !== null ? `–${n.sourceFrameEnd ?? n.frameEnd}` : ''}${n.timecode ? ` (${n.timecode}${n.timecodeEnd ? `–${n.timecodeEnd}` : ''})` : ''}`;
      doc
        .moveDown(0.5)
        .fontSize(9)
        .fillColor('#666')
        .text(`${n.parentId ? REPLY_MARK : ''}${n.author} · ${where}${n.resolved ? ' · resolved' : ''}`);
      doc
        .fontSize(11)
        .fillColor('#000')
        .text(n.content || ' ', { indent: n.parentId ? 16 : 0 });
      const png = frames.get(n.id);
      if (png) {
        const sharp = (await import('sharp')).default;
        const meta = await sharp(png).metadata();
        const w = Math.min(width, 400);
        const h = ((meta.height ?? 1) / (meta.width ?? 1)) * w;
        if (doc.y + h > doc.page.height - 48) doc.addPage();
        doc.image(png, doc.x, doc.y, { width: w });
        doc.y += h + 4;
      }
    }
  }
  doc.end();
  return done;
}

// ---------------------------------------------------------------- OpenTimelineIO

export interface OtioRationalTime {
  OTIO_SCHEMA: 'RationalTime.1';
  rate: number;
  value: number;
}
export interface OtioTimeRange {
  OTIO_SCHEMA: 'TimeRange.1';
  start_time: OtioRationalTime;
  duration: OtioRationalTime;
}
export interface OtioTimeline {
  OTIO_SCHEMA: 'Timeline.1';
  metadata: Record<string, unknown>;
  name: string;
  global_start_time: OtioRationalTime | null;
  tracks: Record<string, unknown>;
}

const rt = (value: number, rate: number): OtioRationalTime => ({
  OTIO_SCHEMA: 'RationalTime.1',
  rate,
  value,
});
const range = (start: number, duration: number, rate: number): OtioTimeRange => ({
  OTIO_SCHEMA: 'TimeRange.1',
  start_time: rt(start, rate),
  duration: rt(duration, rate),
});

/**
 * The playlist as an OTIO timeline: one video track, one Clip.2 per item in playlist order, each
 * with an ExternalReference.1 to the media and its whole frame range; notes become Marker.2s.
 * OTIO stores rates as doubles: the exact rational is kept in `metadata.montu.fps`.
 */
export function exportOtio(
  report: PlaylistReport,
  options: { baseUrl?: string; defaultFps?: string } = {},
): OtioTimeline {
  const base = (options.baseUrl ?? '').replace(/\/+$/, '');
  const clips = report.items.map((it) => {
    const m = it.media;
    const fpsText = it.timing.fps ?? options.defaultFps ?? '24/1';
    const r = parseRational(fpsText) ?? { num: 24, den: 1 };
    const rate = r.num / r.den;
    // Source time (decision 130): ranges count from the start timecode (or a sequence's numbers).
    const start = it.timing.frameStart === null ? 0 : (timecodeFrameAt(it.timing.frameStart, it.timing) ?? 0);
    const at = (frame: number) => timecodeFrameAt(frame, it.timing) ?? frame;
    const duration =
      it.timing.frameCount ??
      (it.timing.frameEnd !== null && it.timing.frameStart !== null
        ? it.timing.frameEnd - it.timing.frameStart + 1
        : 1);
    const available = range(start, duration, rate);
    const markers = it.notes
      .filter((n) => n.frame !== null && n.parentId === null)
      .map((n) => ({
        OTIO_SCHEMA: 'Marker.2',
        metadata: {
          montu: {
            noteId: n.id,
            author: n.author,
            frame: n.sourceFrame,
            timecode: n.timecode,
            resolved: n.resolved,
          },
        },
        name: `${n.author}: ${n.content.slice(0, 60)}`,
        color: n.resolved ? 'GREEN' : 'RED',
        marked_range: range(at(n.frame!), (n.frameEnd ?? n.frame!) - n.frame! + 1, rate),
        comment: n.content,
      }));
    return {
      OTIO_SCHEMA: 'Clip.2',
      metadata: {
        montu: {
          mediaId: m.id,
          projectId: m.projectId,
          taskId: m.taskId,
          version: m.version,
          status: m.status,
          fps: fpsText,
          mediaType: m.mediaType,
        },
      },
      name: `${m.taskId}_${m.version}`,
      source_range: available,
      effects: [],
      markers,
      enabled: true,
      media_references: {
        DEFAULT_MEDIA: {
          OTIO_SCHEMA: 'ExternalReference.1',
          metadata: {},
          name: m.fileName,
          available_range: available,
          available_image_bounds: null,
          target_url: `${base}/api/v1/media/${encodeURIComponent(m.id)}/files/original`,
        },
      },
      active_media_reference_key: 'DEFAULT_MEDIA',
    };
  });
  return {
    OTIO_SCHEMA: 'Timeline.1',
    metadata: {
      montu: {
        playlistId: report.playlist.id,
        projectId: report.playlist.projectId,
        date: report.playlist.date,
        owner: report.playlist.owner,
      },
    },
    name: report.playlist.name,
    global_start_time: null,
    tracks: {
      OTIO_SCHEMA: 'Stack.1',
      metadata: {},
      name: 'tracks',
      source_range: null,
      effects: [],
      markers: [],
      enabled: true,
      children: [
        {
          OTIO_SCHEMA: 'Track.1',
          metadata: {},
          name: 'Video 1',
          source_range: null,
          effects: [],
          markers: [],
          enabled: true,
          children: clips,
          kind: 'Video',
        },
      ],
    },
  };
}

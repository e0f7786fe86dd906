import type { Media, MediaFile } from '../api/index.js';
import { formatBytes, formatDate } from '../lib/format.js';

const SKIP = new Set(['streams', 'sources', 'parts', 'schema', 'tags', 'warnings', 'audio', 'camera']);

export function MetadataPanel({ media }: { media: Media }) {
  const rows: Array<[string, string]> = [
    ['File', media.fileName],
    ['Type', `${media.mediaType} (${media.mimeType})`],
    ['Size', formatBytes(media.size)],
    ['Author', media.author],
    ['Created', formatDate(media.createdAt)],
    ['Tags', media.tags.join(', ') || '—'],
  ];
  const display = displayTransform(media.files);
  if (display) rows.push(['Display', display]);
  for (const [k, v] of Object.entries(media.metadata ?? {})) {
    if (SKIP.has(k) || v === null || v === undefined || v === '' || typeof v === 'object') continue;
    rows.push([k, String(v)]);
  }
  return (
    <dl className="meta">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** How the picture on screen was made from a linear render (the web image's, else the thumbnail's). */
function displayTransform(files: MediaFile[] | undefined): string | null {
  const info = (files?.find((f) => f.role === 'web') ?? files?.find((f) => f.role === 'thumbnail'))?.info;
  switch (info?.transform) {
    case 'srgb':
      return 'linear → sRGB (built-in)';
    case 'filmic':
      return 'linear → filmic tone map (built-in)';
    case 'ocio':
      return info.ocio ? `OCIO: ${info.ocio.display} / ${info.ocio.view}` : 'OCIO';
    default:
      return null;
  }
}

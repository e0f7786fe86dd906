import type { Media } from '../api/index.js';
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

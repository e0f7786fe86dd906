/** HTTP byte ranges (RFC 9110 §14) for file downloads. */

export type RangeResult =
  { kind: 'none' } | { kind: 'range'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * Parses a `Range` header against a representation of `size` bytes. Syntax we do not
 * understand is ignored (full response, as the RFC allows); of several ranges only the first
 * is served (a server may ignore the others). Unsatisfiable ranges give 416.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'none' };
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return { kind: 'none' };
  const specs = m[1]!
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (specs.length === 0 || specs.length > 100) return { kind: 'none' };
  const first = /^(\d*)-(\d*)$/.exec(specs[0]!);
  if (!first || (first[1] === '' && first[2] === '')) return { kind: 'none' };
  let start: number;
  let end: number;
  if (first[1] === '') {
    const suffix = Number(first[2]);
    if (!Number.isSafeInteger(suffix)) return { kind: 'none' };
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first[1]);
    end = first[2] === '' ? size - 1 : Number(first[2]);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return { kind: 'none' };
    if (start >= size) return { kind: 'unsatisfiable' };
    if (end < start) return { kind: 'none' };
    end = Math.min(end, size - 1);
  }
  return { kind: 'range', start, end };
}

/** Whether an `If-None-Match` header matches this strong ETag (weak comparison, as RFC 9110 asks). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/** `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266 + RFC 5987). */
export function contentDisposition(type: 'attachment' | 'inline', fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Types served as themselves; anything else (HTML, SVG, XML, scripts…) goes out as octet-stream. */
export function safeContentType(type: string): string {
  const t = type.toLowerCase().split(';')[0]!.trim();
  if (t === 'image/svg+xml') return 'application/octet-stream';
  if (/^(image|video|audio)\/[a-z0-9.+-]+$/.test(t)) return t;
  if (t === 'application/pdf' || t === 'application/mxf' || t === 'application/octet-stream') return t;
  return 'application/octet-stream';
}

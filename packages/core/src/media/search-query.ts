import { ValidationError } from '@montu/domain';

/**
 * Text indexed for full-text search: file name, description, tags and task, split into
 * words at every non-letter/digit so `ep01_sq010_beauty.exr` is found by `sq010` or `beauty`.
 * Both engines index this same text, so they find the same things.
 */
export function buildSearchText(parts: {
  fileName: string;
  description: string;
  tags: string[];
  taskId: string;
  author: string;
}): string {
  const text = [parts.fileName, parts.description, parts.tags.join(' '), parts.taskId, parts.author].join(
    ' ',
  );
  return [...new Set(words(text))].join(' ');
}

/** Lower-case words without diacritics (`Débris` → `debris`), so both engines match alike. */
function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

export function searchTokens(query: string): string[] {
  const tokens = words(query);
  if (tokens.length > 16)
    throw new ValidationError('A search may hold at most 16 words.', { field: 'query' });
  return tokens.map((t) => t.slice(0, 64));
}

export interface Cursor {
  createdAt: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      return { createdAt: v[0], id: v[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new ValidationError('The cursor is not valid: pass back the nextCursor of a previous page.', {
    field: 'cursor',
  });
}

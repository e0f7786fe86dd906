import { ValidationError } from './errors.js';

/**
 * Limits on free-form JSON that users write (custom properties, metadata, project settings,
 * note positions). Deeply nested values are refused because readers pay for the depth: Python's
 * `json` module raises RecursionError near 1,000 levels, and every client of the project would
 * then fail to read the item (decision 121).
 */
export const JSON_LIMITS = {
  /** Most levels of objects and arrays in one field: `{"a":{"b":1}}` is 2 levels. */
  maxDepth: 32,
} as const;

/**
 * The nesting depth of a JSON value (a scalar is 0, `{}` and `[]` are 1), counted without
 * recursion so that any depth is measured safely; stops counting once past `stopAfter`.
 */
export function jsonDepth(value: unknown, stopAfter: number = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [v, depth] = pending.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > stopAfter) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) pending.push([child, here]);
    }
  }
  return deepest;
}

/**
 * Refuses a user-written JSON value that is nested deeper than `JSON_LIMITS.maxDepth`, is not
 * plain JSON, or serialises to more than `maxBytes` (UTF-8). Returns the serialised text.
 */
export function checkJsonValue(value: unknown, field: string, maxBytes: number): string {
  if (jsonDepth(value, JSON_LIMITS.maxDepth) > JSON_LIMITS.maxDepth) {
    throw new ValidationError(`${field} is nested more than ${JSON_LIMITS.maxDepth} levels deep.`, {
      field,
      maxDepth: JSON_LIMITS.maxDepth,
    });
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) throw new ValidationError(`${field} must be plain JSON.`, { field });
  if (utf8Length(text) > maxBytes) {
    throw new ValidationError(`${field} is larger than ${maxBytes} bytes.`, { field, maxBytes });
  }
  return text;
}

/** UTF-8 length of a string (the domain has no Buffer or TextEncoder: it runs everywhere). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return bytes;
}

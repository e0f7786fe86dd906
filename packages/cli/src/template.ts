/**
 * Path templates: `{project}/{episode}_{sequence}_{shot}/{task}/{name}.{frame}.{ext}` turns
 * `SWA/ep01_sq010_sh020/lighting/beauty.1001.exr` into project `SWA`, task
 * `ep01_sq010_sh020_lighting`, frame 1001. Pure functions, no file system access.
 *
 * Rules (docs/cli.md, "Path templates"):
 * - `{field}` matches text without `/`, as little as possible, so literals between fields
 *   (`_`, `.`, `/`) split them; `{episode}`, `{sequence}`, `{shot}` also stop at `_`.
 * - `{frame}` matches digits (or a `####` / `%04d` placeholder), `{version}` `v003` or `3`,
 *   `{ext}` letters and digits.
 * - `{*}` matches any text within one path segment and is not recorded; `{**}` matches any
 *   number of folders (including none).
 * - A field used twice must have the same value both times.
 * - The template matches the end of the path, starting at a folder boundary.
 */
import { formatVersion } from '@montu/domain';
import { UsageError } from './errors.js';

export interface TemplateMatch {
  /** Every named field as matched. */
  fields: Record<string, string>;
  projectId?: string;
  /** The task id: `{task}` alone, or `{episode}_{sequence}_{shot}_{task}` joined when those are present. */
  taskId?: string;
  version?: string;
  frame?: number;
}

export interface CompiledTemplate {
  source: string;
  regex: RegExp;
  fields: string[];
}

const FIELD_PATTERNS: Record<string, string> = {
  frame: '\\d+|#+|@+|%0?\\d*d',
  version: '[vV]?\\d+',
  ext: '[A-Za-z0-9]+',
  episode: '[^/_]+?',
  sequence: '[^/_]+?',
  shot: '[^/_]+?',
};

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileTemplate(template: string): CompiledTemplate {
  const source = template.replace(/\\/g, '/').replace(/^\.\//, '');
  if (!source.trim()) throw new UsageError('the path template is empty');
  const seen = new Set<string>();
  let re = '';
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{', i);
    const close = source.indexOf('}', i);
    if (close !== -1 && (open === -1 || close < open)) {
      throw new UsageError(`path template ${JSON.stringify(template)}: "}" without "{"`);
    }
    if (open === -1) {
      re += escapeRe(source.slice(i));
      break;
    }
    re += escapeRe(source.slice(i, open));
    const end = source.indexOf('}', open);
    if (end === -1) throw new UsageError(`path template ${JSON.stringify(template)}: "{" without "}"`);
    const name = source.slice(open + 1, end).trim();
    if (name === '*') re += '[^/]*?';
    else if (name === '**') {
      // `{**}/` also matches nothing at all, so `{**}/x` matches `x`.
      if (source[end + 1] === '/') {
        re += '(?:.*/)?';
        i = end + 2;
        continue;
      }
      re += '.*?';
    } else {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new UsageError(`path template ${JSON.stringify(template)}: invalid field {${name}}`);
      }
      if (seen.has(name)) re += `\\k<${name}>`;
      else {
        seen.add(name);
        re += `(?<${name}>${FIELD_PATTERNS[name] ?? '[^/]+?'})`;
      }
    }
    i = end + 1;
  }
  return { source, regex: new RegExp(`(?:^|/)${re}$`), fields: [...seen] };
}

/** Matches a path (any separators) against a template; null when it does not fit. */
export function matchTemplate(template: CompiledTemplate | string, filePath: string): TemplateMatch | null {
  const t = typeof template === 'string' ? compileTemplate(template) : template;
  const m = t.regex.exec(filePath.replace(/\\/g, '/'));
  if (!m?.groups) return m ? { fields: {} } : null;
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.groups)) if (v !== undefined) fields[k] = v;
  const out: TemplateMatch = { fields };
  if (fields['project']) out.projectId = fields['project'];
  const task = fields['task'] ?? fields['step'];
  const prefix = [fields['episode'], fields['sequence'], fields['shot']].filter((v): v is string => !!v);
  if (task !== undefined) {
    const joined = prefix.join('_');
    out.taskId =
      prefix.length && !task.startsWith(`${joined}_`) && task !== joined ? `${joined}_${task}` : task;
  } else if (prefix.length) out.taskId = prefix.join('_');
  if (fields['version']) out.version = formatVersion(Number(fields['version'].replace(/^[vV]/, '')));
  if (fields['frame'] && /^\d+$/.test(fields['frame'])) out.frame = Number(fields['frame']);
  return out;
}

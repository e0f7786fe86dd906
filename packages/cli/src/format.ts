/** Plain-text output helpers: tables, sizes, durations, JSON lines. */

/** Sizes: the domain's one format (SI units), re-exported for the CLI's modules. */
export { formatBytes } from '@montu/domain';

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60
    ? `${m}m${String(s).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Characters on screen (no ANSI codes in our output, so the string length). */
function width(s: string): number {
  return [...s].length;
}

/** A left-aligned table; columns listed in `right` are right-aligned (numbers). */
export function table(headers: string[], rows: string[][], options: { right?: number[] } = {}): string {
  const right = new Set(options.right ?? []);
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i]! - width(c)));
        return right.has(i) ? pad + c : i === cells.length - 1 ? c : c + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(r))].join('\n');
}

/** Writes a value as pretty JSON (one document) to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes one value per line (JSON Lines), for streams of results. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

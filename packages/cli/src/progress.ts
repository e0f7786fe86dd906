/**
 * Ingest progress. On a terminal: one redrawn line with a bar, files done, bytes, files/s and
 * bytes/s. Elsewhere (pipes, CI logs): one plain line per finished item, nothing redrawn.
 */
import { formatBytes } from './format.js';

export interface ProgressTotals {
  files: number;
  bytes: number;
}

export class Progress {
  private doneFiles = 0;
  private doneBytes = 0;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private lastWidth = 0;
  readonly tty: boolean;

  constructor(
    private readonly totals: ProgressTotals,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    options: { enabled?: boolean } = {},
  ) {
    this.tty = (options.enabled ?? true) && stream.isTTY === true && process.env['TERM'] !== 'dumb';
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
    }
  }

  bytes(n: number): void {
    this.doneBytes += n;
  }

  /** One item finished (ok or not); `line` is printed in plain mode and above the bar on a TTY. */
  item(files: number, line?: string): void {
    this.doneFiles += files;
    if (this.tty) {
      if (line) {
        this.clear();
        this.stream.write(`${line}\n`);
      }
      this.draw();
    } else if (line) this.stream.write(`${line}\n`);
  }

  rates(): { seconds: number; filesPerSecond: number; bytesPerSecond: number } {
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    return { seconds, filesPerSecond: this.doneFiles / seconds, bytesPerSecond: this.doneBytes / seconds };
  }

  private clear(): void {
    if (this.lastWidth) this.stream.write(`\r${' '.repeat(this.lastWidth)}\r`);
  }

  private draw(): void {
    const { filesPerSecond, bytesPerSecond } = this.rates();
    const frac =
      this.totals.bytes > 0
        ? Math.min(1, this.doneBytes / this.totals.bytes)
        : this.doneFiles / Math.max(1, this.totals.files);
    const cols = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 70));
    const filled = Math.round(frac * cols);
    const text =
      `[${'#'.repeat(filled)}${'.'.repeat(cols - filled)}] ${Math.round(frac * 100)}% ` +
      `${this.doneFiles}/${this.totals.files} files ${formatBytes(this.doneBytes)}/${formatBytes(this.totals.bytes)} ` +
      `${filesPerSecond.toFixed(1)} files/s ${formatBytes(bytesPerSecond)}/s`;
    this.clear();
    this.stream.write(text);
    this.lastWidth = text.length;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) {
      this.draw();
      this.stream.write('\n');
    }
  }
}

/** Human formats for rates, durations and dates; sizes are the domain's, as on every surface. */
import { formatBytes } from '@montu/domain';

export { formatBytes };

export const formatRate = (bytesPerSecond: number): string => `${formatBytes(bytesPerSecond)}/s`;

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

// One formatter for every date: creating an Intl formatter per call costs ~0.1 ms, too much per card while scrolling.
const DATE_FORMAT = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : DATE_FORMAT.format(d);
}

/** Upload speed and time left from progress samples (bytes, ms): a sliding window of ~3 s. */
export class RateMeter {
  private samples: Array<[number, number]> = [];
  constructor(private readonly windowMs = 3000) {}
  add(bytes: number, at: number): void {
    this.samples.push([at, bytes]);
    while (this.samples.length > 2 && at - this.samples[0]![0] > this.windowMs) this.samples.shift();
  }
  /** Bytes per second, 0 until two samples. */
  rate(): number {
    if (this.samples.length < 2) return 0;
    const [t0, b0] = this.samples[0]!;
    const [t1, b1] = this.samples[this.samples.length - 1]!;
    return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
  }
  /** Seconds left for `total` bytes, null when unknown. */
  eta(total: number): number | null {
    const r = this.rate();
    const last = this.samples[this.samples.length - 1];
    return r > 0 && last ? (total - last[1]) / r : null;
  }
}

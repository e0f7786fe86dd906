import path from 'node:path';
import { ExifTool, ExifToolTask } from 'exiftool-vendored';
import type { RawTags } from './exif.js';

/** Most files read by one exiftool `-execute` (one task of the long-lived process). */
const MAX_BATCH = 32;
/**
 * Files waiting before a batch goes to an exiftool process that is not running yet. Starting one
 * costs ≈ 0.1 s of CPU (Perl and its modules), while a running process reads a still's header in
 * 5–10 ms: a short queue is answered sooner by the running process's next batch (decision 226).
 */
const QUEUE_FOR_ANOTHER_PROCESS = 8;

/**
 * Reads many files in one exiftool `-execute` (`exiftool -json ARGS FILE…`), like a batched
 * command line, through exiftool-vendored's long-lived `-stay_open` processes. Returns exiftool's
 * JSON array: one object per file it could read, each with `SourceFile`; files it could not open
 * are missing from it (their error went to stderr).
 */
class ReadManyTask extends ExifToolTask<RawTags[]> {
  constructor(args: string[]) {
    super(args, { ignoreMinorErrors: true });
  }

  protected parse(input: string, error?: Error): RawTags[] {
    let out: unknown;
    try {
      out = JSON.parse(input);
    } catch (e) {
      throw error ?? e;
    }
    if (!Array.isArray(out)) throw new Error('exiftool printed no JSON array');
    return out as RawTags[];
  }
}

interface Request {
  file: string;
  resolve: (tags: RawTags) => void;
  reject: (err: unknown) => void;
}

interface Group {
  args: string[];
  requests: Request[];
}

/**
 * Batches exiftool reads. exiftool-vendored runs one task per `-execute`, and each task costs a
 * few milliseconds of protocol round trip and timers on top of exiftool's own work, which is
 * more than exiftool spends on a typical image header. Requests made while every exiftool process
 * is busy are queued, and sent together as soon as a process is free: an idle prober answers a
 * single request at once, a loaded one sends batches of up to MAX_BATCH files per `-execute`.
 * Further processes (up to `maxInFlight`) start only when QUEUE_FOR_ANOTHER_PROCESS files wait.
 *
 * A batch that fails as a whole (exiftool crashed or hung on one file, unparseable output) and
 * any file missing from a batch's answer are read again on their own with `readRaw`, so one bad
 * file only ever fails itself, with exiftool's own message.
 */
export class ExifReader {
  private readonly groups = new Map<string, Group>();
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly exiftool: ExifTool,
    /** Batches sent at the same time: one per exiftool process. */
    private readonly maxInFlight: number,
  ) {}

  /** exiftool's tags for one file, read with `args` (e.g. `-fast -n -G3`), `-json` added. */
  read(file: string, args: readonly string[]): Promise<RawTags> {
    const abs = path.resolve(file);
    // The stay_open argfile protocol is line based (and exiftool trims argument lines): such
    // names cannot be batched; readRaw treats them exactly as before.
    if (/[\r\n]|\s$/.test(abs)) return this.readOne(abs, args);
    return new Promise<RawTags>((resolve, reject) => {
      const key = args.join('\0');
      let g = this.groups.get(key);
      if (!g) {
        g = { args: [...args], requests: [] };
        this.groups.set(key, g);
      }
      g.requests.push({ file: abs, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Let every request made in this turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private pending(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.requests.length;
    return n;
  }

  private dispatch(): void {
    while (this.inFlight < this.maxInFlight) {
      const total = this.pending();
      if (total === 0) return;
      // Every running process is busy: start another only for a queue worth its start-up.
      if (
        this.inFlight > 0 &&
        this.inFlight >= this.exiftool.pids.length &&
        total < QUEUE_FOR_ANOTHER_PROCESS
      )
        return;
      // Spread what is waiting over the free processes, at most MAX_BATCH files per -execute.
      const size = Math.min(MAX_BATCH, Math.ceil(total / (this.maxInFlight - this.inFlight)));
      // The group waiting longest (insertion order) first.
      const [key, g] = this.groups.entries().next().value as [string, Group];
      const batch = g.requests.splice(0, size);
      if (g.requests.length === 0) this.groups.delete(key);
      this.inFlight++;
      void this.run(g.args, batch).finally(() => {
        this.inFlight--;
        this.dispatch();
      });
    }
  }

  private async run(args: string[], batch: Request[]): Promise<void> {
    if (batch.length === 1) {
      const r = batch[0]!;
      await this.readOne(r.file, args).then(r.resolve, r.reject);
      return;
    }
    let answer: RawTags[] = [];
    try {
      // Not retried as a batch: on failure each file is read on its own below.
      // `-use MWG` as readRaw adds it (exiftool-vendored's default): the same tags as a single read.
      const taskArgs = [...args, '-json', '-use', 'MWG', ...batch.map((r) => r.file)];
      answer = await this.exiftool.enqueueTask(() => new ReadManyTask(taskArgs), false);
    } catch {
      answer = [];
    }
    const bySource = new Map<string, RawTags>();
    for (const t of answer) if (t && typeof t['SourceFile'] === 'string') bySource.set(t['SourceFile'], t);
    await Promise.all(
      batch.map((r) => {
        const tags = bySource.get(r.file);
        if (tags) {
          r.resolve(tags);
          return undefined;
        }
        return this.readOne(r.file, args).then(r.resolve, r.reject);
      }),
    );
  }

  private readOne(file: string, args: readonly string[]): Promise<RawTags> {
    return this.exiftool.readRaw(file, {
      readArgs: [...args],
      ignoreMinorErrors: true,
    }) as unknown as Promise<RawTags>;
  }
}

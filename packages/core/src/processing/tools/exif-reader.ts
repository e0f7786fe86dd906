import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ExifTool, ExifToolTask } from 'exiftool-vendored';
import type { RawTags } from './exif.js';

/** Most files read by one exiftool `-execute` (one task of the long-lived process). */
const MAX_BATCH = 32;
/**
 * Files waiting before a batch goes to an exiftool process that is not running yet. Starting one
 * costs ≈ 0.1 s of CPU (Perl and its modules), while a running process reads a still's header in
 * 5–10 ms: a short queue is answered sooner by the running process's next batch (decision 226).
 * The same number of files waiting makes a free process read a format another (busy) process has
 * read so far: loading a format's modules costs no more than a start (decision 250).
 */
const QUEUE_FOR_ANOTHER_PROCESS = 8;
/** How long end() lets reads in progress finish (as exiftool-vendored's graceful end does). */
const END_WAIT_MS = 2000;

function ended(): Error {
  return new Error('the exiftool reader has ended');
}

/** Resolves once process `pid` has exited and been reaped (at most END_WAIT_MS). */
async function exited(pid: number): Promise<void> {
  const until = Date.now() + END_WAIT_MS;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await delay(2);
  }
}

/**
 * The exiftool module a format's reads load (Perl loads each on first use, per process): formats
 * sharing one are one family. Others are their own family.
 */
const FAMILY: Record<string, string> = {
  tiff: 'tif',
  tx: 'tif',
  apng: 'png',
  jpeg: 'jpg',
  mp4: 'mov',
  m4v: 'mov',
  m4a: 'mov',
  '3gp': 'mov',
  webm: 'mkv',
  wav: 'riff',
  avi: 'riff',
  webp: 'riff',
  wmv: 'asf',
  wma: 'asf',
  opus: 'ogg',
  oga: 'ogg',
  aif: 'aiff',
};

/** The family of a format (an extension or a sniffed format name). */
export function exiftoolFamily(format: string): string {
  const f = format.toLowerCase();
  return FAMILY[f] ?? f;
}

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
  family: string;
  args: string[];
  requests: Request[];
}

/** One exiftool process (an ExifTool of one process), and the families it has read. */
interface Slot {
  exiftool: ExifTool;
  families: Set<string>;
  busy: boolean;
}

/**
 * Batches exiftool reads over up to `maxProcs` exiftool processes, keeping each format family on
 * the process that has read it before.
 *
 * Batching: exiftool-vendored runs one task per `-execute`, and each task costs a few
 * milliseconds of protocol round trip and timers on top of exiftool's own work, which is more
 * than exiftool spends on a typical image header. Requests made while every process is busy are
 * queued, and sent together as soon as a process is free: an idle reader answers a single request
 * at once, a loaded one sends batches of up to MAX_BATCH files per `-execute`. Further processes
 * start only when QUEUE_FOR_ANOTHER_PROCESS files wait.
 *
 * Families: Perl loads a format's modules in each process the first time that process reads the
 * format, so two processes reading the same mix each pay for every module. A free process takes
 * files of a family it has read, else of a family no process has read (the longest queue first),
 * else (so that no process idles while a queue waits) of a busy process's family when
 * QUEUE_FOR_ANOTHER_PROCESS wait.
 *
 * A batch that fails as a whole (exiftool crashed or hung on one file, unparseable output) and
 * any file missing from a batch's answer are read again on their own with `readRaw`, so one bad
 * file only ever fails itself, with exiftool's own message.
 */
export class ExifReader {
  /** Waiting requests by family and arguments, oldest group first (insertion order). */
  private readonly groups = new Map<string, Group>();
  private readonly slots: Slot[] = [];
  /** Batches being read (end() waits for them). */
  private readonly inFlight = new Set<Promise<void>>();
  private scheduled = false;
  private ended = false;

  constructor(
    /** Makes one exiftool process's ExifTool (`maxProcs: 1`); called when a process is needed. */
    private readonly newExifTool: () => ExifTool,
    /** exiftool processes at most. */
    private readonly maxProcs: number,
  ) {}

  /** exiftool processes started so far. */
  get processes(): number {
    return this.slots.length;
  }

  /** The format families each process has read, sorted (what a process has loaded; diagnostics). */
  get families(): string[][] {
    return this.slots.map((s) => [...s.families].sort());
  }

  /** The exiftool processes' ids (running ones). */
  get pids(): number[] {
    return this.slots.flatMap((s) => s.exiftool.pids);
  }

  /**
   * exiftool's tags for one file, read with `args` (e.g. `-fast -n -G3`), `-json` added.
   * `format` (default: the file's extension) chooses its family.
   */
  read(
    file: string,
    args: readonly string[],
    format: string = path.extname(file).slice(1),
  ): Promise<RawTags> {
    if (this.ended) return Promise.reject(ended());
    const abs = path.resolve(file);
    // The stay_open argfile protocol is line based (and exiftool trims argument lines): such
    // names cannot be batched; readRaw treats them exactly as before.
    if (/[\r\n]|\s$/.test(abs)) return this.track(this.readOne(this.slot(0), abs, args));
    return new Promise<RawTags>((resolve, reject) => {
      const family = exiftoolFamily(format);
      const key = family + '\0' + args.join('\0');
      let g = this.groups.get(key);
      if (!g) {
        g = { family, args: [...args], requests: [] };
        this.groups.set(key, g);
      }
      g.requests.push({ file: abs, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Ends the reader: reads not yet sent to exiftool fail, reads in progress get up to
   * END_WAIT_MS to finish, then every exiftool process is stopped and end() returns once they
   * have exited. exiftool-vendored's graceful end polls for the exit every 50 ms, which would add
   * that to every close; the processes are idle by then, so they are stopped at once (decision 250).
   */
  async end(): Promise<void> {
    this.ended = true;
    for (const g of this.groups.values()) for (const r of g.requests) r.reject(ended());
    this.groups.clear();
    const timer = new AbortController();
    await Promise.race([
      Promise.all(this.inFlight),
      delay(END_WAIT_MS, undefined, { signal: timer.signal }).catch(() => undefined),
    ]);
    timer.abort();
    const pids = this.pids;
    await Promise.all(this.slots.map((s) => s.exiftool.end(false).catch(() => undefined)));
    await Promise.all(pids.map((pid) => exited(pid)));
  }

  /** `p`, which end() waits for while it runs. */
  private track<T>(p: Promise<T>): Promise<T> {
    const settled: Promise<void> = p.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return p;
  }

  /** Slot `i`, started (its ExifTool made) when it is the next one. */
  private slot(i: number): Slot {
    let s = this.slots[i];
    if (!s) {
      s = { exiftool: this.newExifTool(), families: new Set(), busy: false };
      this.slots.push(s);
    }
    return s;
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
    for (;;) {
      const next = this.choose();
      if (!next) return;
      const { slot, key, group, holders } = next;
      // Spread a family's queue over the free processes that hold it, MAX_BATCH files at most.
      const size = Math.min(MAX_BATCH, Math.ceil(group.requests.length / holders));
      const batch = group.requests.splice(0, size);
      if (group.requests.length === 0) this.groups.delete(key);
      slot.busy = true;
      slot.families.add(group.family);
      void this.track(this.run(slot, group.args, batch)).finally(() => {
        slot.busy = false;
        this.dispatch();
      });
    }
  }

  /** The next batch's process and group, or null when nothing waits or it should wait. */
  private choose(): { slot: Slot; key: string; group: Group; holders: number } | null {
    if (this.ended || this.groups.size === 0) return null;
    const free = this.slots.filter((s) => !s.busy);
    const holdersOf = (family: string) => free.filter((s) => s.families.has(family)).length;
    for (const slot of free) {
      for (const [key, group] of this.groups)
        if (slot.families.has(group.family)) return { slot, key, group, holders: holdersOf(group.family) };
    }
    // Of the families no process has read, the longest queue first: the long work starts early
    // and the end of a burst is not one process reading a big batch while the other idles.
    const unread = this.longestGroup((g) => !this.slots.some((s) => s.families.has(g.family)));
    const queued = this.pending() >= QUEUE_FOR_ANOTHER_PROCESS;
    const first = free[0];
    if (first) {
      if (unread) return { slot: first, ...unread, holders: 1 };
      // Every waiting family is on a busy process: read one here too if its queue is long enough.
      const long = this.longestGroup((g) => g.requests.length >= QUEUE_FOR_ANOTHER_PROCESS);
      if (long) return { slot: first, ...long, holders: 1 };
      return null;
    }
    // Every running process is busy: start another only for a queue worth its start-up.
    if (this.slots.length >= this.maxProcs || (this.slots.length > 0 && !queued)) return null;
    const group = unread ?? this.longestGroup(() => true);
    return group ? { slot: this.slot(this.slots.length), ...group, holders: 1 } : null;
  }

  /** The waiting group passing `test` with the most reads (the oldest of equals). */
  private longestGroup(test: (g: Group) => boolean): { key: string; group: Group } | null {
    let best: { key: string; group: Group } | null = null;
    for (const [key, group] of this.groups)
      if (test(group) && (!best || group.requests.length > best.group.requests.length)) best = { key, group };
    return best;
  }

  private async run(slot: Slot, args: string[], batch: Request[]): Promise<void> {
    if (batch.length === 1) {
      const r = batch[0]!;
      await this.readOne(slot, r.file, args).then(r.resolve, r.reject);
      return;
    }
    let answer: RawTags[] = [];
    try {
      // Not retried as a batch: on failure each file is read on its own below.
      // `-use MWG` as readRaw adds it (exiftool-vendored's default): the same tags as a single read.
      const taskArgs = [...args, '-json', '-use', 'MWG', ...batch.map((r) => r.file)];
      answer = await slot.exiftool.enqueueTask(() => new ReadManyTask(taskArgs), false);
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
        // After end() no file is read again on its own: the process is being stopped.
        if (this.ended) return r.reject(ended());
        return this.readOne(slot, r.file, args).then(r.resolve, r.reject);
      }),
    );
  }

  private readOne(slot: Slot, file: string, args: readonly string[]): Promise<RawTags> {
    return slot.exiftool.readRaw(file, {
      readArgs: [...args],
      ignoreMinorErrors: true,
    }) as unknown as Promise<RawTags>;
  }
}

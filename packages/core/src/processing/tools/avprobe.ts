import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { ProcessingError } from '@montu/domain';
import type { FfmpegInput } from './ffmpeg-input.js';
import type { FfprobeAnswerer, FfprobeResult } from './ffprobe.js';
import { PRLIMIT, hasPrlimit, stderrTail } from './tools.js';

/**
 * The stay-open prober (packages/core/native/avprobe.c, decision 245): ffprobe's
 * `-show_format -show_streams` facts for many files from one process, so ffmpeg's shared
 * libraries load once rather than once per file. Requests go one at a time to each process;
 * a second process starts when files queue behind the first.
 */

/** Files waiting for a running process before another one starts. */
const QUEUE_FOR_ANOTHER_PROCESS = 4;
/** After the request's own deadline (which the prober enforces itself), a stuck process is killed. */
const KILL_GRACE_MS = 2_000;
/** The prober's own limit on each request field (MAX_FIELD in avprobe.c): past it, it exits. */
const MAX_FIELD_BYTES = 1 << 20;
/** The longest time limit a Node timer holds (a longer one fires at once). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1 - KILL_GRACE_MS;

/** One file to probe: how libavformat opens it and the time limit. */
export type AvprobeRequest = FfmpegInput & { timeoutMs: number };

interface Pending {
  request: AvprobeRequest;
  /** The request after its id: "timeout_ms format_len options_len url_len\n" and the fields. */
  message: Buffer;
  resolve: (r: FfprobeResult) => void;
  reject: (e: ProcessingError) => void;
  /** Already sent once to a process that exited under it (see ProberProcess's 'close'). */
  resent?: boolean;
}

interface Answer {
  id: number;
  streams?: FfprobeResult['streams'];
  format?: FfprobeResult['format'];
  error?: string;
  log?: string;
}

const NAME = 'montu-avprobe';

/**
 * The protocol's part of a request after its id, refused before it reaches a process when the
 * prober could not read it as meant: an option with a newline (the line separator) or a key
 * with '=', a field past the prober's limit (it would exit), a time limit that is not a
 * positive whole number of milliseconds a timer can hold (0 means none to the prober).
 */
function encodeRequest(request: AvprobeRequest): Buffer {
  const { url, demuxer, options, timeoutMs } = request;
  const refuse = (why: string) => new ProcessingError(`${NAME}: ${why}`, { details: { tool: NAME } });
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS)
    throw refuse(`time limit ${timeoutMs} ms is not a whole number of ms in 1..${MAX_TIMEOUT_MS}`);
  for (const [k, v] of Object.entries(options))
    if (!k || /[=\n]/.test(k) || v.includes('\n')) throw refuse(`option ${JSON.stringify(k)} cannot be sent`);
  const opts = Object.entries(options)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
  const [f, o, u] = [Buffer.from(demuxer), Buffer.from(opts), Buffer.from(url)];
  if ([f, o, u].some((b) => b.includes(0)))
    throw refuse('a request field has a NUL byte (the prober would read a shorter name)');
  if (f.length > MAX_FIELD_BYTES || o.length > MAX_FIELD_BYTES || u.length > MAX_FIELD_BYTES)
    throw refuse(`a request field is longer than ${MAX_FIELD_BYTES} bytes`);
  return Buffer.concat([Buffer.from(`${timeoutMs} ${f.length} ${o.length} ${u.length}\n`), f, o, u]);
}

/** One prober process: one request at a time, answers read line by line. */
class ProberProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private current: (Pending & { id: number; timer: NodeJS.Timeout }) | null = null;
  /** Output after the last newline, as chunks (a large answer arrives in many). */
  private partial: string[] = [];
  private stderr = '';
  private nextId = 1;
  dead = false;
  /** The process is gone (its 'close' came, or it never started). */
  private exited = false;

  constructor(
    binary: string,
    memoryBytes: number,
    private readonly onIdle: (p: ProberProcess) => void,
    private readonly onExit: (p: ProberProcess) => void,
    private readonly onResend: (p: Pending) => void,
  ) {
    const capped = memoryBytes > 0 && hasPrlimit();
    const [file, argv] = capped ? [PRLIMIT, [`--as=${Math.floor(memoryBytes)}`, '--', binary]] : [binary, []];
    this.child = spawn(file, argv, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => this.onData(d));
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-4096);
    });
    this.child.stdin.on('error', () => undefined); // a dead process is reported by 'close'
    this.child.on('error', (e) => {
      this.fail(`${NAME} failed to run: ${e.message}`);
      if (this.child.pid === undefined) this.gone(); // never started: no 'close' to wait for
    });
    // A process that exits on its own fails its request only if the request was already sent
    // once before: a process that died between two requests (a crash in the previous file's
    // clean-up, an outside kill) had the next one written to it before its exit was seen, and
    // that file is innocent. One that crashes a fresh process too is the cause (decision 252).
    this.child.on('close', (code, signal) => {
      this.fail(`${NAME} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`, true);
      this.gone();
    });
  }

  private gone(): void {
    if (this.exited) return;
    this.exited = true;
    this.onExit(this);
  }

  get busy(): boolean {
    return this.current !== null;
  }

  send(p: Pending): void {
    const id = this.nextId++;
    const { timeoutMs } = p.request;
    const timer = setTimeout(
      () => this.kill(`${NAME} timed out after ${timeoutMs} ms`),
      timeoutMs + KILL_GRACE_MS,
    );
    this.current = { ...p, id, timer };
    this.child.stdin.write(Buffer.concat([Buffer.from(`${id} `), p.message]));
  }

  /** Splits output into lines, looking for the newline only in the new chunk: an answer of many
   * megabytes (a file with huge tags) is not rescanned and recopied for every 64 KiB read. */
  private onData(d: string): void {
    let start = 0;
    let nl: number;
    while ((nl = d.indexOf('\n', start)) >= 0) {
      this.partial.push(d.slice(start, nl));
      const line = this.partial.join('');
      this.partial = [];
      start = nl + 1;
      this.onAnswer(line);
    }
    if (start < d.length) this.partial.push(d.slice(start));
  }

  private onAnswer(line: string): void {
    const cur = this.current;
    if (!cur) return;
    let answer: Answer;
    try {
      answer = JSON.parse(line) as Answer;
    } catch {
      this.kill(`${NAME} printed no readable JSON`);
      return;
    }
    if (answer.id !== cur.id) {
      this.kill(`${NAME} answered request ${answer.id} while ${cur.id} was asked`);
      return;
    }
    clearTimeout(cur.timer);
    this.current = null;
    if (answer.error !== undefined) {
      const log = stderrTail(answer.log ?? '');
      const timedOut = /Immediate exit requested/.test(answer.error);
      const message = timedOut
        ? `${NAME} timed out after ${cur.request.timeoutMs} ms`
        : `${NAME}: ${answer.error}${log ? `: ${log}` : ''}`;
      cur.reject(new ProcessingError(message, { details: { tool: NAME, stderr: log } }));
    } else {
      cur.resolve({ streams: answer.streams ?? [], format: answer.format ?? {} });
    }
    this.onIdle(this);
  }

  private kill(why: string): void {
    this.fail(why);
    try {
      this.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }

  /**
   * The process is unusable: the request in progress fails with the reason, or, when the process
   * exited on its own (`resend`) under a request sent for the first time, goes to another process.
   */
  private fail(why: string, resend = false): void {
    const cur = this.current;
    const wasDead = this.dead;
    this.dead = true;
    this.current = null;
    if (cur) clearTimeout(cur.timer);
    // Its id and timer are replaced when it is sent again.
    if (cur && resend && !cur.resent) this.onResend({ ...cur, resent: true });
    else if (cur) {
      const tail = stderrTail(this.stderr);
      cur.reject(
        new ProcessingError(tail ? `${why}: ${tail}` : why, { details: { tool: NAME, stderr: tail } }),
      );
    }
    if (!wasDead) this.onIdle(this);
  }

  /** Ends the process after its current request; resolves once it is gone (a process killed a
   * moment ago is waited for too, so close() leaves none behind). */
  end(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('close', () => resolve());
      if (!this.dead) this.child.stdin.end();
    });
  }
}

/** A small pool of prober processes; a process that dies or times out is replaced on demand. */
export class Avprobe implements FfprobeAnswerer {
  private readonly procs: ProberProcess[] = [];
  /** Every process not yet exited, a killed one being reaped included: close() waits for all. */
  private readonly running = new Set<ProberProcess>();
  private readonly queue: Pending[] = [];
  private closed = false;

  constructor(
    private readonly binary: string,
    private readonly opts: { maxProcs: number; memoryBytes: number },
  ) {}

  probe(request: AvprobeRequest): Promise<FfprobeResult> {
    if (this.closed) return Promise.reject(new ProcessingError(`${NAME} was closed`));
    let message: Buffer;
    try {
      message = encodeRequest(request);
    } catch (e) {
      return Promise.reject(e as ProcessingError);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ request, message, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (let i = this.procs.length - 1; i >= 0; i--) if (this.procs[i]!.dead) this.procs.splice(i, 1);
    for (const p of this.procs) {
      if (!this.queue.length) return;
      if (!p.busy) p.send(this.queue.shift()!);
    }
    const wantAnother = this.procs.length === 0 || this.queue.length >= QUEUE_FOR_ANOTHER_PROCESS;
    if (this.queue.length && wantAnother && this.procs.length < this.opts.maxProcs) {
      const p = new ProberProcess(
        this.binary,
        this.opts.memoryBytes,
        () => this.dispatch(),
        (gone) => this.running.delete(gone),
        (again) => this.resend(again),
      );
      this.procs.push(p);
      this.running.add(p);
      p.send(this.queue.shift()!);
    }
  }

  /** A request whose process exited under it, to the front of the queue (or failed: closed). */
  private resend(p: Pending): void {
    if (this.closed) {
      p.reject(new ProcessingError(`${NAME} was closed`));
      return;
    }
    this.queue.unshift(p);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new ProcessingError(`${NAME} was closed`));
    this.procs.splice(0);
    await Promise.all([...this.running].map((p) => p.end()));
  }
}

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

/** One file to probe: how libavformat opens it and the time limit. */
export type AvprobeRequest = FfmpegInput & { timeoutMs: number };

interface Pending {
  request: AvprobeRequest;
  resolve: (r: FfprobeResult) => void;
  reject: (e: ProcessingError) => void;
}

interface Answer {
  id: number;
  streams?: FfprobeResult['streams'];
  format?: FfprobeResult['format'];
  error?: string;
  log?: string;
}

const NAME = 'montu-avprobe';

/** One prober process: one request at a time, answers read line by line. */
class ProberProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private current: (Pending & { id: number; timer: NodeJS.Timeout }) | null = null;
  private buffered = '';
  private stderr = '';
  private nextId = 1;
  dead = false;

  constructor(
    binary: string,
    memoryBytes: number,
    private readonly onIdle: (p: ProberProcess) => void,
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
    this.child.on('error', (e) => this.fail(`${NAME} failed to run: ${e.message}`));
    this.child.on('close', (code, signal) =>
      this.fail(`${NAME} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`),
    );
  }

  get busy(): boolean {
    return this.current !== null;
  }

  send(p: Pending): void {
    const id = this.nextId++;
    const { url, demuxer, options, timeoutMs } = p.request;
    const opts = Object.entries(options)
      .map(([k, v]) => `${k}=${v}\n`)
      .join('');
    const [f, o, u] = [Buffer.from(demuxer), Buffer.from(opts), Buffer.from(url)];
    const timer = setTimeout(
      () => this.kill(`${NAME} timed out after ${timeoutMs} ms`),
      timeoutMs + KILL_GRACE_MS,
    );
    this.current = { ...p, id, timer };
    this.child.stdin.write(
      Buffer.concat([Buffer.from(`${id} ${timeoutMs} ${f.length} ${o.length} ${u.length}\n`), f, o, u]),
    );
  }

  private onData(d: string): void {
    this.buffered += d;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      this.onAnswer(line);
    }
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

  /** The process is unusable: the request in progress fails with the reason. */
  private fail(why: string): void {
    const cur = this.current;
    const wasDead = this.dead;
    this.dead = true;
    this.current = null;
    if (cur) {
      clearTimeout(cur.timer);
      const tail = stderrTail(this.stderr);
      cur.reject(
        new ProcessingError(tail ? `${why}: ${tail}` : why, { details: { tool: NAME, stderr: tail } }),
      );
    }
    if (!wasDead) this.onIdle(this);
  }

  end(): Promise<void> {
    if (this.dead) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('close', () => resolve());
      this.child.stdin.end();
    });
  }
}

/** A small pool of prober processes; a process that dies or times out is replaced on demand. */
export class Avprobe implements FfprobeAnswerer {
  private readonly procs: ProberProcess[] = [];
  private readonly queue: Pending[] = [];
  private closed = false;

  constructor(
    private readonly binary: string,
    private readonly opts: { maxProcs: number; memoryBytes: number },
  ) {}

  probe(request: AvprobeRequest): Promise<FfprobeResult> {
    if (this.closed) return Promise.reject(new ProcessingError(`${NAME} was closed`));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
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
      const p = new ProberProcess(this.binary, this.opts.memoryBytes, () => this.dispatch());
      this.procs.push(p);
      p.send(this.queue.shift()!);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new ProcessingError(`${NAME} was closed`));
    await Promise.all(this.procs.splice(0).map((p) => p.end()));
  }
}

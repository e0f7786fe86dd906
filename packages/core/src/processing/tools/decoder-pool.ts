/**
 * Image decodes in separate processes. libvips (through sharp) parses untrusted files; a decoder
 * bug that a crafted file triggers (a segfault, an abort, runaway memory) must end a disposable
 * child, not the server or worker that asked for the decode.
 *
 * A DecoderPool keeps up to `processes` long-lived children (decoder-child.mjs), started when
 * work arrives, each running up to `perProcess` requests at once (each on one libvips thread)
 * under an address-space cap. Requests carry a file path and a few options; answers are header
 * facts or an encoded picture. A child that crashes, overruns a request's timeout or is cancelled
 * is gone and the next request starts a fresh child. A request that was alone in it fails with a
 * ProcessingError; one that shared it (or that failed in any way while sharing) runs again alone
 * first, so no file is failed for another's crash (decision 251). Idle children do not keep the
 * parent alive, and they exit when the parent does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessingError } from '@montu/domain';
import type {
  EncodedImage,
  ImageHeader,
  MetadataRequest,
  RenderRequest,
  DecodeRequest,
} from './image-ops.mjs';
import { DEFAULT_MEDIA_LIMITS } from './limits.js';
import { hasPrlimit, PRLIMIT, stderrTail } from './tools.js';

/** Next to this module in both src/processing/tools (vitest) and dist/processing/tools (tsc copies .mjs with allowJs). */
const CHILD_SCRIPT = fileURLToPath(new URL('./decoder-child.mjs', import.meta.url));

/** V8 heap of a child: it holds requests and answers only (pixels live outside the V8 heap). */
export const DEFAULT_DECODER_HEAP_MIB = 256;

/**
 * Address space a decoder child uses before any pixel: node reserves ~1.1 GiB at start-up (V8's
 * heap and code ranges, mostly never backed by memory) and libvips' threads ~0.3 GiB more. Added
 * to the pool's `memoryBytes`, so a decode has the same budget as an external tool under
 * `toolMemoryBytes` (measured on Node 20 / sharp 0.34: 1.4–1.5 GiB after a first render).
 */
export const DECODER_RUNTIME_BYTES = 2 * 1024 ** 3;

/** Children stopped by close() that have not exited after this long are killed. */
const STOP_GRACE_MS = 2000;
const STDERR_KEEP = 16 * 1024;

/** Decodes one child runs at once unless configured (MONTU_DECODES_PER_PROCESS): see decision 251. */
export const DEFAULT_DECODES_PER_PROCESS = 2;

/**
 * Children of a pool: the configured number (MONTU_DECODER_PROCESSES, config/environment.ts), else
 * enough for one decode per core at `perProcess` decodes each.
 */
export function defaultDecoderProcesses(
  configured: number | null = null,
  perProcess: number = DEFAULT_DECODES_PER_PROCESS,
): number {
  if (configured !== null) return configured;
  const cores = Math.max(
    1,
    typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
  );
  return Math.max(1, Math.ceil(cores / Math.max(1, perProcess)));
}

export interface DecoderPoolOptions {
  /** Most children running at once (default `defaultDecoderProcesses()`). */
  processes?: number;
  /**
   * Decodes one child runs at once (default 2), each on its own libvips thread. A request that
   * fails, or whose child dies, while it shared its child is run again alone before it is failed,
   * so a verdict on a file always comes from a decode that ran alone (decision 251).
   */
  perProcess?: number;
  /**
   * Memory for one decode, in bytes: a child runs under `prlimit --as` of this times `perProcess`
   * plus `runtimeBytes` when /usr/bin/prlimit exists, as the external tools run under
   * `toolMemoryBytes`. Default `DEFAULT_MEDIA_LIMITS.toolMemoryBytes`; 0 = no cap.
   */
  memoryBytes?: number;
  /** Address space of node itself, added to the decodes' (default DECODER_RUNTIME_BYTES). */
  runtimeBytes?: number;
  /** V8 old-space cap of each child in MiB (`--max-old-space-size`). Default 256. */
  heapMiB?: number;
}

export interface DecodeOptions {
  /** Kill the child and fail the request after this many ms (counted from when a child takes it). */
  timeoutMs: number;
  /** Abort from outside (job cancelled): a queued request is dropped, a running one's child killed. */
  signal?: AbortSignal;
  /** Names the input in error messages (default: the file's base name). */
  label?: string;
}

/** How a request failed when the decoder process, not the file's decode, was the problem. */
export type DecoderFailure = 'crashed' | 'timeout' | 'cancelled' | 'start' | 'closed';

/** The process-level failure a ProcessingError from a pool records, or null (e.g. libvips refused the file). */
export function decoderFailure(e: unknown): DecoderFailure | null {
  if (!(e instanceof ProcessingError)) return null;
  const f = e.details?.['decoderFailure'];
  return f === 'crashed' || f === 'timeout' || f === 'cancelled' || f === 'start' || f === 'closed'
    ? f
    : null;
}

interface Request {
  id: number;
  body: DecodeRequest;
  label: string;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  resolve: (value: unknown) => void;
  reject: (error: ProcessingError) => void;
  timer: NodeJS.Timeout | null;
  onAbort: (() => void) | null;
  settled: boolean;
  /** Another request ran in the same child while this one did: its failure is not its own verdict. */
  shared: boolean;
  /** Runs again alone (after a failure while shared): its child takes no other request meanwhile. */
  alone: boolean;
}

interface Child {
  proc: ChildProcess;
  ready: boolean;
  /** Requests this child has taken (sent once it is ready), at most the pool's `perProcess`. */
  requests: Set<Request>;
  stderr: string;
  exited: Promise<void>;
}

type ChildMessage =
  { type: 'ready' } | { id: number; ok: true; result: unknown } | { id: number; ok: false; message: string };

/** Every child of every pool: killed when this process exits, so none outlives it. */
const liveChildren = new Set<ChildProcess>();
let exitHook = false;

export class DecoderPool {
  /** Most children at once. */
  readonly processes: number;
  /** Decodes one child runs at once. */
  readonly perProcess: number;
  /** Memory budget of one decode in bytes (0: none). */
  readonly memoryBytes: number;
  /** The children's RLIMIT_AS in bytes (0: none). */
  readonly addressSpaceBytes: number;
  readonly heapMiB: number;
  /** Children that can take work (starting, idle or busy). */
  private readonly children = new Set<Child>();
  /** Children killed or stopped that have not exited yet. */
  private readonly leaving = new Set<Child>();
  private readonly queue: Request[] = [];
  private nextId = 1;
  private closed = false;
  private retriedAlone = 0;

  constructor(options: DecoderPoolOptions = {}) {
    this.perProcess = Math.max(1, Math.floor(options.perProcess ?? DEFAULT_DECODES_PER_PROCESS));
    this.processes = Math.max(
      1,
      Math.floor(options.processes ?? defaultDecoderProcesses(null, this.perProcess)),
    );
    this.memoryBytes = Math.max(0, options.memoryBytes ?? DEFAULT_MEDIA_LIMITS.toolMemoryBytes);
    this.addressSpaceBytes =
      this.memoryBytes > 0
        ? this.memoryBytes * this.perProcess + Math.max(0, options.runtimeBytes ?? DECODER_RUNTIME_BYTES)
        : 0;
    this.heapMiB = Math.max(16, Math.floor(options.heapMiB ?? DEFAULT_DECODER_HEAP_MIB));
  }

  /** Process ids of the children that are running (for tests and diagnostics). */
  get pids(): number[] {
    return [...this.children, ...this.leaving].flatMap((c) => (c.proc.pid === undefined ? [] : [c.proc.pid]));
  }

  /** The requests children are working on now (sent to a started child), for tests and diagnostics. */
  get running(): Array<{ pid: number; op: DecodeRequest['op']; label: string; alone: boolean }> {
    return [...this.children].flatMap((c) =>
      c.ready && c.proc.pid !== undefined
        ? [...c.requests].map((r) => ({ pid: c.proc.pid!, op: r.body.op, label: r.label, alone: r.alone }))
        : [],
    );
  }

  /** Requests run again alone after a failure while they shared a child (for tests and diagnostics). */
  get retried(): number {
    return this.retriedAlone;
  }

  /** Header facts of an image file, or of bytes that are on no local disk (a small upload). */
  metadata(
    input: string | Uint8Array,
    params: Omit<MetadataRequest, 'op' | 'input'>,
    opts: DecodeOptions,
  ): Promise<ImageHeader> {
    return this.run({ op: 'metadata', input, ...params }, opts) as Promise<ImageHeader>;
  }

  /**
   * Starts children up to `processes` ahead of work (none when the pool is closed or full): a
   * child takes ~0.1 s of CPU to load sharp, which the first decodes of a burst would otherwise
   * wait for. Requests that arrive meanwhile wait for a child to be ready, as before.
   */
  start(): void {
    if (this.closed) return;
    while (this.children.size < this.processes) {
      try {
        this.startChild();
      } catch {
        // A request starts one again and reports why it cannot.
        return;
      }
    }
  }

  /** Decodes, orients, fits, transforms and encodes a file's picture (see RenderRequest). */
  async render(params: Omit<RenderRequest, 'op'>, opts: DecodeOptions): Promise<EncodedImage> {
    const r = (await this.run({ op: 'render', ...params }, opts)) as EncodedImage;
    // Advanced serialization delivers the bytes as a Uint8Array: view them as a Buffer, no copy.
    const data: Uint8Array = r.data;
    return { ...r, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
  }

  /**
   * Stops the pool: queued requests fail, idle children exit at once, busy ones when their requests
   * settle (bounded by their timeouts). Resolves when every child has exited.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const req of this.queue.splice(0))
      this.fail(req, failure('the image decoder pool is closed', 'closed'));
    for (const c of [...this.children]) if (c.requests.size === 0) this.stop(c);
    // Busy children are stopped as their requests settle (idle() sees `closed`).
    await Promise.all([...this.children, ...this.leaving].map((c) => c.exited));
  }

  private run(body: DecodeRequest, opts: DecodeOptions): Promise<unknown> {
    const input = body.op === 'metadata' ? body.input : body.file;
    const label = opts.label ?? (typeof input === 'string' ? path.basename(input) : 'the uploaded image');
    if (this.closed) return Promise.reject(failure('the image decoder pool is closed', 'closed'));
    if (opts.signal?.aborted)
      return Promise.reject(failure(`image decoding of ${label} was cancelled`, 'cancelled'));
    return new Promise<unknown>((resolve, reject) => {
      const req: Request = {
        id: this.nextId++,
        body,
        label,
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
        resolve,
        reject,
        timer: null,
        onAbort: null,
        settled: false,
        shared: false,
        alone: false,
      };
      if (opts.signal) {
        req.onAbort = () => this.cancel(req);
        opts.signal.addEventListener('abort', req.onAbort, { once: true });
      }
      // Header reads (a few ms) go ahead of queued renders: a probe, which the rest of an item's
      // processing waits for, does not wait behind full-resolution pictures of other items.
      const firstRender = body.op === 'metadata' ? this.queue.findIndex((q) => q.body.op === 'render') : -1;
      if (firstRender >= 0) this.queue.splice(firstRender, 0, req);
      else this.queue.push(req);
      this.dispatch();
    });
  }

  /**
   * Hands queued requests, in order, to children: an idle ready child first, else a new child
   * (up to `processes`), else the least busy child with a free place (a ready one before one still
   * starting). A request that runs again alone waits for an empty child and keeps it to itself.
   */
  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      const req = this.queue[0]!;
      let child = this.placeFor(req);
      if (!child || child.requests.size > 0 || !child.ready) {
        if (this.children.size < this.processes) {
          try {
            child = this.startChild();
          } catch (e) {
            this.queue.shift();
            this.fail(req, failure(`image decoder could not start: ${String(e)}`, 'start', { cause: e }));
            continue;
          }
        }
        if (!child) return;
      }
      this.queue.shift();
      this.assign(child, req);
    }
  }

  /** The best child with a free place for this request: ready before starting, least busy first. */
  private placeFor(req: Request): Child | undefined {
    let best: Child | undefined;
    for (const c of this.children) {
      const taken =
        c.requests.size >= this.perProcess ||
        (c.requests.size > 0 && (req.alone || [...c.requests].some((r) => r.alone)));
      if (taken) continue;
      if (
        !best ||
        (c.ready && !best.ready) ||
        (c.ready === best.ready && c.requests.size < best.requests.size)
      )
        best = c;
    }
    return best;
  }

  private assign(child: Child, req: Request): void {
    if (child.requests.size > 0) {
      req.shared = true;
      for (const r of child.requests) r.shared = true;
    }
    child.requests.add(req);
    child.stderr = '';
    this.hold(child, true);
    req.timer = setTimeout(() => this.timedOut(child, req), req.timeoutMs);
    if (child.ready) this.send(child, req);
  }

  private send(child: Child, req: Request): void {
    // A failed send means the channel is closing: make sure the child goes; its exit then settles
    // the request.
    child.proc.send({ id: req.id, request: req.body }, (err) => {
      if (err) child.proc.kill('SIGKILL');
    });
  }

  private timedOut(child: Child, req: Request): void {
    const others = this.kill(child).filter((r) => r !== req);
    // The others did nothing wrong, but shared a process with a decode that may have starved them.
    for (const r of others) this.retryAlone(r);
    if (req.shared) this.retryAlone(req);
    else
      this.fail(
        req,
        failure(`image decoder timed out after ${req.timeoutMs} ms on ${req.label}`, 'timeout', {
          details: { timeoutMs: req.timeoutMs },
        }),
      );
    this.dispatch();
  }

  private cancel(req: Request): void {
    if (req.settled) return;
    const queued = this.queue.indexOf(req);
    if (queued >= 0) this.queue.splice(queued, 1);
    for (const c of [...this.children]) {
      if (!c.requests.has(req)) continue;
      // The others go back to the queue as they were: nothing is known against them.
      for (const r of this.kill(c)) if (r !== req) this.requeue(r);
    }
    this.fail(req, failure(`image decoding of ${req.label} was cancelled`, 'cancelled'));
    this.dispatch();
  }

  /** Stops the request's timer and abort listener; it is answered by the caller. */
  private settle(req: Request): void {
    req.settled = true;
    this.disarm(req);
    if (req.onAbort) req.signal?.removeEventListener('abort', req.onAbort);
  }

  private disarm(req: Request): void {
    if (req.timer) clearTimeout(req.timer);
    req.timer = null;
  }

  private fail(req: Request, error: ProcessingError): void {
    if (req.settled) return;
    this.settle(req);
    req.reject(error);
  }

  /** Back to the front of the queue, to run again (its timeout starts again when a child takes it). */
  private requeue(req: Request): void {
    if (req.settled) return;
    this.disarm(req);
    if (this.closed) {
      this.fail(req, failure('the image decoder pool is closed', 'closed'));
      return;
    }
    this.queue.unshift(req);
  }

  /** A failure while sharing a child is not the file's verdict: the request runs again alone. */
  private retryAlone(req: Request): void {
    this.retriedAlone++;
    req.alone = true;
    req.shared = false;
    this.requeue(req);
  }

  private startChild(): Child {
    const node = [process.execPath, `--max-old-space-size=${this.heapMiB}`, CHILD_SCRIPT];
    // prlimit sets the caps and execs node (same pid); no core files of a crashed decoder (they
    // would hold pixels of the user's file and fill the disk).
    const capped = this.addressSpaceBytes > 0 && hasPrlimit();
    const argv = capped
      ? [`--as=${Math.floor(this.addressSpaceBytes)}`, '--core=0', '--', ...node]
      : node.slice(1);
    const proc = spawn(capped ? PRLIMIT : process.execPath, argv, {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      windowsHide: true,
    });
    let exited!: () => void;
    const child: Child = {
      proc,
      ready: false,
      requests: new Set(),
      stderr: '',
      exited: new Promise<void>((resolve) => (exited = resolve)),
    };
    this.children.add(child);
    liveChildren.add(proc);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const p of liveChildren) p.kill('SIGKILL');
      });
    }
    proc.stderr?.on('data', (d: Buffer) => {
      child.stderr += d.toString('utf8');
      if (child.stderr.length > STDERR_KEEP * 2) child.stderr = child.stderr.slice(-STDERR_KEEP);
    });
    proc.on('message', (m: ChildMessage) => this.onMessage(child, m));
    let gone = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (gone) return;
      gone = true;
      liveChildren.delete(proc);
      this.children.delete(child);
      this.leaving.delete(child);
      const requests = [...child.requests];
      child.requests.clear();
      const how = error ? error.message : (signal ?? `exit code ${code}`);
      const tail = stderrTail(child.stderr);
      const details = {
        signal,
        exitCode: code,
        ...(tail ? { stderr: tail } : {}),
        ...(capped ? { memoryLimitBytes: this.addressSpaceBytes } : {}),
      };
      for (const req of requests) {
        if (!child.ready)
          this.fail(
            req,
            failure(`image decoder could not start (${how})${tail ? ': ' + tail : ''}`, 'start', { details }),
          );
        else if (req.shared) this.retryAlone(req);
        else
          this.fail(req, failure(`image decoder crashed (${how}) on ${req.label}`, 'crashed', { details }));
      }
      exited();
      this.dispatch();
    };
    // Not 'close': it never comes after the parent's own disconnect() (stop()). The stderr tail is
    // complete once that pipe closes, which follows the exit at once.
    proc.on('exit', (code, signal) => {
      const stderr = proc.stderr;
      if (!stderr || stderr.destroyed || stderr.readableEnded) return onGone(code, signal);
      stderr.once('close', () => onGone(code, signal));
      setTimeout(() => onGone(code, signal), 500).unref();
    });
    // Only a failed spawn (no process) is final here; other errors are followed by 'exit'.
    proc.on('error', (e) => {
      if (proc.pid === undefined) onGone(null, null, e);
    });
    return child;
  }

  private onMessage(child: Child, m: ChildMessage): void {
    if ('type' in m) {
      child.ready = true;
      if (child.requests.size === 0) return this.idle(child);
      for (const r of child.requests) this.send(child, r);
      // Its free places, if any, are better for what waits than a child still starting.
      this.dispatch();
      return;
    }
    let req: Request | undefined;
    for (const r of child.requests) if (r.id === m.id) req = r;
    if (!req) return; // the answer to a request that timed out or was cancelled
    child.requests.delete(req);
    if (m.ok) {
      this.settle(req);
      req.resolve(m.result);
    } else if (req.shared) this.retryAlone(req);
    else this.fail(req, new ProcessingError(m.message));
    if (child.requests.size === 0) this.idle(child);
    else this.dispatch();
  }

  private idle(child: Child): void {
    if (this.closed) {
      this.stop(child);
      return;
    }
    this.hold(child, false);
    this.dispatch();
  }

  /** An idle child does not keep this process alive; a busy or stopping one does. */
  private hold(child: Child, on: boolean): void {
    const p = child.proc;
    const stderr = p.stderr as (NodeJS.ReadableStream & { ref?: () => void; unref?: () => void }) | null;
    if (on) {
      p.ref();
      p.channel?.ref();
      stderr?.ref?.();
    } else {
      p.unref();
      p.channel?.unref();
      stderr?.unref?.();
    }
  }

  /** Ends an idle child: closing the channel makes it exit; killed if it has not after a grace period. */
  private stop(child: Child): void {
    this.children.delete(child);
    this.leaving.add(child);
    this.hold(child, true);
    try {
      child.proc.disconnect();
    } catch {
      // already disconnected
    }
    const t = setTimeout(() => child.proc.kill('SIGKILL'), STOP_GRACE_MS);
    t.unref();
    void child.exited.then(() => clearTimeout(t));
  }

  /** Kills a child; returns the requests it held, which the caller settles or runs again. */
  private kill(child: Child): Request[] {
    this.children.delete(child);
    this.leaving.add(child);
    const requests = [...child.requests];
    child.requests.clear();
    child.proc.kill('SIGKILL');
    return requests;
  }
}

function failure(
  message: string,
  kind: DecoderFailure,
  opts: { cause?: unknown; details?: Record<string, unknown> } = {},
): ProcessingError {
  return new ProcessingError(message, {
    ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
    details: { ...opts.details, decoderFailure: kind },
  });
}

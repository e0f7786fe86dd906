import { createHash, type Hash } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

/*
 * sha256 off the event loop. Hashing costs ~0.6 s of one core per GiB (SHA-NI); on the thread
 * that also receives the upload it serialises with the receive, the copies and the writes. A
 * few worker threads hash instead: the main thread fills shared-memory slabs and posts
 * (buffer, length); the worker hashes them in order and answers, which frees the slab.
 *
 * The worker is inline source (eval) so it runs the same whether core is loaded from dist or
 * from TypeScript sources in tests. It loads built-ins with process.getBuiltinModule, not
 * require: an eval worker inherits `--input-type=module` from a parent started with it, and is
 * then an ES module where require does not exist. Replies come back in the order of the requests that expect
 * one, so each worker keeps one FIFO of waiting callers.
 */
const WORKER_SOURCE = `
const { parentPort } = process.getBuiltinModule('node:worker_threads');
const { createHash } = process.getBuiltinModule('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let h = jobs.get(m.job);
    if (!h) jobs.set(m.job, (h = createHash('sha256')));
    h.update(new Uint8Array(m.buf, m.start, m.len));
    parentPort.postMessage(null);
  } else if (m.op === 'digest') {
    const h = jobs.get(m.job) || createHash('sha256');
    jobs.delete(m.job);
    parentPort.postMessage(h.digest('hex'));
  } else if (m.op === 'drop') {
    jobs.delete(m.job);
  }
});
`;

interface Waiter {
  resolve: (v: string | null) => void;
  reject: (e: Error) => void;
}

class HashWorker {
  private readonly worker: Worker;
  private readonly waiting: Waiter[] = [];
  /** Jobs (hash states) living in this worker; a new job goes to the least loaded worker. */
  jobs = 0;
  dead: Error | undefined;

  constructor(onDeath: (w: HashWorker) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    // Never keeps the process alive; a running upload holds its socket or file open anyway.
    this.worker.unref();
    this.worker.on('message', (m: string | null) => this.waiting.shift()?.resolve(m));
    const die = (e: Error) => {
      if (this.dead) return;
      this.dead = e;
      onDeath(this);
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`the sha256 worker thread exited (code ${code})`)));
  }

  request(message: object): Promise<string | null> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(message);
    });
  }

  post(message: object): void {
    if (!this.dead) this.worker.postMessage(message);
  }
}

const pool: HashWorker[] = [];
let nextJob = 1;
/** Enough workers for the cores (2 on the reference machine), never more than 4. */
const POOL_SIZE = Math.max(1, Math.min(4, os.availableParallelism()));

/** An idle worker, else a new one while the pool has room (~8 MB each), else the least loaded. */
function pickWorker(): HashWorker {
  const idle = pool.find((w) => w.jobs === 0);
  if (idle) return idle;
  if (pool.length < POOL_SIZE) {
    const w = new HashWorker((dead) => {
      const i = pool.indexOf(dead);
      if (i >= 0) pool.splice(i, 1);
    });
    pool.push(w);
    return w;
  }
  return pool.reduce((a, b) => (b.jobs < a.jobs ? b : a));
}

/**
 * An incremental sha256 whose state lives in a worker thread (or, for content that fits in
 * one update, on this thread). `update` takes a view on a SharedArrayBuffer and resolves when
 * the view may be reused. The state outlives a request, so a resumable upload can keep hashing
 * where it stopped; `dispose` drops it.
 */
export class ParallelSha256 {
  /** Bytes handed to `update` so far. */
  bytes = 0;
  private local: Hash | undefined;
  private remote: { worker: HashWorker; job: number } | undefined;
  private done = false;
  private released = false;

  /**
   * Hashes `view` next. `final` says no more updates follow: content that fits in one update
   * is then hashed here at once (no thread hop for small files).
   */
  update(view: Uint8Array, final = false): Promise<void> {
    if (this.done) return Promise.reject(new Error('sha256 already finished'));
    if (!this.local && !this.remote) {
      if (final || view.byteLength === 0) this.local = createHash('sha256');
      else {
        const worker = pickWorker();
        worker.jobs++;
        this.remote = { worker, job: nextJob++ };
      }
    }
    this.bytes += view.byteLength;
    if (this.local) {
      this.local.update(view);
      return Promise.resolve();
    }
    const { worker, job } = this.remote!;
    if (!(view.buffer instanceof SharedArrayBuffer)) {
      return Promise.reject(new Error('ParallelSha256.update needs a view on a SharedArrayBuffer'));
    }
    return worker
      .request({ op: 'update', job, buf: view.buffer, start: view.byteOffset, len: view.byteLength })
      .then(() => undefined);
  }

  async digest(): Promise<string> {
    if (this.done) throw new Error('sha256 already finished');
    this.done = true;
    if (this.remote) {
      const { worker, job } = this.remote;
      this.release();
      return (await worker.request({ op: 'digest', job }))!;
    }
    return (this.local ?? createHash('sha256')).digest('hex');
  }

  /** Forgets the state (an abandoned or failed upload). Safe to call more than once. */
  dispose(): void {
    if (this.remote && !this.done) this.remote.worker.post({ op: 'drop', job: this.remote.job });
    this.done = true;
    this.release();
  }

  private release(): void {
    if (this.remote && !this.released) {
      this.released = true;
      this.remote.worker.jobs--;
    }
  }
}

import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ParallelSha256 } from './parallel-hash.js';
import { prematureClose } from '../util/streams.js';

const UPLOAD_CLOSED = 'The upload stream closed before it ended.';

/*
 * The write path of uploads, measured (docs/decisions/072-upload-throughput.md): the socket
 * hands over 64 KiB pieces; each used to travel through three or four stream layers, be hashed
 * on the event loop and be written 64 KiB at a time, with the whole fsync left to the end.
 * Here the pieces are copied into a few large shared-memory slabs; a full slab is hashed by a
 * worker thread and written by the thread pool at once, in order, while the next slab fills.
 * The source is paused only when every slab is busy.
 *
 * Slabs are written with O_DIRECT where the filesystem allows it (BlockWriter): the bytes go from the
 * slab to the disk without a copy into the page cache and without writeback later. Buffered
 * writes cost 0.2 core-s per GiB when the kernel has recycled pages at hand and up to 2.3
 * core-s per GiB when it must fault in fresh ones (measured on the reference VM), and left the
 * whole flush to the final fsync; direct writes cost ~0.04 core-s per GiB. The final fsync
 * still runs (metadata, device cache). Where O_DIRECT is refused (tmpfs, some network or
 * FUSE filesystems, an unaligned resume offset, the last partial block) the write is buffered,
 * and an fdatasync starts every SYNC_EVERY buffered bytes so the disk works while the upload
 * streams.
 */

/** Size of one slab: large writes, few hops. A multiple of DIRECT_ALIGN. */
export const SLAB_BYTES = 4 << 20;
/**
 * Slabs per write (32 MiB): one filling, one writing, the rest queued for the hash worker. Eight
 * ride out the moments when the hash worker or the writer is off the CPU (two cores shared with
 * the client): 1 GiB by tus took 0.92–0.94 s against 0.99–1.08 s with four, in three
 * interleaved pairs (decision 077).
 */
const SLABS_PER_WRITE = 8;
/** Start writeback after this many buffered bytes (the final fsync then has less to flush). */
const SYNC_EVERY = 64 << 20;
/** Idle slabs kept for the next upload instead of being freed. */
const POOL_KEEP = 8;
/** File offsets, lengths and memory of direct writes are multiples of this (covers 4Kn disks). */
const DIRECT_ALIGN = 4096;
const WASM_PAGE = 64 * 1024;

interface Slab {
  mem: Buffer;
  /** The memory starts on a page boundary (direct writes need aligned buffers). */
  aligned: boolean;
  /** Users (hash, write) not yet done with it. */
  busy: number;
}

// A Node global that the ES2023 lib of this package's tsconfig does not declare.
declare const WebAssembly: {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer };
};

const idle: Array<{ mem: Buffer; aligned: boolean }> = [];
/**
 * A slab of shared memory (the hash worker reads it). Shared WebAssembly memory is mapped on a
 * page boundary, which O_DIRECT needs and a plain SharedArrayBuffer (malloc'ed, 16-byte
 * aligned) does not give; if it cannot be had (address-space limits), a plain one is used.
 */
export function takeSlab(): { mem: Buffer; aligned: boolean } {
  const pooled = idle.pop();
  if (pooled) return pooled;
  try {
    const pages = SLAB_BYTES / WASM_PAGE;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    return { mem: Buffer.from(memory.buffer), aligned: true };
  } catch {
    return { mem: Buffer.from(new SharedArrayBuffer(SLAB_BYTES)), aligned: false };
  }
}
export function returnSlab(slab: { mem: Buffer; aligned: boolean }): void {
  if (idle.length < POOL_KEEP) idle.push({ mem: slab.mem, aligned: slab.aligned });
}

export interface SinkTarget {
  /** The file, open for writing. */
  handle: FileHandle;
  /** Its path: a second descriptor with O_DIRECT is opened on it for aligned writes. */
  path: string;
}

export interface SinkOptions {
  /** File offset of the first byte (a resumed upload appends). */
  position: number;
  /** Receives every byte written, in order (none: the bytes are only written). */
  hash?: ParallelSha256;
  /**
   * The source's end is the content's end (a whole file, not one piece of a resumable upload):
   * content that fits in one slab is then hashed at once on this thread, with no thread hop.
   */
  endsContent?: boolean;
  /** More bytes than this fail the sink with `tooLarge()`. */
  maxBytes?: number;
  tooLarge?: () => Error;
  /** Stop taking bytes (what arrived is still written): resumable uploads asked to yield. */
  signal?: AbortSignal;
}

export interface SinkResult {
  /** Bytes written (and hashed) from `position`. */
  written: number;
  /** The source ended normally (false: it failed, closed early, or `signal` stopped it). */
  ended: boolean;
  /** Why the sink stopped early: the source's error, a premature close, or the size cap. */
  error?: unknown;
}

/**
 * Streams `source` into `file` at `options.position`, hashing it. Bytes that arrived before
 * an error, an early close or a stop are still written and hashed (a resumable upload keeps
 * them); the result says how it ended. Rejects only when a write or the hash fails (the file
 * and the hash may then disagree). The file is not fsynced at the end: the caller decides.
 */
export function sinkToFile(source: Readable, target: SinkTarget, options: SinkOptions): Promise<SinkResult> {
  const file = target.handle;
  return new Promise<SinkResult>((resolve, reject) => {
    const slabs: Slab[] = [];
    const free: Slab[] = [];
    let current: Slab | undefined;
    let fill = 0;
    let received = 0;
    let position = options.position;
    let written = 0;
    let flushes = 0;
    let inFlight = 0;
    let sinceSync = 0;
    const writer = new BlockWriter(target.handle, target.path);
    /** The first slab ends on an aligned offset, so a resumed upload's later slabs can go direct. */
    let capacity = SLAB_BYTES - (options.position % DIRECT_ALIGN);
    let syncing: Promise<void> | undefined;
    let writes: Promise<void> = Promise.resolve();
    let failure: { error: unknown } | undefined;
    /** The part of a source chunk not yet copied, waiting for a free slab (source paused). */
    let pending: Uint8Array | undefined;
    let outcome: { ended: boolean; error?: unknown } | undefined;
    let settled = false;

    const grab = (): Slab | undefined => {
      const s = free.pop();
      if (s || slabs.length >= SLABS_PER_WRITE) return s;
      const slab: Slab = { ...takeSlab(), busy: 0 };
      slabs.push(slab);
      return slab;
    };

    /** Copies `chunk` into slabs, handing on full ones; keeps the rest in `pending`. */
    const take = (chunk: Uint8Array) => {
      let off = 0;
      // After a failed write or hash nothing more is kept (a full slab could not be handed on,
      // and this loop would never end): the sink is stopping.
      while (off < chunk.length && !failure) {
        if (!current) {
          current = grab();
          if (!current) {
            pending = chunk.subarray(off);
            return;
          }
        }
        const n = Math.min(chunk.length - off, capacity - fill);
        // Buffer#fill with a value as long as the range is one native memcpy. TypedArray#set
        // into shared memory is V8's relaxed copy, byte by byte when source and target are not
        // 8-byte aligned alike (multipart parts start anywhere): 0.3 core-s per GiB, not 0.05.
        current.mem.fill(chunk.subarray(off, off + n), fill, fill + n);
        fill += n;
        off += n;
        if (fill === capacity) flush(false);
      }
    };

    /** Hands the current slab to the hash worker and, in order, to the writer. */
    const flush = (last: boolean) => {
      const slab = current;
      if (failure) {
        // Nothing more is written: the slab's bytes are dropped (the slab stays in `slabs`).
        current = undefined;
        fill = 0;
        return;
      }
      if (!slab || fill === 0) return;
      const len = fill;
      const at = position;
      current = undefined;
      fill = 0;
      capacity = SLAB_BYTES;
      position += len;
      slab.busy = 2;
      inFlight++;
      const view = slab.mem.subarray(0, len);
      const whole = last && flushes === 0 && options.endsContent === true;
      flushes++;
      if (options.hash) {
        options.hash.update(view, whole).then(
          () => release(slab),
          (e: unknown) => {
            fail(e);
            release(slab);
          },
        );
      } else slab.busy--;
      writes = writes.then(async () => {
        try {
          if (failure) return;
          sinceSync += await writer.write(view, at, slab.aligned);
          written += len;
          if (sinceSync >= SYNC_EVERY && !syncing) {
            sinceSync = 0;
            const s = file.datasync().then(
              () => undefined,
              // Not fatal here: the caller's final fsync reports a failing disk.
              () => undefined,
            );
            syncing = s.finally(() => {
              if (syncing === s) syncing = undefined;
            });
          }
        } catch (e) {
          fail(e);
        } finally {
          release(slab);
        }
      });
    };

    /**
     * A write or the hash failed (a full disk): stop taking bytes at once, not when the slab's
     * other user is done with it, so the source is paused and the caller can answer now.
     */
    const fail = (e: unknown) => {
      failure ??= { error: e };
      pending = undefined;
      if (!outcome) stop({ ended: false, error: failure.error });
    };

    /** The hash and the writer are done with `slab`: reuse it. */
    const release = (slab: Slab) => {
      if (--slab.busy > 0) return;
      inFlight--;
      free.push(slab);
      if (failure) {
        pending = undefined;
        current = undefined;
        if (!outcome) stop({ ended: false, error: failure.error });
      } else if (pending) {
        const rest = pending;
        pending = undefined;
        take(rest);
        if (!pending) {
          if (outcome) flush(outcome.ended);
          else source.resume();
        }
      }
      settle();
    };

    const onData = (data: Buffer | Uint8Array | string) => {
      if (outcome) return;
      const chunk = typeof data === 'string' ? Buffer.from(data) : data;
      received += chunk.length;
      if (options.maxBytes !== undefined && received > options.maxBytes) {
        stop({
          ended: false,
          error: options.tooLarge?.() ?? new Error(`more than ${options.maxBytes} bytes`),
        });
        return;
      }
      take(chunk);
      if (pending) source.pause();
    };
    const onEnd = () => stop({ ended: true });
    const onError = (e: unknown) => stop({ ended: false, error: e });
    const onClose = () => stop({ ended: false, error: prematureClose(UPLOAD_CLOSED) });
    const onAbort = () => stop({ ended: false });

    /** No more bytes are taken: what arrived is written, then the sink settles. */
    function stop(o: { ended: boolean; error?: unknown }) {
      if (outcome) return;
      outcome = o;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
      options.signal?.removeEventListener('abort', onAbort);
      // A later error of the source must not go unhandled.
      source.on('error', () => undefined);
      if (!o.ended) source.pause();
      // With a chunk still pending, release() flushes once it is copied.
      if (!pending) flush(o.ended);
      settle();
    }

    function settle() {
      if (settled || !outcome || pending || inFlight > 0) return;
      settled = true;
      const o = outcome;
      void (async () => {
        await writes;
        await syncing;
        await writer.close();
        for (const s of slabs) returnSlab(s);
        if (failure) reject(failure.error);
        else
          resolve({
            written,
            ended: o.ended,
            ...(o.error !== undefined ? { error: o.error } : {}),
          });
      })();
    }

    if (options.signal?.aborted) return stop({ ended: false });
    if (source.readableEnded) return stop({ ended: true });
    if (source.destroyed)
      return stop({ ended: false, error: source.errored ?? prematureClose(UPLOAD_CLOSED) });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    source.on('data', onData);
    source.on('end', onEnd);
    source.on('error', onError);
    source.on('close', onClose);
    source.resume();
  });
}

/**
 * Writes to one file through O_DIRECT where the filesystem allows it, the rest through the page
 * cache: whole blocks at an aligned offset from page-aligned memory go direct, the last partial
 * block (and anything unaligned) buffered, so a file smaller than a slab goes mostly direct too
 * (decision 251).
 */
export class BlockWriter {
  /** The O_DIRECT descriptor: undefined until needed, null once refused. */
  private direct: Promise<FileHandle | null> | undefined;

  constructor(
    private readonly file: FileHandle,
    private readonly path: string,
  ) {}

  /** Writes `view` at `at`; `aligned`: its memory starts on a page boundary. Returns the bytes written buffered. */
  async write(view: Uint8Array, at: number, aligned: boolean): Promise<number> {
    const blocks = aligned && at % DIRECT_ALIGN === 0 ? view.length - (view.length % DIRECT_ALIGN) : 0;
    let direct = 0;
    const handle = blocks > 0 ? await this.directHandle() : null;
    if (handle) {
      try {
        await writeAll(handle, view.subarray(0, blocks), at);
        direct = blocks;
      } catch (e) {
        // Refused for this file (EINVAL: alignment or filesystem): buffered from now on.
        if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
        this.direct = Promise.resolve(null);
        void handle.close().catch(() => undefined);
      }
    }
    if (direct < view.length) await writeAll(this.file, view.subarray(direct), at + direct);
    return view.length - direct;
  }

  /** Closes the direct descriptor (the caller owns and closes the buffered one). */
  async close(): Promise<void> {
    const d = await this.direct;
    this.direct = Promise.resolve(null);
    await d?.close().catch(() => undefined);
  }

  private directHandle(): Promise<FileHandle | null> {
    return (this.direct ??= fsp
      .open(this.path, fs.constants.O_WRONLY | fs.constants.O_DIRECT)
      .catch(() => null));
  }
}

export async function writeAll(handle: FileHandle, view: Uint8Array, at: number): Promise<void> {
  let off = 0;
  while (off < view.length) {
    const { bytesWritten } = await handle.write(view, off, view.length - off, at + off);
    off += bytesWritten;
  }
}

import { Readable } from 'node:stream';
import type { StorageBackend } from './backend.js';
import { prematureClose } from '../util/streams.js';

/*
 * Streams that lend their chunks (docs/decisions/077-upload-form-parser.md): an upload read
 * straight from its socket hands on views of one reused buffer instead of a fresh Buffer per
 * read — a fresh Buffer per 64 KiB costs as much as everything else the server does per byte.
 * A lent chunk is valid during its 'data' event; a consumer that pauses in that event may keep
 * it until it calls resume(). `sinkToFile` (the local backend's writer) works that way; a
 * consumer that keeps chunks longer (a pipe, a part buffer) gets copies from `ownChunks`.
 */

/** Set (to true) on a stream whose chunks are lent. */
export const LENDS_CHUNKS: unique symbol = Symbol.for('montu.lendsChunks') as never;

export function lendsChunks(stream: unknown): boolean {
  return (
    typeof stream === 'object' &&
    stream !== null &&
    (stream as Record<symbol, unknown>)[LENDS_CHUNKS] === true
  );
}

/**
 * Pushes `view` (of a buffer its owner will reuse) into `stream` by the lending rule: the view
 * itself when it goes straight to a flowing consumer's 'data' event, else a copy that may wait
 * in the stream's buffer. `held`: the consumer paused in that event and may keep the view until
 * it resumes the stream — the buffer must not be overwritten before.
 */
export function pushLent(stream: Readable, view: Buffer): { accepted: boolean; held: boolean } {
  const direct =
    stream.readableFlowing === true && stream.readableLength === 0 && stream.listenerCount('data') > 0;
  const accepted = stream.push(direct ? view : Buffer.from(view));
  return { accepted, held: direct && stream.readableFlowing !== true };
}

/** `body` as `storage.put` may take it: copies of lent chunks unless the backend takes them. */
export function forStorage<T extends Readable | AsyncIterable<Uint8Array>>(
  storage: StorageBackend,
  body: T,
): T | Readable {
  return lendsChunks(body) && !storage.takesLentChunks ? ownChunks(body as unknown as Readable) : body;
}

/** A stream of copies of `source`'s chunks, made during their 'data' events. */
export function ownChunks(source: Readable): Readable {
  const out = new Readable({
    highWaterMark: 1 << 20,
    read() {
      source.resume();
    },
    destroy(error, callback) {
      if (!source.readableEnded) source.destroy(error ?? undefined);
      callback(error);
    },
  });
  source.on('data', (chunk: Buffer) => {
    if (!out.push(Buffer.from(chunk))) source.pause();
  });
  source.once('end', () => out.push(null));
  source.once('error', (e) => out.destroy(e));
  source.once('close', () => {
    if (!source.readableEnded && !out.destroyed) out.destroy(prematureClose());
  });
  return out;
}

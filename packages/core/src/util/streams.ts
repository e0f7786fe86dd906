import { Readable } from 'node:stream';

/**
 * Reads the first `bytes` of a stream without consuming it: returns those bytes and a stream
 * that yields the whole content again, head included. Nothing beyond the head is buffered.
 */
export async function peekStream(
  source: Readable | AsyncIterable<Uint8Array>,
  bytes: number,
): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(chunks);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    }
  }
  const stream = Readable.from(replay(), { objectMode: false });
  // If the consumer gives up, release the source (closes files and sockets).
  stream.on('close', () => {
    if (!done) void iterator.return?.();
  });
  return { head: head.subarray(0, bytes), stream };
}

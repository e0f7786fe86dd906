/**
 * Image decoder child process: runs the libvips (sharp) operations of image-ops.mjs on the files
 * DecoderPool (decoder-pool.ts) sends, as many at once as the pool sends (two by default, each on
 * its own libvips thread), so a decoder bug that crashes on a crafted file ends this process only;
 * the pool runs whatever shared the process again alone. Started by the pool with an IPC channel (advanced
 * serialization), under `prlimit --as` and a small V8 heap; exits when the channel closes.
 *
 * Protocol: the pool sends `{ id, request }`; the child answers `{ id, ok: true, result }` or
 * `{ id, ok: false, message }`. `{ type: 'ready' }` is sent once sharp has loaded.
 */
import sharp from 'sharp';
import { runDecode } from './image-ops.mjs';

/** @typedef {import('./image-ops.mjs').DecodeRequest} DecodeRequest */
/** @typedef {{ id: number, request: DecodeRequest }} ChildRequest */

// The pool sends one decode per core in all: one libvips worker thread per decode.
sharp.concurrency(1);
// Each file is decoded once; libvips' operation cache would only hold memory and open files.
sharp.cache(false);

const send = process.send?.bind(process);
if (!send) {
  console.error('decoder-child.mjs is started by DecoderPool (decoder-pool.ts), with an IPC channel');
  process.exit(2);
}

/** @param {unknown} message */
const reply = (message) => {
  try {
    send(message);
  } catch {
    // The pool has gone: 'disconnect' ends this process.
  }
};

process.on('disconnect', () => process.exit(0));
process.on('message', (/** @type {ChildRequest} */ { id, request }) => {
  runDecode(request).then(
    (result) => reply({ id, ok: true, result }),
    (/** @type {unknown} */ e) =>
      reply({ id, ok: false, message: e instanceof Error ? e.message : String(e) }),
  );
});
reply({ type: 'ready' });

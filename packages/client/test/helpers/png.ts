/** A small valid PNG (8×8), its first pixel from `seed`: distinct files that the server accepts. */
import { deflateSync, crc32 } from 'node:zlib';

export function png(seed: number): Buffer {
  const w = 8;
  const rows = Buffer.concat(
    Array.from({ length: w }, (_, y) =>
      Buffer.from([
        0,
        ...Array.from({ length: w * 3 }, (_, i) => (y === 0 && i < 3 ? (seed >> (8 * i)) & 255 : 90)),
      ]),
    ),
  );
  const chunk = (t: string, d: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(d.length);
    const td = Buffer.concat([Buffer.from(t), d]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(w, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

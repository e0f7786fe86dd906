/**
 * A streamed multipart/form-data body: the fields first, then the file part read from disk in
 * 1 MiB chunks. Written by hand (a few lines) rather than with FormData + `fs.openAsBlob` so
 * the CLI can count bytes as they leave for its progress bar; memory stays bounded either way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ProgressFn } from './backend.js';

export interface MultipartBody {
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

function quote(v: string): string {
  return v.replace(/["\\\r\n]/g, (c) => encodeURIComponent(c));
}

export function multipartFile(
  fields: Record<string, string | undefined>,
  filePath: string,
  onProgress?: ProgressFn,
  fileField = 'file',
): MultipartBody {
  const boundary = `----montu${randomBytes(12).toString('hex')}`;
  const enc = new TextEncoder();
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      yield enc.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`,
      );
    }
    yield enc.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="${quote(path.basename(filePath))}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    );
    for await (const chunk of fs.createReadStream(filePath, { highWaterMark: 1 << 20 })) {
      const buf = chunk as Buffer;
      onProgress?.(buf.length);
      yield buf;
    }
    yield enc.encode(`\r\n--${boundary}--\r\n`);
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: body() };
}

/** A file's bytes as a stream, counted. */
export async function* fileChunks(filePath: string, onProgress?: ProgressFn): AsyncGenerator<Uint8Array> {
  for await (const chunk of fs.createReadStream(filePath, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    onProgress?.(buf.length);
    yield buf;
  }
}

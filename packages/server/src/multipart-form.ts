import { Readable } from 'node:stream';
import { LENDS_CHUNKS, prematureClose, pushLent, ValidationError } from '@montu/core';
import { HttpProblem } from './problem.js';

/*
 * The upload form (`multipart/form-data`: fields, then one file) read as it streams
 * (docs/decisions/077-upload-form-parser.md).
 *
 * Busboy searched every byte of a multi-GB file for the boundary in JavaScript (0.34 core-s per
 * GiB, profiled) and needed a fresh copy of each 64 KiB socket read, since its file stream keeps
 * slices of its input. Here the boundary is found with the native `Buffer#indexOf`, and the
 * file's bytes are handed on as views of the source's chunks: when the source lends its chunks
 * (`lent`; no server source does since decision 117), so does the file stream, under the same rule
 * — a chunk is a view only when it goes straight to a flowing consumer, which copies it in its
 * 'data' event or pauses there and copies it before resuming; any chunk that must wait is a copy.
 */

export interface FormLimits {
  /** Parts in all (fields and the file). */
  parts: number;
  /** Fields before the file. */
  fields: number;
  /** Bytes of one field's value. */
  fieldSize: number;
  /** Header lines of one part. */
  headerPairs: number;
  /** Bytes of one part's header block. */
  headerBytes: number;
  /** Bytes of the file. */
  fileSize: number;
}

export interface FormFile {
  /** The part's name (the upload routes want "file"). */
  fieldName: string;
  /** The file name the client gave, without any directory part. */
  fileName: string;
  mimeType: string;
  /** The file's bytes. Chunks are lent when the source's are (see above). */
  stream: FilePartStream;
}

export interface FormHead {
  /** Fields before the file, by name (the last of a repeated name wins). */
  fields: Record<string, string>;
  /** Every value of each field, in order (`tags` may be sent once per tag). */
  values: Record<string, string[]>;
  file: FormFile;
}

/** The boundary of a `multipart/form-data` Content-Type, or undefined. */
export function formBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"((?:[^"\\]|\\.){1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i.exec(contentType);
  const b = m ? (m[1]?.replace(/\\(.)/g, '$1') ?? m[2]) : undefined;
  // RFC 2046: 1–70 characters, not ending in a space.
  return b && !b.endsWith(' ') ? b : undefined;
}

/**
 * Reads `source` (the request body) up to the start of its file part: resolves with the fields
 * that came before it and the file's stream, which then carries on with the rest of the body.
 * Whatever follows the file part is read and ignored. `lent`: the source's chunks are views
 * valid only during their 'data' event (or until resume() after a pause in it).
 */
export function readFormUntilFile(
  source: Readable,
  boundary: string,
  limits: FormLimits,
  options: { lent: boolean; fileTooLarge: () => Error },
): Promise<FormHead> {
  return new Promise<FormHead>((resolve, reject) => {
    const parser = new FormParser(source, boundary, limits, options, resolve, reject);
    parser.start();
  });
}

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');
const CR = 13;

type State = 'preamble' | 'delimiter' | 'headers' | 'field' | 'file' | 'trailer';

class FormParser {
  /** CRLF + "--" + boundary: what ends a part. */
  private readonly delimiter: Buffer;
  private state: State = 'preamble';
  /** Bytes of the states before the file (and a field's value), owned: always copies. */
  private held: Buffer;
  /** In the file: the end of the last chunk, which may be the start of the delimiter (owned). */
  private carry: Buffer | undefined;
  private parts = 0;
  private readonly fields: Record<string, string> = Object.create(null) as Record<string, string>;
  private readonly values: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  private fieldCount = 0;
  private part: { name: string } | undefined;
  private file: FilePartStream | undefined;
  private fileBytes = 0;
  private settled = false;

  constructor(
    private readonly source: Readable,
    boundary: string,
    private readonly limits: FormLimits,
    private readonly options: { lent: boolean; fileTooLarge: () => Error },
    private readonly resolve: (head: FormHead) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    // The first boundary may open the body: read it as if a line break came before.
    this.held = Buffer.from(CRLF);
  }

  start(): void {
    this.source.on('data', this.onData);
    this.source.on('end', this.onEnd);
    this.source.on('error', this.onError);
    this.source.on('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    try {
      if (this.state === 'trailer') return;
      if (this.state === 'file') this.fileChunk(chunk);
      else this.heldChunk(Buffer.concat([this.held, chunk]));
    } catch (e) {
      this.fail(e);
    }
  };

  private readonly onEnd = (): void => {
    this.stopListening();
    if (this.state === 'file')
      this.fail(
        new ValidationError('The form ended before its file did (no closing boundary).', { field: 'file' }),
      );
    else if (this.state !== 'trailer') this.fail(noFilePart());
  };

  private readonly onError = (e: unknown): void => {
    this.stopListening();
    this.fail(e);
  };

  private readonly onClose = (): void => {
    if (this.state !== 'trailer' && !this.source.readableEnded)
      this.onError(this.source.errored ?? prematureClose('The upload stream closed before it ended.'));
  };

  private stopListening(): void {
    this.source.off('data', this.onData);
    this.source.off('end', this.onEnd);
    this.source.off('error', this.onError);
    this.source.off('close', this.onClose);
    // A late error of the source must not go unhandled.
    this.source.on('error', () => undefined);
  }

  /** Before the file, or with the file ended: parse `buf` (owned) as far as it goes. */
  private heldChunk(buf: Buffer): void {
    let at = 0;
    for (;;) {
      if (this.state === 'preamble' || this.state === 'field') {
        const i = buf.indexOf(this.delimiter, at);
        const limit = this.state === 'field' ? this.limits.fieldSize : this.limits.headerBytes;
        const length = (i === -1 ? buf.length : i) - at;
        if (length > limit + (i === -1 ? this.delimiter.length : 0)) {
          if (this.state === 'field')
            throw tooLarge(
              `The form field ${JSON.stringify(this.part!.name)} is longer than ${limit} bytes.`,
            );
          throw malformed('No multipart boundary where the form should start.');
        }
        if (i === -1) break;
        if (this.state === 'field') {
          const value = buf.toString('utf8', at, i);
          this.fields[this.part!.name] = value;
          (this.values[this.part!.name] ??= []).push(value);
        }
        at = i + this.delimiter.length;
        this.state = 'delimiter';
      } else if (this.state === 'delimiter') {
        // After a boundary: "--" closes the form, CRLF opens a part (spaces may come first).
        let j = at;
        while (j < buf.length && (buf[j] === 0x20 || buf[j] === 0x09) && j - at < 64) j++;
        if (buf.length - j < 2) break;
        if (j === at && buf[j] === 0x2d && buf[j + 1] === 0x2d) {
          // The form is closed without a file.
          throw noFilePart();
        }
        if (buf[j] !== CR || buf[j + 1] !== 0x0a)
          throw malformed('A multipart boundary is not followed by a line break.');
        at = j + 2;
        if (++this.parts > this.limits.parts)
          throw tooLarge(`The form has more than ${this.limits.parts} parts.`);
        this.state = 'headers';
      } else if (this.state === 'headers') {
        // An empty header block is a bare CRLF; otherwise the block ends with a blank line.
        const end = buf[at] === CR && buf[at + 1] === 0x0a ? at : buf.indexOf(HEADERS_END, at);
        const block = (end === -1 ? buf.length : end) - at;
        if (block > this.limits.headerBytes)
          throw tooLarge(`A form part's headers are longer than ${this.limits.headerBytes} bytes.`);
        if (end === -1) break;
        const headers = parseHeaders(buf.toString('latin1', at, end), this.limits.headerPairs);
        at = end + (end === at ? 2 : 4);
        const disposition = parseDisposition(headers.get('content-disposition'));
        if (disposition.fileName === undefined) {
          if (++this.fieldCount > this.limits.fields)
            throw tooLarge(`The form has more than ${this.limits.fields} fields.`);
          this.part = { name: disposition.name };
          this.state = 'field';
        } else {
          if (disposition.name !== 'file')
            throw new ValidationError(
              `The file part must be named "file", not ${JSON.stringify(disposition.name)}.`,
              { field: 'file' },
            );
          this.startFile(disposition.name, disposition.fileName, headers.get('content-type'));
          const rest = buf.subarray(at);
          // Owned bytes: never lent.
          if (rest.length > 0) this.fileBytesOf(rest, false);
          return;
        }
      } else {
        return;
      }
    }
    this.held = at === 0 ? buf : Buffer.from(buf.subarray(at));
  }

  private startFile(fieldName: string, fileName: string, contentType: string | undefined): void {
    this.state = 'file';
    this.held = Buffer.alloc(0);
    const file = new FilePartStream(this.source);
    // So the core copies the chunks for a storage backend that keeps them (lent-chunks.ts).
    if (this.options.lent) (file as unknown as Record<symbol, boolean>)[LENDS_CHUNKS] = true;
    this.file = file;
    this.settled = true;
    this.resolve({
      fields: this.fields,
      values: this.values,
      file: {
        fieldName,
        fileName,
        mimeType: contentType?.split(';')[0]?.trim().toLowerCase() || 'application/octet-stream',
        stream: file,
      },
    });
  }

  /** A source chunk while in the file. */
  private fileChunk(chunk: Buffer): void {
    if (this.carry) {
      const carry = this.carry;
      this.carry = undefined;
      const need = this.delimiter.length - 1;
      const probe = Buffer.concat([carry, chunk.subarray(0, need)]);
      const i = probe.indexOf(this.delimiter);
      if (i !== -1) {
        // The delimiter starts in the carried bytes (it cannot fit in the chunk's part of the probe).
        this.fileData(probe.subarray(0, i), false);
        this.endFile();
        return;
      }
      if (chunk.length < need) {
        // Too short to decide: the probe (owned) is all that is known.
        this.fileBytesOf(probe, false);
        return;
      }
      this.fileData(carry, false);
    }
    this.fileBytesOf(chunk, this.options.lent);
  }

  /** File bytes up to the delimiter, if `buf` has it; keeps a possible start of it for later. */
  private fileBytesOf(buf: Buffer, lent: boolean): void {
    const i = buf.indexOf(this.delimiter);
    if (i !== -1) {
      this.fileData(buf.subarray(0, i), lent);
      this.endFile();
      return;
    }
    const keep = partialDelimiterAt(buf, this.delimiter);
    this.fileData(buf.subarray(0, keep), lent);
    if (keep < buf.length) this.carry = Buffer.from(buf.subarray(keep));
  }

  private fileData(data: Buffer, lent: boolean): void {
    if (data.length === 0 || this.state !== 'file') return;
    this.fileBytes += data.length;
    if (this.fileBytes > this.limits.fileSize) {
      const e = this.options.fileTooLarge();
      this.file!.limitError = e;
      this.fail(e);
      return;
    }
    this.file!.deliver(data, lent);
  }

  /**
   * The file's closing delimiter came. What follows (the closing "--", later parts, an
   * epilogue) is read to the end and ignored, so the request completes: the source goes on
   * unless a consumer still holds a lent chunk (it resumes the source when done).
   */
  private endFile(): void {
    this.state = 'trailer';
    const file = this.file!;
    file.push(null);
    if (!file.holding && this.source.isPaused() && !this.source.destroyed) this.source.resume();
  }

  private fail(e: unknown): void {
    if (!this.settled) {
      this.settled = true;
      this.stopListening();
      this.source.pause();
      this.reject(e);
      return;
    }
    if (this.state === 'file') {
      this.state = 'trailer';
      this.stopListening();
      this.source.pause();
      this.file!.destroy(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

/**
 * The file part's bytes. Reading it resumes the source; a consumer that pauses (or a full
 * buffer) pauses the source, so a lent chunk is never overwritten while it is held.
 */
export class FilePartStream extends Readable {
  /** The consumer paused while holding a lent chunk (until it resumes). */
  holding = false;
  /** Set when the file went over the size limit (the stream fails with it). */
  limitError: Error | undefined;

  constructor(private readonly source: Readable) {
    super({ highWaterMark: 1 << 20 });
    // The form may fail before the route reads the file (its checks come first): that must not
    // be an unhandled 'error' event. Readers see it as `errored`, as the core's readers check.
    this.on('error', () => undefined);
  }

  /** Hands on `data`: the view itself straight to a flowing consumer, else a copy if lent. */
  deliver(data: Buffer, lent: boolean): void {
    const { accepted, held } = lent ? pushLent(this, data) : { accepted: this.push(data), held: false };
    if (held) this.holding = true;
    if (!accepted || this.readableFlowing !== true) this.source.pause();
  }

  override _read(): void {
    // Asked for more (the stream reads ahead even while paused): not while a view is held.
    if (!this.holding) this.resumeSource();
  }

  override resume(): this {
    super.resume();
    // A consumer that paused while holding a view resumes when done with it.
    this.holding = false;
    this.resumeSource();
    return this;
  }

  private resumeSource(): void {
    if (this.source.isPaused() && !this.source.destroyed && !this.destroyed) this.source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Nobody reads the rest: stop reading the source (the route answers and the connection
    // is drained or closed, upload-slots.ts).
    this.source.pause();
    callback(error);
  }
}

/** Where a suffix of `buf` starts that is a proper prefix of `delimiter` (buf.length if none). */
function partialDelimiterAt(buf: Buffer, delimiter: Buffer): number {
  let p = Math.max(0, buf.length - delimiter.length + 1);
  while ((p = buf.indexOf(CR, p)) !== -1) {
    if (buf.subarray(p).equals(delimiter.subarray(0, buf.length - p))) return p;
    p++;
  }
  return buf.length;
}

/** Header lines (latin1 text) by lower-case name; folded lines are joined. */
function parseHeaders(text: string, maxPairs: number): Map<string, string> {
  const headers = new Map<string, string>();
  let last: string | undefined;
  let pairs = 0;
  for (const line of text.split('\r\n')) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && last !== undefined) {
      headers.set(last, `${headers.get(last)!} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('A form part has a malformed header line.');
    if (++pairs > maxPairs) throw tooLarge(`A form part has more than ${maxPairs} header lines.`);
    last = line.slice(0, colon).trim().toLowerCase();
    headers.set(last, line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * `form-data; name="…"; filename="…"` (RFC 7578); `filename*` (RFC 5987) when no `filename`.
 * Values arrive as raw bytes (browsers send UTF-8 in quoted names), read here as latin1 and
 * turned back into UTF-8. File names lose any directory part.
 */
export function parseDisposition(value: string | undefined): { name: string; fileName?: string } {
  if (value === undefined) throw malformed('A form part has no Content-Disposition header.');
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (type !== 'form-data') throw malformed(`A form part's Content-Disposition is "${type}", not form-data.`);
  const params = new Map<string, string>();
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/gy;
  re.lastIndex = semi === -1 ? value.length : semi;
  for (let m: RegExpExecArray | null; (m = re.exec(value)) !== null;) {
    const key = m[1]!.toLowerCase();
    if (!params.has(key)) params.set(key, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!.trim());
  }
  const name = params.get('name');
  if (name === undefined) throw malformed('A form part has no name.');
  const utf8 = (s: string) => Buffer.from(s, 'latin1').toString('utf8');
  const extended = params.has('filename*') ? decodeExtended(params.get('filename*')!) : undefined;
  const plain = params.get('filename');
  // RFC 7578 forbids filename* in forms; like busboy, it counts only when filename is absent.
  const fileName = plain !== undefined ? utf8(plain) : extended;
  return {
    name: utf8(name),
    ...(fileName !== undefined ? { fileName: baseName(fileName) } : {}),
  };
}

/** charset'lang'percent-encoded (RFC 5987); undefined when it cannot be read. */
function decodeExtended(v: string): string | undefined {
  const m = /^([^']*)'[^']*'(.*)$/.exec(v);
  if (!m) return undefined;
  const charset = m[1]!.toLowerCase();
  if (charset !== 'utf-8' && charset !== 'iso-8859-1') return undefined;
  const bytes = Buffer.from(
    m[2]!.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  );
  return bytes.toString(charset === 'utf-8' ? 'utf8' : 'latin1');
}

function baseName(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  return base === '.' || base === '..' ? '' : base;
}

function malformed(detail: string): ValidationError {
  return new ValidationError(`The upload form is malformed: ${detail}`, { field: 'file' });
}

function tooLarge(detail: string): HttpProblem {
  return new HttpProblem(413, 'payload_too_large', detail);
}

function noFilePart(): ValidationError {
  return new ValidationError('The form has no "file" part (fields must come first, then the file).', {
    field: 'file',
  });
}

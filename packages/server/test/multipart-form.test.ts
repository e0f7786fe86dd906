/**
 * The upload form parser (multipart-form.ts), against busboy as the reference: the same fields,
 * file name and file bytes for bodies cut into pieces of every size — including file bytes
 * that look like the start of a boundary, at every place relative to a piece's end — and
 * the same reading of Content-Disposition. Then what busboy does not decide for us: the
 * limits (413), malformed forms (400), a form cut short, bytes after the file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import Busboy from '@fastify/busboy';
import { describe, expect, it } from 'vitest';
import { formBoundary, parseDisposition, readFormUntilFile, type FormLimits } from '../src/multipart-form.js';

const LIMITS: FormLimits = {
  parts: 40,
  fields: 32,
  fieldSize: 256 * 1024,
  headerPairs: 200,
  headerBytes: 16 * 1024,
  fileSize: 1 << 30,
};
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fileTooLarge = () => Object.assign(new Error('file too large'), { code: 'TOO_LARGE' });

function form(
  boundary: string,
  parts: Array<{ headers: string; body: Buffer | string }>,
  close = true,
): Buffer {
  const out: Buffer[] = [];
  for (const p of parts)
    out.push(
      Buffer.from(`--${boundary}\r\n${p.headers}\r\n\r\n`, 'latin1'),
      Buffer.from(p.body),
      Buffer.from('\r\n'),
    );
  if (close) out.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(out);
}

/** `body` as a stream of pieces of the given sizes (cycled). */
function pieces(body: Buffer, sizes: number[]): Readable {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < body.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(body.subarray(at, at + n));
    at += n;
  }
  return Readable.from(out, { objectMode: false });
}

async function parse(source: Readable, boundary: string, limits = LIMITS) {
  const head = await readFormUntilFile(source, boundary, limits, { lent: false, fileTooLarge });
  const chunks: Buffer[] = [];
  for await (const c of head.file.stream) chunks.push(Buffer.from(c as Buffer));
  return {
    fields: { ...head.fields },
    fileName: head.file.fileName,
    mimeType: head.file.mimeType,
    file: Buffer.concat(chunks),
  };
}

/** What busboy makes of the same body (the reference). */
function busboy(body: Buffer, boundary: string) {
  return new Promise<{ fields: Record<string, string>; fileName: string; mimeType: string; file: Buffer }>(
    (resolve, reject) => {
      const bb = new Busboy({ headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
      const fields: Record<string, string> = {};
      let file: { fileName: string; mimeType: string; chunks: Buffer[] } | undefined;
      bb.on('field', (name, value) => (fields[name] = value));
      bb.on('file', (_name, stream, fileName, _enc, mimeType) => {
        file = { fileName, mimeType, chunks: [] };
        stream.on('data', (c: Buffer) => file!.chunks.push(c));
      });
      bb.on('finish', () =>
        resolve({
          fields,
          fileName: file!.fileName,
          mimeType: file!.mimeType,
          file: Buffer.concat(file!.chunks),
        }),
      );
      bb.on('error', reject);
      bb.end(body);
    },
  );
}

describe('the upload form parser', () => {
  const boundary = '----MontuTest7f3a9c';
  // File bytes full of near-boundaries: CRs, CRLF--, the boundary without its CRLF, and the
  // delimiter cut one byte short, around random bytes.
  const tricky = Buffer.concat([
    Buffer.from(`\r\r\n\r\n-\r\n--\r\n--${boundary.slice(0, -1)}X--${boundary}\r`, 'latin1'),
    randomBytes(70_000),
    Buffer.from(`\r\n--${boundary.slice(0, 10)}\r\n`, 'latin1'),
    randomBytes(5000),
    Buffer.from('\r\n--\r', 'latin1'),
  ]);
  const body = form(boundary, [
    { headers: 'Content-Disposition: form-data; name="projectId"', body: 'SWA' },
    { headers: 'Content-Disposition: form-data; name="description"', body: 'ünïcode\r\nwith a line break' },
    { headers: 'Content-Disposition: form-data; name="empty"', body: '' },
    {
      headers:
        'Content-Disposition: form-data; name="file"; filename="plate v1.exr"\r\nContent-Type: image/x-exr',
      body: tricky,
    },
  ]);

  it.each([[[1]], [[2, 3, 5, 7]], [[64 * 1024]], [[body.length]], [[13, 4096, 1, 70_001]]])(
    'reads fields and file as busboy does, in pieces of %j bytes',
    async (sizes) => {
      const reference = await busboy(body, boundary);
      const got = await parse(pieces(body, sizes), boundary);
      expect(got.fields).toEqual(reference.fields);
      expect(got.fileName).toBe(reference.fileName);
      expect(got.mimeType).toBe(reference.mimeType);
      expect(got.file.length).toBe(tricky.length);
      expect(sha(got.file)).toBe(sha(reference.file));
    },
  );

  it('finds a delimiter cut at every offset of a piece end', async () => {
    const small = form(boundary, [
      {
        headers: 'Content-Disposition: form-data; name="file"; filename="a.bin"',
        body: Buffer.from('abc\r\ndef'),
      },
    ]);
    for (let cut = 1; cut < small.length; cut++) {
      const got = await parse(
        Readable.from([small.subarray(0, cut), small.subarray(cut)], { objectMode: false }),
        boundary,
      );
      expect(got.file.toString(), `cut at ${cut}`).toBe('abc\r\ndef');
    }
  });

  it('reads Content-Disposition as busboy does', async () => {
    const cases = [
      'form-data; name="file"; filename="C:\\\\renders\\\\shot.exr"',
      'form-data; name="file"; filename="../../etc/passwd"',
      'form-data; name="file"; filename="a \\"quoted\\" name.jpg"',
      'form-data; name="file"; filename="plain.jpg"; filename*=UTF-8\'\'%E2%82%AC%20rate.jpg',
      'form-data; name="file"; filename*=UTF-8\'\'%E2%82%AC%20rate.jpg',
      'form-data; name=file; filename=token.jpg',
      'form-data; name="file"; filename="\u00c3\u00a9t\u00c3\u00a9.png"', // UTF-8 bytes sent raw (as browsers do)
      'form-data; name="file"; filename=""',
    ];
    for (const disposition of cases) {
      const b = form(boundary, [{ headers: `Content-Disposition: ${disposition}`, body: 'x' }]);
      const reference = await busboy(b, boundary);
      expect(parseDisposition(disposition), disposition).toEqual({
        name: 'file',
        fileName: reference.fileName,
      });
    }
  });

  it('reads the boundary from the Content-Type', () => {
    expect(formBoundary('multipart/form-data; boundary=abc')).toBe('abc');
    expect(formBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b;c"')).toBe('a b;c');
    expect(formBoundary('multipart/form-data')).toBeUndefined();
    expect(formBoundary('application/json; boundary=abc')).toBeUndefined();
    expect(formBoundary(`multipart/form-data; boundary=${'x'.repeat(71)}`)).toBeUndefined();
    expect(formBoundary(undefined)).toBeUndefined();
  });

  it('reads and ignores what follows the file, to the end of the body', async () => {
    const b = Buffer.concat([
      form(
        boundary,
        [
          { headers: 'Content-Disposition: form-data; name="file"; filename="a.bin"', body: 'data' },
          { headers: 'Content-Disposition: form-data; name="late"', body: 'ignored' },
        ],
        true,
      ),
      Buffer.from('epilogue'),
    ]);
    const source = pieces(b, [7]);
    const got = await parse(source, boundary);
    expect(got.file.toString()).toBe('data');
    await new Promise((r) => setImmediate(r));
    expect(source.readableEnded).toBe(true);
  });

  const refusals: Array<[string, Buffer, RegExp, number?, Partial<FormLimits>?]> = [
    [
      'no file part',
      form(boundary, [{ headers: 'Content-Disposition: form-data; name="a"', body: '1' }]),
      /no "file" part/,
    ],
    [
      'a file part not named "file"',
      form(boundary, [{ headers: 'Content-Disposition: form-data; name="upload"; filename="a"', body: '1' }]),
      /must be named "file", not "upload"/,
    ],
    [
      'a field over the size limit',
      form(boundary, [{ headers: 'Content-Disposition: form-data; name="a"', body: 'x'.repeat(101) }]),
      /"a" is longer than 100 bytes/,
      413,
      { fieldSize: 100 },
    ],
    [
      'too many fields',
      form(
        boundary,
        ['a', 'b', 'c'].map((n) => ({ headers: `Content-Disposition: form-data; name="${n}"`, body: n })),
      ),
      /more than 2 fields/,
      413,
      { fields: 2 },
    ],
    [
      'too many parts',
      form(
        boundary,
        ['a', 'b', 'c'].map((n) => ({ headers: `Content-Disposition: form-data; name="${n}"`, body: n })),
      ),
      /more than 2 parts/,
      413,
      { parts: 2 },
    ],
    [
      'part headers over the size limit',
      form(boundary, [
        { headers: `Content-Disposition: form-data; name="a"\r\nX-Pad: ${'p'.repeat(200)}`, body: '1' },
      ]),
      /headers are longer than 100 bytes/,
      413,
      { headerBytes: 100 },
    ],
    [
      'too many header lines',
      form(boundary, [{ headers: `Content-Disposition: form-data; name="a"\r\nA: 1\r\nB: 2`, body: '1' }]),
      /more than 2 header lines/,
      413,
      { headerPairs: 2 },
    ],
    ['no boundary at all', Buffer.from('x'.repeat(300)), /No multipart boundary/, 400, { headerBytes: 100 }],
    [
      'a part without Content-Disposition',
      form(boundary, [{ headers: 'Content-Type: text/plain', body: '1' }]),
      /no Content-Disposition/,
    ],
    [
      'garbage after a boundary',
      Buffer.from(`--${boundary}XX\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--${boundary}--`),
      /not followed by a line break/,
    ],
    [
      'a form cut off in its fields',
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n12`),
      /no "file" part/,
    ],
  ];
  it.each(refusals)('refuses %s', async (_label, b, message, status = 400, limits = {}) => {
    const e = (await parse(pieces(b, [9]), boundary, { ...LIMITS, ...limits }).catch((x: unknown) => x)) as {
      message: string;
      status?: number;
      statusCode?: number;
      code?: string;
    };
    expect(e.message).toMatch(message);
    if (status === 413) expect(e).toMatchObject({ status: 413, code: 'payload_too_large' });
    else expect(e.code).toBe('validation_error');
  });

  it('fails the file stream when the form ends inside the file, or the file is over the limit', async () => {
    const cut = form(boundary, [
      { headers: 'Content-Disposition: form-data; name="file"; filename="a.bin"', body: randomBytes(5000) },
    ]).subarray(0, 3000);
    await expect(parse(pieces(cut, [1000]), boundary)).rejects.toThrow(/ended before its file did/);
    const big = form(boundary, [
      { headers: 'Content-Disposition: form-data; name="file"; filename="a.bin"', body: randomBytes(5000) },
    ]);
    const head = await readFormUntilFile(
      pieces(big, [1000]),
      boundary,
      { ...LIMITS, fileSize: 4999 },
      {
        lent: false,
        fileTooLarge,
      },
    );
    await expect(head.file.stream.toArray()).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(head.file.stream.limitError).toMatchObject({ code: 'TOO_LARGE' });
  });
});

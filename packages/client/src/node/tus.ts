/**
 * A file up by tus (docs/api.md: `POST /uploads`, `PATCH /uploads/:id`, `HEAD` to resume), the
 * whole rest of the file in each PATCH: a connection lost halfway through a multi-GB render costs
 * a reconnect, not the whole upload — the client asks the server how far it got and sends the
 * rest from there.
 */
import { randomUUID } from 'node:crypto';
import { MontuError } from '../errors.js';
import { sendFile } from './file-request.js';
import { answerJson, callWithHeaders, firstHeader, type UploadTransport } from './transport.js';

const TUS = { 'tus-resumable': '1.0.0' };
/** Connection failures in a row before giving up. */
const ATTEMPTS = 6;

export interface TusFileOptions {
  filePath: string;
  size: number;
  /** Upload-Metadata pairs (undefined and empty values left out). */
  metadata: Record<string, string | undefined>;
  /** `(bytesSent, bytesTotal)`; each byte counted once, however often a resumed PATCH resends it. */
  onProgress?: (sent: number, total: number) => void;
  /** The upload's URL as soon as it exists (keep it to resume with `resumeUrl`). */
  onUploadUrl?: (url: string) => void;
  /** Resume this earlier upload instead of starting one. */
  resumeUrl?: string;
  /** Waits between attempts (tests pass a shorter one). */
  pause?: (ms: number) => Promise<void>;
}

/** Uploads the file and returns the new media item's id. */
export async function tusUploadFile(
  t: UploadTransport,
  o: TusFileOptions,
  result: (uploadUrl: string) => Promise<string>,
): Promise<string> {
  const pause = o.pause ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let upload: string;
  let offset = 0;
  if (o.resumeUrl) {
    upload = o.resumeUrl;
    offset = await resumeOffset(t, upload, 0, pause);
  } else {
    const metadata = Object.entries(o.metadata)
      .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
      .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
      .join(',');
    const created = await callWithHeaders(t, 'POST', t.url('/uploads'), {
      ...TUS,
      'upload-length': String(o.size),
      'upload-metadata': metadata,
      // One key per upload: a creation retried after a lost answer gets the same upload back.
      'idempotency-key': randomUUID(),
    });
    const location = created.headers.get('location');
    if (!location)
      throw new MontuError(
        'invalid_response',
        created.status,
        'the server did not say where to send the upload (no Location)',
      );
    // The server's path under our base URL (which may carry a proxy's prefix).
    upload = t.baseUrl + new URL(location, t.baseUrl).pathname;
  }
  o.onUploadUrl?.(upload);

  let reported = offset;
  if (offset > 0) o.onProgress?.(offset, o.size);
  let failures = 0;
  for (;;) {
    // Everything is there (a resumed upload whose last answer was lost): ask for the outcome.
    if (offset >= o.size && o.size > 0) return result(upload);
    let sent = 0;
    const start = offset;
    try {
      const answer = await sendFile({
        url: upload,
        method: 'PATCH',
        headers: { ...t.headers('PATCH'), ...TUS, 'upload-offset': String(start) },
        filePath: o.filePath,
        contentType: 'application/offset+octet-stream',
        offset: start,
        onBytes: (n) => {
          sent += n;
          if (start + sent > reported) {
            reported = start + sent;
            o.onProgress?.(reported, o.size);
          }
        },
      });
      answerJson<unknown>(answer, `PATCH ${upload}`);
      const mediaId = firstHeader(answer.headers['montu-media-id']);
      if (mediaId) return mediaId;
      // The server stopped this PATCH before the end (it yields to a newer one): carry on.
      const now = Number(firstHeader(answer.headers['upload-offset']));
      if (!Number.isSafeInteger(now) || now <= start) failures++;
      else failures = 0;
      if (failures >= ATTEMPTS)
        throw new MontuError('upload_interrupted', 0, `the upload of ${o.filePath} makes no progress`, {
          uploadUrl: upload,
        });
      offset = Number.isSafeInteger(now) ? now : start;
    } catch (e) {
      if (!(e instanceof MontuError) || e.code !== 'connection_error' || ++failures >= ATTEMPTS) {
        if (e instanceof MontuError) e.details['uploadUrl'] = upload;
        throw e;
      }
      offset = await resumeOffset(t, upload, failures, pause);
    }
  }
}

/** Where the server's copy of the upload ends, asked again until the server answers. */
async function resumeOffset(
  t: UploadTransport,
  upload: string,
  failures: number,
  pause: (ms: number) => Promise<void>,
): Promise<number> {
  for (let attempt = failures; ; attempt++) {
    if (attempt > 0) await pause(Math.min(250 * 2 ** attempt, 5000));
    try {
      const res = await callWithHeaders(t, 'HEAD', upload, TUS);
      const offset = Number(res.headers.get('upload-offset'));
      if (!Number.isSafeInteger(offset))
        throw new MontuError('invalid_response', res.status, 'the server did not say how far the upload got');
      return offset;
    } catch (e) {
      if (!(e instanceof MontuError) || e.code !== 'connection_error' || attempt + 1 >= ATTEMPTS) throw e;
    }
  }
}

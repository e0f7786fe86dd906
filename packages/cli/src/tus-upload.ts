/**
 * Large files go up by tus (docs/api.md, `POST /uploads` + `PATCH /uploads/:id`), so a
 * connection lost halfway through a multi-GB render costs a reconnect, not the whole upload:
 * the CLI asks the server how far it got (HEAD) and sends the rest.
 */
import path from 'node:path';
import type { UploadFileInput } from './backend.js';
import { CliError } from './errors.js';
import type { HttpClient } from './http.js';

/** Files at least this large are sent by tus; smaller ones in one multipart request. */
export const TUS_MIN_BYTES = 128 << 20;
/** Connection failures in a row before giving up. */
const ATTEMPTS = 6;

const TUS = { 'tus-resumable': '1.0.0' };

/** Uploads `input.filePath` (`size` bytes) by tus and returns the new media item's id. */
export async function tusUpload(
  http: HttpClient,
  input: UploadFileInput,
  size: number,
  pause: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<string> {
  const metadata = Object.entries({
    filename: path.basename(input.filePath),
    projectId: input.projectId,
    taskId: input.taskId,
    version: input.version,
    description: input.description,
    tags: input.tags?.join(','),
  })
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
  const created = await http.send('POST', '/uploads', {
    headers: { ...TUS, 'upload-length': String(size), 'upload-metadata': metadata },
  });
  const location = created.headers.get('location');
  if (!location) throw new CliError('the server did not say where to send the upload (no Location)');
  const upload = new URL(location, http.baseUrl).pathname;

  let offset = 0;
  // Progress counts each byte once, however often a resumed PATCH sends it again.
  let reported = 0;
  let failures = 0;
  for (;;) {
    let sent = 0;
    try {
      const answer = await http.uploadWithHeaders<unknown>('PATCH', upload, {
        filePath: input.filePath,
        contentType: 'application/offset+octet-stream',
        offset,
        headers: { ...TUS, 'upload-offset': String(offset) },
        onProgress: (n) => {
          sent += n;
          const ahead = offset + sent - reported;
          if (ahead > 0) {
            reported += ahead;
            input.onProgress?.(ahead);
          }
        },
      });
      const mediaId = first(answer.headers['montu-media-id']);
      if (mediaId) return mediaId;
      // The server stopped this PATCH before the end (it yields to a newer one): carry on.
      const now = Number(first(answer.headers['upload-offset']));
      if (!Number.isSafeInteger(now) || now <= offset) failures++;
      else failures = 0;
      if (failures >= ATTEMPTS) throw new CliError(`the upload of ${input.filePath} makes no progress`);
      offset = Number.isSafeInteger(now) ? now : offset;
    } catch (e) {
      if (!(e instanceof CliError) || e.code !== 'unreachable' || ++failures >= ATTEMPTS) throw e;
      offset = await resumeOffset(http, upload, failures, pause);
    }
  }
}

/** Where the server's copy of the upload ends, asked again until the server answers. */
async function resumeOffset(
  http: HttpClient,
  upload: string,
  failures: number,
  pause: (ms: number) => Promise<void>,
): Promise<number> {
  for (let attempt = failures; ; attempt++) {
    await pause(Math.min(250 * 2 ** attempt, 5000));
    try {
      const res = await http.send('HEAD', upload, { headers: TUS });
      const offset = Number(res.headers.get('upload-offset'));
      if (!Number.isSafeInteger(offset)) throw new CliError('the server did not say how far the upload got');
      return offset;
    } catch (e) {
      if (!(e instanceof CliError) || e.code !== 'unreachable' || attempt + 1 >= ATTEMPTS) throw e;
    }
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

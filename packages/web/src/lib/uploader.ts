/**
 * Upload jobs: single files through tus (resumable: tus-js-client keeps the upload URL in
 * localStorage by fingerprint, so a retry continues where it stopped), or — when the server's
 * storage is S3 — straight to the bucket in parallel parts (decision 160; resumable the same
 * way: the upload id is kept by fingerprint and the server lists the parts already stored), and
 * image sequences through the sequence endpoints (manifest, then frames, then complete).
 */
import { Upload } from 'tus-js-client';
import { directPartRange } from '@montu/domain';
import { api, getCsrfToken } from '../api/index.js';
import { RateMeter } from './format.js';
import type { DroppedFile } from './dropfiles.js';

export interface Progress {
  sent: number;
  total: number;
  rate: number;
  eta: number | null;
}

export interface UploadTarget {
  projectId: string;
  taskId: string;
  description?: string;
}

type OnProgress = (p: Progress) => void;

function meter(total: number, onProgress: OnProgress): (sent: number) => void {
  const m = new RateMeter();
  return (sent) => {
    m.add(sent, performance.now());
    onProgress({ sent, total, rate: m.rate(), eta: m.eta(total) });
  };
}

/** Media id from the server's answer to the last tus request (header set by the Montu tus hook). */
function mediaIdFrom(headers: (name: string) => string | null | undefined): string | null {
  return headers('montu-media-id') ?? headers('x-montu-media-id') ?? null;
}

/** Files at least this large go straight to the bucket when the server offers it (one part). */
const DIRECT_MIN_BYTES = 8 << 20;
/** Parts in flight at once. */
const DIRECT_PARTS_AT_ONCE = 4;
let directOffer: Promise<boolean> | undefined;

export async function uploadFile(
  file: File,
  target: UploadTarget,
  onProgress: OnProgress,
  signal: AbortSignal,
): Promise<string | null> {
  if (file.size >= DIRECT_MIN_BYTES) {
    directOffer ??= api.directOffered().catch(() => false);
    if (await directOffer) return uploadDirect(file, target, onProgress, signal);
  }
  return uploadTus(file, target, onProgress, signal);
}

/** The key a direct upload's id is kept under, so a retry of the same file resumes it. */
function directKey(file: File, target: UploadTarget): string {
  return `montu-direct:${target.projectId}:${target.taskId}:${file.name}:${file.size}:${file.lastModified}`;
}

async function uploadDirect(
  file: File,
  target: UploadTarget,
  onProgress: OnProgress,
  signal: AbortSignal,
): Promise<string | null> {
  const report = meter(file.size, onProgress);
  const key = directKey(file, target);
  const kept = localStorage.getItem(key);
  let up = kept ? await api.direct(kept).catch(() => null) : null;
  if (!up || up.state !== 'uploading' || up.size !== file.size) {
    up = await api.startDirect({
      fileName: file.name,
      size: file.size,
      projectId: target.projectId,
      taskId: target.taskId,
      ...(target.description ? { description: target.description } : {}),
      ...(file.type ? { contentType: file.type } : {}),
    });
    localStorage.setItem(key, up.uploadId);
  }
  const uploadId = up.uploadId;
  const stored = new Set(up.parts.map((p) => p.partNumber));
  const pending: number[] = [];
  for (let n = 1; n <= up.partCount; n++) if (!stored.has(n)) pending.push(n);
  // Bytes of finished parts, plus what each part in flight has sent so far.
  let finished = [...stored].reduce((sum, n) => {
    const r = directPartRange(file.size, n);
    return sum + r.end - r.start;
  }, 0);
  const inFlight = new Map<number, number>();
  const tell = () => report(finished + [...inFlight.values()].reduce((a, b) => a + b, 0));
  tell();

  const queue = [...pending];
  const worker = async (): Promise<void> => {
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
      if (signal.aborted) throw new DOMException('Upload paused', 'AbortError');
      const { start, end } = directPartRange(file.size, n);
      const part = n;
      let etag: string | undefined;
      for (let attempt = 0; attempt < 3 && !etag; attempt++) {
        const [signed] = await api.directUrls(uploadId, [part]);
        etag = await putPart(signed!.url, file.slice(start, end), signal, (sent) => {
          inFlight.set(part, sent);
          tell();
        }).catch((e: unknown) => {
          if (signal.aborted || attempt === 2) throw e;
          return undefined;
        });
      }
      inFlight.delete(part);
      await api.recordDirectPart(uploadId, part, etag!);
      finished += end - start;
      tell();
    }
  };
  await Promise.all(Array.from({ length: DIRECT_PARTS_AT_ONCE }, worker));
  const media = await api.completeDirect(uploadId);
  localStorage.removeItem(key);
  return media.id;
}

/** PUTs one part to its presigned URL (XHR: fetch reports no upload progress); the ETag answered. */
function putPart(
  url: string,
  body: Blob,
  signal: AbortSignal,
  onSent: (bytes: number) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.upload.onprogress = (e) => onSent(e.loaded);
    xhr.onload = () => {
      const etag = xhr.getResponseHeader('etag');
      if (xhr.status >= 200 && xhr.status < 300 && etag) resolve(etag);
      else
        reject(
          new Error(
            etag || xhr.status >= 300
              ? `the object store refused a part (HTTP ${xhr.status})`
              : 'the object store did not expose the part’s ETag (its CORS rule needs ExposeHeader ETag)',
          ),
        );
    };
    xhr.onerror = () => reject(new Error('the object store could not be reached (network or CORS)'));
    signal.addEventListener('abort', () => {
      xhr.abort();
      reject(new DOMException('Upload paused', 'AbortError'));
    });
    xhr.send(body);
  });
}

function uploadTus(
  file: File,
  target: UploadTarget,
  onProgress: OnProgress,
  signal: AbortSignal,
): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const report = meter(file.size, onProgress);
    let mediaId: string | null = null;
    const csrf = getCsrfToken();
    const upload = new Upload(file, {
      endpoint: api.uploadsUrl,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      chunkSize: 16 * 1024 * 1024,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      headers: csrf ? { 'x-csrf-token': csrf } : {},
      metadata: {
        filename: file.name,
        filetype: file.type || 'application/octet-stream',
        projectId: target.projectId,
        taskId: target.taskId,
        ...(target.description ? { description: target.description } : {}),
      },
      onProgress: (sent) => report(sent),
      onAfterResponse: (_req, res) => {
        mediaId = mediaIdFrom((n) => res.getHeader(n)) ?? mediaId;
        const body = res.getBody();
        if (!mediaId && body && body.startsWith('{')) {
          try {
            const parsed = JSON.parse(body) as { id?: string; mediaId?: string };
            mediaId = parsed.mediaId ?? parsed.id ?? null;
          } catch {
            // not JSON
          }
        }
      },
      onError: (err) => reject(new Error(tusReason(err))),
      onSuccess: () => resolve(mediaId),
    });
    signal.addEventListener('abort', () => {
      void upload.abort();
      reject(new DOMException('Upload paused', 'AbortError'));
    });
    upload.findPreviousUploads().then((prev) => {
      if (prev[0]) upload.resumeFromPreviousUpload(prev[0]);
      upload.start();
    }, reject);
  });
}

function tusReason(err: Error): string {
  const res = (err as { originalResponse?: { getBody(): string; getStatus(): number } }).originalResponse;
  if (res) {
    try {
      const p = JSON.parse(res.getBody()) as { detail?: string; title?: string };
      return p.detail ?? p.title ?? `HTTP ${res.getStatus()}`;
    } catch {
      return `HTTP ${res.getStatus()}: ${res.getBody().slice(0, 200)}`;
    }
  }
  return err.message;
}

export async function uploadSequence(
  frames: Array<{ frame: number; file: DroppedFile }>,
  target: UploadTarget,
  fps: string | undefined,
  onProgress: OnProgress,
  signal: AbortSignal,
): Promise<string | null> {
  const total = frames.reduce((s, f) => s + f.file.file.size, 0);
  const report = meter(total, onProgress);
  const started = await api.startSequence({
    projectId: target.projectId,
    taskId: target.taskId,
    ...(fps ? { fps } : {}),
    frames: frames.map((f) => ({ frame: f.frame, fileName: f.file.file.name, size: f.file.file.size })),
  });
  const uploadId = started.uploadId;
  let done = 0;
  // Two frames in flight keeps the pipe busy without flooding the server.
  const queue = [...frames];
  const worker = async (): Promise<void> => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      if (signal.aborted) throw new DOMException('Upload paused', 'AbortError');
      const res = await fetch(
        `${api.uploadsUrl}/sequences/${encodeURIComponent(uploadId)}/frames/${f.frame}`,
        {
          method: 'PUT',
          body: f.file.file,
          headers: {
            'content-type': 'application/octet-stream',
            ...(getCsrfToken() ? { 'x-csrf-token': getCsrfToken()! } : {}),
          },
          credentials: 'same-origin',
          signal,
        },
      );
      if (!res.ok) {
        const p = (await res.json().catch(() => ({}))) as { detail?: string };
        throw new Error(`frame ${f.frame}: ${p.detail ?? res.statusText}`);
      }
      done += f.file.file.size;
      report(done);
    }
  };
  await Promise.all([worker(), worker()]);
  const media = await api.completeSequence(uploadId);
  return media.id;
}

/**
 * Upload jobs: single files through tus (resumable: tus-js-client keeps the upload URL in
 * localStorage by fingerprint, so a retry continues where it stopped) and image sequences
 * through the sequence endpoints (manifest, then frames, then complete).
 */
import { Upload } from 'tus-js-client';
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

export function uploadFile(
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

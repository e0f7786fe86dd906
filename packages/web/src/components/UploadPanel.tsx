import { useCallback, useEffect, useRef, useState } from 'react';
import type { Media, Task } from '../api/index.js';
import { api } from '../api/index.js';
import { filesFromInput, type DroppedFile } from '../lib/dropfiles.js';
import { formatBytes, formatDuration, formatRate } from '../lib/format.js';
import { groupSequences, missingFrames, type UploadItem } from '../lib/sequences.js';
import { uploadFile, uploadSequence, type Progress } from '../lib/uploader.js';
import { useEvents } from '../lib/events.js';

type Row = {
  key: string;
  label: string;
  item: UploadItem<DroppedFile & { name: string; size: number }>;
  state: 'queued' | 'uploading' | 'processing' | 'ready' | 'failed' | 'paused';
  progress: Progress | null;
  processing: number | null;
  mediaId: string | null;
  error: string | null;
  warning: string | null;
};

interface Props {
  projectId: string;
  tasks: Task[];
  taskId: string;
  dropped: Promise<DroppedFile[]> | null;
  onTaskChange: (t: string) => void;
  onClose: () => void;
  onUploaded: (m: Media | null) => void;
}

export function UploadPanel({ projectId, tasks, taskId, dropped, onTaskChange, onClose, onUploaded }: Props) {
  const [rows, setRows] = useState<Row[]>([]);
  const [fps, setFps] = useState('24');
  const controllers = useRef(new Map<string, AbortController>());
  const rowsRef = useRef(rows);
  rowsRef.current = rows;

  const patch = useCallback(
    (key: string, p: Partial<Row>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...p } : r))),
    [],
  );

  const add = useCallback((files: DroppedFile[]) => {
    const named = files.map((f) => ({ ...f, name: f.file.name, size: f.file.size }));
    const items = groupSequences(named);
    setRows((rs) => [
      ...rs,
      ...items.map((item, i): Row => {
        const label =
          item.kind === 'file' ? item.file.path : `${item.pattern} (${item.frames.length} frames)`;
        const missing = item.kind === 'sequence' ? missingFrames(item.frames.map((f) => f.frame)) : [];
        return {
          key: `${Date.now()}-${i}-${label}`,
          label,
          item,
          state: 'queued',
          progress: null,
          processing: null,
          mediaId: null,
          error: null,
          warning: missing.length
            ? `${missing.length} missing frame(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''}`
            : null,
        };
      }),
    ]);
  }, []);

  useEffect(() => {
    if (dropped) void dropped.then(add);
  }, [dropped, add]);

  useEvents(
    useCallback(
      (ev) => {
        if (!ev.mediaId) return;
        const row = rowsRef.current.find((r) => r.mediaId === ev.mediaId);
        if (!row) return;
        if (typeof ev.progress === 'number') patch(row.key, { processing: ev.progress });
        const state =
          ev.type === 'processing.finished' || ev.type === 'processing.failed' || ev.type === 'job.failed'
            ? ev.state
            : undefined;
        if (state === 'failed') patch(row.key, { state: 'failed', error: ev.error ?? 'processing failed' });
        else if (state === 'ready' || state === 'completed') {
          patch(row.key, { state: 'ready', processing: 1 });
          onUploaded(null);
        }
      },
      [patch, onUploaded],
    ),
  );

  async function start(row: Row) {
    if (!taskId.trim()) {
      patch(row.key, { error: 'Choose or type a task first.' });
      return;
    }
    const ctrl = new AbortController();
    controllers.current.set(row.key, ctrl);
    patch(row.key, { state: 'uploading', error: null });
    const target = { projectId, taskId: taskId.trim() };
    const onProgress = (p: Progress) => patch(row.key, { progress: p });
    try {
      const id =
        row.item.kind === 'file'
          ? await uploadFile(row.item.file.file, target, onProgress, ctrl.signal)
          : await uploadSequence(row.item.frames, target, fps, onProgress, ctrl.signal);
      patch(row.key, { state: 'processing', mediaId: id });
      onUploaded(null);
      if (id) void poll(row.key, id);
    } catch (e) {
      const err = e as Error;
      patch(
        row.key,
        err.name === 'AbortError' ? { state: 'paused' } : { state: 'failed', error: err.message },
      );
    }
  }

  // The event stream drives progress; a slow poll makes sure the row settles even without it.
  async function poll(key: string, id: string) {
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      const row = rowsRef.current.find((r) => r.key === key);
      if (!row || row.state === 'ready' || row.state === 'failed') return;
      try {
        const m = await api.media(id);
        if (m.processingState === 'ready') {
          patch(key, { state: 'ready', processing: 1 });
          onUploaded(m);
          return;
        }
        if (m.processingState === 'failed') {
          patch(key, { state: 'failed', error: m.processingError ?? 'processing failed' });
          return;
        }
      } catch {
        // keep polling
      }
    }
  }

  const startAll = () =>
    rows
      .filter((r) => r.state === 'queued' || r.state === 'paused' || r.state === 'failed')
      .forEach((r) => void start(r));

  return (
    <section className="upload-panel card" aria-label="Upload">
      <div className="upload-head">
        <h2>Upload</h2>
        <label>
          Task
          <input
            list="task-list"
            value={taskId}
            onChange={(e) => onTaskChange(e.target.value)}
            placeholder="ep01_sq010_sh020_lighting"
            aria-describedby="task-help"
            required
          />
          <datalist id="task-list">
            {tasks.map((t) => (
              <option key={t.id} value={t.id} />
            ))}
          </datalist>
        </label>
        <label>
          Sequence fps
          <input
            value={fps}
            onChange={(e) => setFps(e.target.value)}
            size={8}
            aria-label="Frame rate for image sequences"
          />
        </label>
        <label className="file-btn">
          Add files…
          <input type="file" multiple onChange={(e) => add(filesFromInput(e.target.files))} />
        </label>
        <label className="file-btn">
          Add folder…
          <input
            type="file"
            multiple
            {...{ webkitdirectory: '' }}
            onChange={(e) => add(filesFromInput(e.target.files))}
          />
        </label>
        <button
          type="button"
          className="primary"
          onClick={startAll}
          disabled={
            !rows.some((r) => r.state !== 'ready' && r.state !== 'uploading' && r.state !== 'processing')
          }
        >
          Start upload
        </button>
        <button type="button" onClick={onClose} aria-label="Close upload panel">
          Close
        </button>
      </div>
      <p id="task-help" className="muted">
        Drop files, folders or numbered frames (shot.1001.exr…) here or onto a task. Frames of one sequence
        upload as one version.
      </p>
      <ul className="upload-list" aria-live="polite">
        {rows.map((r) => (
          <li key={r.key} className={`upload-row up-${r.state}`} data-state={r.state}>
            <span className="name" title={r.label}>
              {r.label}
            </span>
            <span className="size muted">
              {formatBytes(r.item.kind === 'file' ? r.item.file.size : r.item.size)}
            </span>
            <progress
              max={1}
              value={
                r.state === 'processing' || r.state === 'ready'
                  ? (r.processing ?? (r.state === 'ready' ? 1 : undefined))
                  : r.progress
                    ? r.progress.sent / Math.max(1, r.progress.total)
                    : 0
              }
              aria-label={`${r.label} ${r.state}`}
            />
            <span className="stat">
              {r.state === 'uploading' && r.progress
                ? `${Math.round((100 * r.progress.sent) / Math.max(1, r.progress.total))}% · ${formatRate(r.progress.rate)} · ${formatDuration(r.progress.eta)} left`
                : r.state}
            </span>
            {r.state === 'uploading' && (
              <button type="button" onClick={() => controllers.current.get(r.key)?.abort()}>
                Pause
              </button>
            )}
            {(r.state === 'paused' || r.state === 'failed') && r.item && (
              <button type="button" onClick={() => void start(r)}>
                {r.state === 'paused' ? 'Resume' : 'Retry'}
              </button>
            )}
            {r.error && (
              <span className="error" role="alert">
                {r.error}
              </span>
            )}
            {r.warning && <span className="warning">{r.warning}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

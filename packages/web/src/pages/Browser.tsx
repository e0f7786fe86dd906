import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, type Media, type MediaQuery, type Task } from '../api/index.js';
import { buildRows, stackVersions, taskMap } from '../lib/grouping.js';
import { Filters } from '../components/Filters.js';
import { useBrowserFilters } from '../routes.js';
import { CARD_W, MediaGrid } from '../components/MediaGrid.js';
import { UploadPanel } from '../components/UploadPanel.js';
import { useEvents } from '../lib/events.js';
import { filesFromDrop, type DroppedFile } from '../lib/dropfiles.js';

const PAGE = 200;

export function Browser({ projectId }: { projectId: string }) {
  // Search and filters live in the address (a reload or a pasted link keeps them).
  const [filters, setFilters] = useBrowserFilters();
  const [view, setView] = useState<'grid' | 'list'>(() =>
    localStorage.getItem('montu.view') === 'list' ? 'list' : 'grid',
  );
  const [stacked, setStacked] = useState(true);
  const [items, setItems] = useState<Media[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tasks, setTasks] = useState<Task[]>([]);
  const [uploadTask, setUploadTask] = useState<string | null>(null);
  const [uploadFiles, setUploadFiles] = useState<Promise<DroppedFile[]> | null>(null);
  const [width, setWidth] = useState(1200);
  const abortRef = useRef<AbortController | null>(null);

  useEffect(() => localStorage.setItem('montu.view', view), [view]);
  useEffect(() => {
    api.tasks(projectId).then(setTasks, () => setTasks([]));
  }, [projectId]);

  const query = useMemo<MediaQuery>(
    () => ({
      projectId,
      query: filters.query,
      status: filters.status as MediaQuery['status'],
      mediaType: filters.mediaType as MediaQuery['mediaType'],
      author: filters.author,
      tags: filters.tags,
      dateFrom: filters.dateFrom,
      dateTo: filters.dateTo,
    }),
    [projectId, filters],
  );

  const fetchPage = useCallback(
    async (from: string | null) => {
      abortRef.current?.abort();
      const ctrl = new AbortController();
      abortRef.current = ctrl;
      setLoading(true);
      try {
        const page = await api.searchMedia({ ...query, limit: PAGE, cursor: from }, ctrl.signal);
        setItems((prev) => (from ? [...prev, ...page.items] : page.items));
        setCursor(page.nextCursor);
        setError(null);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') setError((e as Error).message);
      } finally {
        if (abortRef.current === ctrl) setLoading(false);
      }
    },
    [query],
  );

  // Search as you type: debounce, newest request wins (the previous one is aborted).
  useEffect(() => {
    const t = setTimeout(() => void fetchPage(null), filters.query ? 150 : 0);
    return () => clearTimeout(t);
  }, [fetchPage, filters.query]);

  // Live: refresh items whose processing or status changed.
  useEvents(
    useCallback(
      (ev) => {
        if (!ev.mediaId || (ev.projectId && ev.projectId !== projectId) || ev.type === 'job.progress') return;
        const id = ev.mediaId;
        api.media(id).then(
          (m) =>
            setItems((prev) => {
              const i = prev.findIndex((p) => p.id === id);
              if (i >= 0) return prev.map((p) => (p.id === id ? m : p));
              return m.projectId === projectId ? [m, ...prev] : prev;
            }),
          () => undefined,
        );
      },
      [projectId],
    ),
  );

  const columns = view === 'grid' ? Math.max(1, Math.floor((width - 16) / CARD_W)) : 1;
  const shown = useMemo(() => stackVersions(items, stacked), [items, stacked]);
  const tmap = useMemo(() => taskMap(tasks), [tasks]);
  const rows = useMemo(() => buildRows(shown, tmap, columns), [shown, tmap, columns]);

  const onNearEnd = useCallback(() => {
    if (cursor && !loading) void fetchPage(cursor);
  }, [cursor, loading, fetchPage]);

  const onDrop = useCallback((e: React.DragEvent, taskId: string | null) => {
    e.preventDefault();
    e.stopPropagation();
    const files = filesFromDrop(e.dataTransfer);
    setUploadTask((cur) => taskId ?? cur ?? '');
    setUploadFiles(files);
  }, []);

  return (
    <section
      className="browser"
      aria-label="Media browser"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => onDrop(e, null)}
    >
      <div className="toolbar">
        <Filters value={filters} onChange={setFilters} />
        <div className="toolbar-group" role="group" aria-label="View">
          <button type="button" aria-pressed={view === 'grid'} onClick={() => setView('grid')}>
            Grid
          </button>
          <button type="button" aria-pressed={view === 'list'} onClick={() => setView('list')}>
            List
          </button>
          <label className="check">
            <input type="checkbox" checked={stacked} onChange={(e) => setStacked(e.target.checked)} /> Stack
            versions
          </label>
          <button type="button" className="primary" onClick={() => setUploadTask(uploadTask ?? '')}>
            Upload…
          </button>
        </div>
      </div>
      {uploadTask !== null && (
        <UploadPanel
          projectId={projectId}
          tasks={tasks}
          taskId={uploadTask}
          dropped={uploadFiles}
          onTaskChange={setUploadTask}
          onClose={() => {
            setUploadTask(null);
            setUploadFiles(null);
          }}
          onUploaded={() => void fetchPage(null)}
        />
      )}
      <p className="muted count" aria-live="polite">
        {error ? (
          <span className="error">{error}</span>
        ) : (
          `${shown.length}${cursor ? '+' : ''} ${stacked ? 'tasks' : 'versions'}${loading ? ' · loading…' : ''}`
        )}
      </p>
      <MediaGrid
        rows={rows}
        view={view}
        columns={columns}
        onDropTo={onDrop}
        onNearEnd={onNearEnd}
        onWidth={setWidth}
        showEmpty={!loading && !error}
      />
    </section>
  );
}

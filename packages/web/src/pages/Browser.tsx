import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { api, type Media, type MediaQuery, type Task } from '../api/index.js';
import { buildRows, latestPerTask, taskMap } from '../lib/grouping.js';
import { Filters, type FilterState } from '../components/Filters.js';
import { MediaCard, MediaRow } from '../components/MediaCard.js';
import { UploadPanel } from '../components/UploadPanel.js';
import { useEvents } from '../lib/events.js';
import { filesFromDrop, type DroppedFile } from '../lib/dropfiles.js';

const PAGE = 200;
const CARD_W = 232;
const CARD_H = 216;
const LIST_H = 56;
const HEADER_H = 34;

export function Browser({ projectId }: { projectId: string }) {
  const [filters, setFilters] = useState<FilterState>({ query: '', status: '', mediaType: '', author: '', tags: '', dateFrom: '', dateTo: '' });
  const [view, setView] = useState<'grid' | 'list'>(() => (localStorage.getItem('montu.view') === 'list' ? 'list' : 'grid'));
  const [latestOnly, setLatestOnly] = useState(true);
  const [items, setItems] = useState<Media[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tasks, setTasks] = useState<Task[]>([]);
  const [uploadTask, setUploadTask] = useState<string | null>(null);
  const [uploadFiles, setUploadFiles] = useState<Promise<DroppedFile[]> | null>(null);
  const [width, setWidth] = useState(1200);
  const scrollRef = useRef<HTMLDivElement>(null);
  const abortRef = useRef<AbortController | null>(null);

  useEffect(() => localStorage.setItem('montu.view', view), [view]);
  useEffect(() => {
    api.tasks(projectId).then(setTasks, () => setTasks([]));
  }, [projectId]);

  const query = useMemo<MediaQuery>(
    () => ({ projectId, query: filters.query, status: filters.status as MediaQuery['status'], mediaType: filters.mediaType as MediaQuery['mediaType'], author: filters.author, tags: filters.tags, dateFrom: filters.dateFrom, dateTo: filters.dateTo }),
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

  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);

  const columns = view === 'grid' ? Math.max(1, Math.floor((width - 16) / CARD_W)) : 1;
  const shown = useMemo(() => (latestOnly ? latestPerTask(items) : items), [items, latestOnly]);
  const tmap = useMemo(() => taskMap(tasks), [tasks]);
  const rows = useMemo(() => buildRows(shown, tmap, columns), [shown, tmap, columns]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => (rows[i]?.kind === 'header' ? HEADER_H : view === 'grid' ? CARD_H : LIST_H),
    overscan: 6,
    getItemKey: (i) => rows[i]?.key ?? i,
  });
  useEffect(() => virtualizer.measure(), [view, columns, virtualizer]);

  const virtualItems = virtualizer.getVirtualItems();
  const last = virtualItems[virtualItems.length - 1];
  useEffect(() => {
    if (last && last.index >= rows.length - 8 && cursor && !loading) void fetchPage(cursor);
  }, [last, rows.length, cursor, loading, fetchPage]);

  const onDrop = useCallback((e: React.DragEvent, taskId: string | null) => {
    e.preventDefault();
    e.stopPropagation();
    const files = filesFromDrop(e.dataTransfer);
    setUploadTask((cur) => taskId ?? cur ?? '');
    setUploadFiles(files);
  }, []);

  return (
    <section className="browser" aria-label="Media browser" onDragOver={(e) => e.preventDefault()} onDrop={(e) => onDrop(e, null)}>
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
            <input type="checkbox" checked={latestOnly} onChange={(e) => setLatestOnly(e.target.checked)} /> Latest versions only
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
        {error ? <span className="error">{error}</span> : `${shown.length}${cursor ? '+' : ''} ${latestOnly ? 'tasks' : 'versions'}${loading ? ' · loading…' : ''}`}
      </p>
      <div ref={scrollRef} className="browser-scroll" data-testid="browser-scroll" tabIndex={-1}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }} role={view === 'list' ? 'table' : 'list'} aria-label="Media">
          {virtualItems.map((vi) => {
            const row = rows[vi.index]!;
            return (
              <div
                key={vi.key}
                className={row.kind === 'header' ? 'group-header' : view === 'grid' ? 'grid-row' : 'list-row-wrap'}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: vi.size, transform: `translateY(${vi.start}px)` }}
                role={row.kind === 'header' ? 'heading' : undefined}
                aria-level={row.kind === 'header' ? 2 : undefined}
              >
                {row.kind === 'header' ? (
                  <>
                    {row.label} <span className="muted">({row.count})</span>
                  </>
                ) : (
                  row.items.map((m) =>
                    view === 'grid' ? (
                      <MediaCard key={m.id} media={m} onDropTo={onDrop} />
                    ) : (
                      <MediaRow key={m.id} media={m} onDropTo={onDrop} />
                    ),
                  )
                )}
              </div>
            );
          })}
        </div>
        {!loading && rows.length === 0 && !error && <p className="empty">No media yet. Drop files here or use Upload… to add versions to a task.</p>}
      </div>
    </section>
  );
}

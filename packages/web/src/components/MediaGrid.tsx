import { memo, useCallback, useEffect, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Row } from '../lib/grouping.js';
import { trackScrollSpeed } from '../lib/scrollSpeed.js';
import { MediaCard, MediaRow } from './MediaCard.js';

export const CARD_W = 232;
const CARD_H = 240;
const LIST_H = 56;
const HEADER_H = 34;

type DropTo = (e: React.DragEvent, taskId: string) => void;

interface Props {
  rows: Row[];
  view: 'grid' | 'list';
  /** Cards per grid row: the cards stretch to share the row's width. */
  columns: number;
  onDropTo: DropTo;
  /** Called when the last rendered row is near the end (load the next page). */
  onNearEnd: () => void;
  /** The scroll area's width, to compute the number of grid columns. */
  onWidth: (width: number) => void;
  /** Show the "no media yet" hint when there are no rows. */
  showEmpty: boolean;
}

/**
 * The virtualised grid/list. It lives apart from the browser page so a scroll re-renders only this
 * component, rows are memoised (a scroll renders only the rows that came into range), and the
 * virtualiser's callbacks are stable (an inline `getItemKey` made it rebuild all ~1,400 row
 * measurements on every render).
 */
export const MediaGrid = memo(function MediaGrid({
  rows,
  view,
  columns,
  onDropTo,
  onNearEnd,
  onWidth,
  showEmpty,
}: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => onWidth(el.clientWidth));
    ro.observe(el);
    onWidth(el.clientWidth);
    const untrack = trackScrollSpeed(el);
    return () => {
      ro.disconnect();
      untrack();
    };
  }, [onWidth]);

  const estimateSize = useCallback(
    (i: number) => (rows[i]?.kind === 'header' ? HEADER_H : view === 'grid' ? CARD_H : LIST_H),
    [rows, view],
  );
  const getItemKey = useCallback((i: number) => rows[i]?.key ?? i, [rows]);
  const getScrollElement = useCallback(() => scrollRef.current, []);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement,
    estimateSize,
    getItemKey,
    overscan: 2,
  });
  useEffect(() => virtualizer.measure(), [view, estimateSize, virtualizer]);

  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? -1;
  const nearEnd = useRef(onNearEnd);
  nearEnd.current = onNearEnd;
  useEffect(() => {
    if (lastIndex >= rows.length - 8) nearEnd.current();
  }, [lastIndex, rows.length]);

  return (
    <div ref={scrollRef} className="browser-scroll" data-testid="browser-scroll" tabIndex={-1}>
      <div
        style={{ height: virtualizer.getTotalSize(), position: 'relative' }}
        role={view === 'list' ? 'table' : 'list'}
        aria-label="Media"
      >
        {items.map((vi) => (
          <VirtualRow
            key={vi.key}
            row={rows[vi.index]!}
            start={vi.start}
            size={vi.size}
            view={view}
            columns={columns}
            onDropTo={onDropTo}
          />
        ))}
      </div>
      {rows.length === 0 && showEmpty && (
        <p className="empty">No media yet. Drop files here or use Upload… to add versions to a task.</p>
      )}
    </div>
  );
});

const VirtualRow = memo(function VirtualRow({
  row,
  start,
  size,
  view,
  columns,
  onDropTo,
}: {
  row: Row;
  start: number;
  size: number;
  view: 'grid' | 'list';
  columns: number;
  onDropTo: DropTo;
}) {
  const style = { height: size, transform: `translateY(${start}px)` };
  if (row.kind === 'header') {
    return (
      <div className="vrow group-header" style={style} role="heading" aria-level={2}>
        {row.label} <span className="muted">({row.count})</span>
      </div>
    );
  }
  return (
    <div
      className={view === 'grid' ? 'vrow grid-row' : 'vrow list-row-wrap'}
      style={
        view === 'grid' ? { ...style, gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` } : style
      }
    >
      {row.items.map((m) =>
        view === 'grid' ? (
          <MediaCard key={m.key} stack={m} onDropTo={onDropTo} />
        ) : (
          <MediaRow key={m.key} stack={m} onDropTo={onDropTo} />
        ),
      )}
    </div>
  );
});

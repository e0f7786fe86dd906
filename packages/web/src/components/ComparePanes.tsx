/**
 * Two pictures in a compare layout (the domain's COMPARE_LAYOUTS): side by side, or stacked with B
 * over A — wipe (B right of a divider), overlay (B at an opacity), difference (|A − B|) or A/B
 * toggle. The compare page and a live session's compare both draw through it. Both panes (and
 * their <video>s) stay mounted across layouts, so a layout switch never reloads a video or loses
 * the frame.
 */
import type { CSSProperties, ReactNode } from 'react';
import type { CompareLayout } from '@montu/domain';
import type { Viewport } from '../lib/drawing.js';
import { roundFraction } from '../lib/search-params.js';

export const COMPARE_LAYOUT_LABEL: Record<CompareLayout, string> = {
  side: 'Side by side',
  wipe: 'Wipe',
  overlay: 'Overlay',
  difference: 'Difference',
  toggle: 'A/B toggle',
};

/** Side by side shows two pictures; every other layout stacks B exactly over A. */
export function isStacked(layout: CompareLayout): boolean {
  return layout !== 'side';
}

/** Stacked, B lies exactly over A: it takes A's container, zoom and pan (its own picture size stays). */
export function paneBViewport(layout: CompareLayout, a: Viewport, b: Viewport): Viewport {
  if (!isStacked(layout)) return b;
  return {
    ...b,
    containerWidth: a.containerWidth,
    containerHeight: a.containerHeight,
    zoom: a.zoom,
    panX: a.panX,
    panY: a.panY,
  };
}

/** Pane B's picture per layout (its label, outside the picture, stays readable). */
function pictureBStyle(layout: CompareLayout, wipe: number, opacity: number): CSSProperties {
  switch (layout) {
    case 'wipe':
      return { clipPath: `inset(0 0 0 ${wipe * 100}%)` };
    case 'overlay':
      return { opacity };
    case 'difference':
      return { mixBlendMode: 'difference' };
    default:
      return {};
  }
}

export interface ComparePanesProps {
  layout: CompareLayout;
  wipe: number;
  opacity: number;
  /** The A/B toggle shows B when true, else A. */
  showB: boolean;
  /** Pane A: its label and picture. */
  a: ReactNode;
  /** Pane B's label (outside the layout's look) and picture; without a picture, A alone. */
  bLabel?: ReactNode;
  b?: ReactNode;
  /** Moves the wipe divider; without it the divider is a line that cannot be dragged (a session follower's). */
  onWipe?: (wipe: number) => void;
  /** data-* attributes for the container (tests and styles read the state there). */
  data?: Record<`data-${string}`, string | number | boolean>;
}

export function ComparePanes(p: ComparePanesProps) {
  const stacked = isStacked(p.layout);
  // A alone keeps pane A where it is: adding B later must not remount A's picture (a new <video>
  // starts at frame 0).
  const single = p.b === undefined;
  return (
    <div
      className={`compare-view ${single ? 'single' : stacked ? 'stacked' : 'side'}`}
      data-layout={single ? 'single' : p.layout}
      {...p.data}
    >
      <div className="compare-pane" data-side="a">
        {p.a}
      </div>
      {!single && (
        <div
          className="compare-pane"
          data-side="b"
          style={p.layout === 'toggle' ? { visibility: p.showB ? 'visible' : 'hidden' } : undefined}
        >
          {p.bLabel}
          <div className="compare-picture" style={pictureBStyle(p.layout, p.wipe, p.opacity)}>
            {p.b}
          </div>
        </div>
      )}
      {!single &&
        p.layout === 'wipe' &&
        (p.onWipe ? (
          <WipeHandle value={p.wipe} onChange={p.onWipe} />
        ) : (
          // Where the divider is, for those who cannot move it.
          <div className="wipe-handle wipe-line" style={{ left: `${p.wipe * 100}%` }} aria-hidden="true" />
        ))}
    </div>
  );
}

function WipeHandle({ value, onChange }: { value: number; onChange: (v: number) => void }) {
  const move = (e: React.PointerEvent<HTMLDivElement>) => {
    const r = (e.currentTarget.parentElement as HTMLElement).getBoundingClientRect();
    onChange(roundFraction((e.clientX - r.left) / r.width));
  };
  return (
    <div
      className="wipe-handle"
      role="slider"
      tabIndex={0}
      aria-label="Wipe position"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(value * 100)}
      data-testid="wipe-handle"
      style={{ left: `${value * 100}%` }}
      onPointerDown={(e) => {
        e.stopPropagation();
        e.currentTarget.setPointerCapture(e.pointerId);
      }}
      onPointerMove={(e) => e.buttons === 1 && move(e)}
      onKeyDown={(e) => {
        if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
          e.preventDefault();
          e.stopPropagation();
          onChange(roundFraction(value + (e.key === 'ArrowLeft' ? -0.05 : 0.05)));
        }
      }}
    />
  );
}

/** The overlay layout's opacity of B (0–1, two decimals), for the compare page and a session. */
export function OpacityControl({ value, onChange }: { value: number; onChange: (v: number) => void }) {
  return (
    <label>
      Opacity{' '}
      <input
        type="range"
        aria-label="B opacity"
        min={0}
        max={1}
        step={0.01}
        value={value}
        onChange={(e) => onChange(roundFraction(Number(e.target.value)))}
      />
    </label>
  );
}

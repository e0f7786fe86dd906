/**
 * The picture area: an image or a video positioned by the viewport (fit, zoom, pan), channel
 * isolation through SVG colour-matrix filters, and the drawing canvas on top.
 */
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import type { ViewChannel } from '@montu/domain';
import { imageRect, zoomAt, type Viewport } from '../lib/drawing.js';

/** rgb, or one channel (or the luminance) in grey. */
export type Channel = ViewChannel;

const MATRIX: Record<Exclude<Channel, 'rgb'>, string> = {
  r: '1 0 0 0 0  1 0 0 0 0  1 0 0 0 0  0 0 0 0 1',
  g: '0 1 0 0 0  0 1 0 0 0  0 1 0 0 0  0 0 0 0 1',
  b: '0 0 1 0 0  0 0 1 0 0  0 0 1 0 0  0 0 0 0 1',
  a: '0 0 0 1 0  0 0 0 1 0  0 0 0 1 0  0 0 0 0 1',
  // Rec. 709 weights on the display image's (encoded) values: an approximation of the float path's
  // luminance, which weighs the linear values.
  luminance: '0.2126 0.7152 0.0722 0 0  0.2126 0.7152 0.0722 0 0  0.2126 0.7152 0.0722 0 0  0 0 0 0 1',
};

/** Filters referenced by `filter: url(#montu-ch-r)`; rendered once per page. */
export function ChannelFilters() {
  return (
    <svg width="0" height="0" style={{ position: 'absolute' }} aria-hidden="true" focusable="false">
      {Object.entries(MATRIX).map(([k, m]) => (
        <filter key={k} id={`montu-ch-${k}`} colorInterpolationFilters="sRGB">
          <feColorMatrix type="matrix" values={m} />
        </filter>
      ))}
    </svg>
  );
}

export interface StageProps {
  viewport: Viewport;
  onViewport: (v: Viewport) => void;
  channel: Channel;
  /** Pan with the primary button (true when no drawing tool is active). */
  panEnabled: boolean;
  children: (style: React.CSSProperties) => ReactNode;
  overlay?: ReactNode;
  label: string;
  className?: string;
}

export function Stage({
  viewport,
  onViewport,
  channel,
  panEnabled,
  children,
  overlay,
  label,
  className,
}: StageProps) {
  const ref = useRef<HTMLDivElement>(null);
  const vpRef = useRef(viewport);
  vpRef.current = viewport;
  const [drag, setDrag] = useState<{ x: number; y: number; panX: number; panY: number } | null>(null);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => {
      const v = vpRef.current;
      if (v.containerWidth !== el.clientWidth || v.containerHeight !== el.clientHeight) {
        onViewport({ ...v, containerWidth: el.clientWidth, containerHeight: el.clientHeight });
      }
    };
    const ro = new ResizeObserver(update);
    ro.observe(el);
    update();
    return () => ro.disconnect();
  }, [onViewport]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      onViewport(zoomAt(vpRef.current, Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [onViewport]);

  const rect = imageRect(viewport);
  const style: React.CSSProperties = {
    position: 'absolute',
    left: rect.x,
    top: rect.y,
    width: rect.width,
    height: rect.height,
    filter: channel === 'rgb' ? undefined : `url(#montu-ch-${channel})`,
    imageRendering: viewport.zoom > 2 ? 'pixelated' : 'auto',
  };

  return (
    <div
      ref={ref}
      className={`stage ${className ?? ''} ${panEnabled ? (drag ? 'grabbing' : 'grab') : ''}`}
      role="img"
      aria-label={label}
      onPointerDown={(e) => {
        if (!panEnabled || e.button !== 0) return;
        e.currentTarget.setPointerCapture(e.pointerId);
        setDrag({ x: e.clientX, y: e.clientY, panX: viewport.panX, panY: viewport.panY });
      }}
      onPointerMove={(e) => {
        if (drag)
          onViewport({
            ...vpRef.current,
            panX: drag.panX + e.clientX - drag.x,
            panY: drag.panY + e.clientY - drag.y,
          });
      }}
      onPointerUp={() => setDrag(null)}
      onDoubleClick={() => panEnabled && onViewport({ ...vpRef.current, zoom: 1, panX: 0, panY: 0 })}
    >
      {children(style)}
      {overlay}
    </div>
  );
}

/**
 * Drawing notes: shapes in coordinates normalised 0–1 to the image (x right, y down), the
 * viewport transform between the screen and the image (letterboxing, zoom, pan), shape building
 * from pointer input and hit testing for the eraser. Pure functions; rendering lives in render.ts.
 */
import {
  parseDrawing as checkDrawing,
  type Drawing as WireDrawing,
  type PressurePoint,
  type Shape as WireShape,
} from '@montu/domain';

/** `[x, y]` or `[x, y, pressure]`, normalised to the image. */
export type Point = [number, number] | [number, number, number];

export const TOOLS = ['pen', 'line', 'arrow', 'rect', 'ellipse', 'text', 'eraser'] as const;
export type Tool = (typeof TOOLS)[number];
export type ShapeKind = Exclude<Tool, 'eraser'>;

interface ShapeStyle {
  /** CSS colour, `#rrggbb`. */
  color: string;
  /** Stroke width as a fraction of the image height (so it scales with the picture). */
  width: number;
}
export type PenShape = ShapeStyle & { kind: 'pen'; points: Point[] };
export type LineShape = ShapeStyle & { kind: 'line' | 'arrow'; from: [number, number]; to: [number, number] };
export type BoxShape = ShapeStyle & { kind: 'rect' | 'ellipse'; x: number; y: number; w: number; h: number };
export type TextShape = ShapeStyle & { kind: 'text'; x: number; y: number; text: string; size: number };
export type Shape = PenShape | LineShape | BoxShape | TextShape;

export interface Drawing {
  version: 1;
  /** Size of the image the drawing was made on (pixels), for reference. */
  width?: number;
  height?: number;
  shapes: Shape[];
}

export const emptyDrawing = (): Drawing => ({ version: 1, shapes: [] });

// ---------------------------------------------------------------- viewport

export interface Viewport {
  /** Size of the element the image is displayed in (CSS pixels). */
  containerWidth: number;
  containerHeight: number;
  /** Natural size of the image or video frame. */
  imageWidth: number;
  imageHeight: number;
  /** 1 = fit (letterboxed), 2 = twice the fit size, … */
  zoom: number;
  /** Offset of the image centre from the container centre, CSS pixels. */
  panX: number;
  panY: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function fitScale(
  v: Pick<Viewport, 'containerWidth' | 'containerHeight' | 'imageWidth' | 'imageHeight'>,
): number {
  if (v.imageWidth <= 0 || v.imageHeight <= 0) return 1;
  return Math.min(v.containerWidth / v.imageWidth, v.containerHeight / v.imageHeight);
}

/**
 * The zoom at which one source pixel is one device pixel (the "1:1" button). `sourceWidth` is
 * the picture's own width when the rendition shown (a proxy) is smaller; it defaults to the
 * rendition's.
 */
export function actualSizeZoom(v: Viewport, devicePixelRatio = 1, sourceWidth = v.imageWidth): number {
  if (v.imageWidth <= 0) return 1;
  return sourceWidth / (v.imageWidth * fitScale(v) * devicePixelRatio);
}

/** The zoom as people read it: device pixels per source pixel, in percent (100 at 1:1). */
export function zoomPercent(v: Viewport, devicePixelRatio = 1, sourceWidth = v.imageWidth): number {
  if (sourceWidth <= 0) return 100;
  return (100 * imageRect(v).width * devicePixelRatio) / sourceWidth;
}

/** Where the image is drawn inside the container (CSS pixels relative to the container). */
export function imageRect(v: Viewport): Rect {
  const s = fitScale(v) * v.zoom;
  const width = v.imageWidth * s;
  const height = v.imageHeight * s;
  return {
    x: (v.containerWidth - width) / 2 + v.panX,
    y: (v.containerHeight - height) / 2 + v.panY,
    width,
    height,
  };
}

/** Container-relative pointer position → normalised image coordinates (may fall outside 0–1). */
export function toNormalised(px: number, py: number, v: Viewport): [number, number] {
  const r = imageRect(v);
  return [(px - r.x) / r.width, (py - r.y) / r.height];
}

/** Normalised image coordinates → container-relative CSS pixels. */
export function toView(nx: number, ny: number, v: Viewport): [number, number] {
  const r = imageRect(v);
  return [r.x + nx * r.width, r.y + ny * r.height];
}

export function clamp01(n: number): number {
  return Math.min(1, Math.max(0, n));
}

/** Zoom by `factor` keeping the container point (px, py) still under the pointer. */
export function zoomAt(v: Viewport, factor: number, px: number, py: number, min = 0.1, max = 64): Viewport {
  const zoom = Math.min(max, Math.max(min, v.zoom * factor));
  const k = zoom / v.zoom;
  const cx = v.containerWidth / 2 + v.panX;
  const cy = v.containerHeight / 2 + v.panY;
  // The image centre moves away from the pointer by the zoom ratio.
  const ncx = px + (cx - px) * k;
  const ncy = py + (cy - py) * k;
  return { ...v, zoom, panX: ncx - v.containerWidth / 2, panY: ncy - v.containerHeight / 2 };
}

// ---------------------------------------------------------------- shape building

export interface BuildOptions {
  /** Shift held: constrain lines to 45° steps, boxes to squares/circles. */
  constrain?: boolean;
  /** Image aspect (width / height) so constraints are square on the picture, not in 0–1 space. */
  aspect?: number;
}

export function beginShape(kind: ShapeKind, at: Point, style: ShapeStyle, text = ''): Shape {
  const [x, y] = at;
  switch (kind) {
    case 'pen':
      return { kind, ...style, points: [at] };
    case 'line':
    case 'arrow':
      return { kind, ...style, from: [x, y], to: [x, y] };
    case 'rect':
    case 'ellipse':
      return { kind, ...style, x, y, w: 0, h: 0 };
    case 'text':
      return { kind, ...style, x, y, text, size: Math.max(0.02, style.width * 6) };
  }
}

/** Extends a shape being drawn to the pointer at `to`. Returns a new shape (inputs are not mutated). */
export function updateShape(shape: Shape, to: Point, opts: BuildOptions = {}): Shape {
  const aspect = opts.aspect ?? 1;
  switch (shape.kind) {
    case 'pen': {
      const last = shape.points[shape.points.length - 1];
      // Skip points closer than ~1/2000 of the image to keep drawings small.
      if (last && Math.hypot((to[0] - last[0]) * aspect, to[1] - last[1]) < 0.0005) return shape;
      return { ...shape, points: [...shape.points, to] };
    }
    case 'line':
    case 'arrow': {
      let [x, y] = [to[0], to[1]];
      if (opts.constrain) {
        const dx = (x - shape.from[0]) * aspect;
        const dy = y - shape.from[1];
        const len = Math.hypot(dx, dy);
        const angle = Math.round(Math.atan2(dy, dx) / (Math.PI / 4)) * (Math.PI / 4);
        x = shape.from[0] + (Math.cos(angle) * len) / aspect;
        y = shape.from[1] + Math.sin(angle) * len;
      }
      return { ...shape, to: [x, y] };
    }
    case 'rect':
    case 'ellipse': {
      // Boxes keep their anchor in (x, y) while drawing and may have negative w/h; normalise at the end.
      let w = to[0] - shape.x;
      let h = to[1] - shape.y;
      if (opts.constrain) {
        const side = Math.max(Math.abs(w) * aspect, Math.abs(h));
        w = (Math.sign(w) || 1) * (side / aspect);
        h = (Math.sign(h) || 1) * side;
      }
      return { ...shape, w, h };
    }
    case 'text':
      return { ...shape, x: to[0], y: to[1] };
  }
}

/** Normalises a finished shape (positive box sizes); null when it is too small to keep. */
export function finishShape(shape: Shape): Shape | null {
  switch (shape.kind) {
    case 'pen':
      return shape.points.length >= 1 ? shape : null;
    case 'line':
    case 'arrow':
      return Math.hypot(shape.to[0] - shape.from[0], shape.to[1] - shape.from[1]) < 0.002 ? null : shape;
    case 'rect':
    case 'ellipse': {
      const x = Math.min(shape.x, shape.x + shape.w);
      const y = Math.min(shape.y, shape.y + shape.h);
      const w = Math.abs(shape.w);
      const h = Math.abs(shape.h);
      return w < 0.002 && h < 0.002 ? null : { ...shape, x, y, w, h };
    }
    case 'text':
      return shape.text.trim() ? shape : null;
  }
}

/** The two back points of an arrow head at `to`, in the same (pixel) space as the inputs. */
export function arrowHead(
  from: [number, number],
  to: [number, number],
  size: number,
): [[number, number], [number, number]] {
  const angle = Math.atan2(to[1] - from[1], to[0] - from[0]);
  const spread = Math.PI / 7;
  return [
    [to[0] - size * Math.cos(angle - spread), to[1] - size * Math.sin(angle - spread)],
    [to[0] - size * Math.cos(angle + spread), to[1] - size * Math.sin(angle + spread)],
  ];
}

// ---------------------------------------------------------------- hit testing (eraser)

function distToSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/**
 * Distance in image pixels from a point (normalised) to a shape's outline (for boxes and
 * ellipses the outline, so erasing inside a big rectangle does not remove it).
 */
export function distanceToShape(
  shape: Shape,
  at: [number, number],
  imageWidth: number,
  imageHeight: number,
): number {
  const sx = imageWidth;
  const sy = imageHeight;
  const px = at[0] * sx;
  const py = at[1] * sy;
  switch (shape.kind) {
    case 'pen': {
      const pts = shape.points;
      if (pts.length === 1) return Math.hypot(px - pts[0]![0] * sx, py - pts[0]![1] * sy);
      let best = Infinity;
      for (let i = 1; i < pts.length; i++) {
        const a = pts[i - 1]!;
        const b = pts[i]!;
        best = Math.min(best, distToSegment(px, py, a[0] * sx, a[1] * sy, b[0] * sx, b[1] * sy));
      }
      return best;
    }
    case 'line':
    case 'arrow':
      return distToSegment(
        px,
        py,
        shape.from[0] * sx,
        shape.from[1] * sy,
        shape.to[0] * sx,
        shape.to[1] * sy,
      );
    case 'rect': {
      const x0 = shape.x * sx,
        y0 = shape.y * sy,
        x1 = (shape.x + shape.w) * sx,
        y1 = (shape.y + shape.h) * sy;
      return Math.min(
        distToSegment(px, py, x0, y0, x1, y0),
        distToSegment(px, py, x1, y0, x1, y1),
        distToSegment(px, py, x1, y1, x0, y1),
        distToSegment(px, py, x0, y1, x0, y0),
      );
    }
    case 'ellipse': {
      const rx = (Math.abs(shape.w) * sx) / 2;
      const ry = (Math.abs(shape.h) * sy) / 2;
      const cx = (shape.x + shape.w / 2) * sx;
      const cy = (shape.y + shape.h / 2) * sy;
      if (rx === 0 || ry === 0) return distToSegment(px, py, cx - rx, cy - ry, cx + rx, cy + ry);
      // Approximate: sample the outline (cheap, exact enough for an eraser).
      let best = Infinity;
      for (let i = 0; i < 64; i++) {
        const t = (i / 64) * Math.PI * 2;
        best = Math.min(best, Math.hypot(px - (cx + rx * Math.cos(t)), py - (cy + ry * Math.sin(t))));
      }
      return best;
    }
    case 'text': {
      const h = shape.size * sy;
      const w = Math.max(1, shape.text.length) * h * 0.6;
      const x0 = shape.x * sx,
        y0 = shape.y * sy - h;
      const inside = px >= x0 && px <= x0 + w && py >= y0 && py <= y0 + h * 1.2;
      return inside
        ? 0
        : Math.min(
            distToSegment(px, py, x0, y0, x0 + w, y0),
            distToSegment(px, py, x0, y0 + h, x0 + w, y0 + h),
          );
    }
  }
}

/** Index of the top-most shape under the point within `tolerance` image pixels (plus half its stroke), or -1. */
export function hitTest(
  shapes: readonly Shape[],
  at: [number, number],
  imageWidth: number,
  imageHeight: number,
  tolerance: number,
): number {
  for (let i = shapes.length - 1; i >= 0; i--) {
    const s = shapes[i]!;
    const half = (s.width * imageHeight) / 2;
    if (distanceToShape(s, at, imageWidth, imageHeight) <= tolerance + half) return i;
  }
  return -1;
}

/** Shapes left after erasing everything the eraser point touches. */
export function erase(
  shapes: readonly Shape[],
  at: [number, number],
  imageWidth: number,
  imageHeight: number,
  tolerance: number,
): Shape[] {
  const i = hitTest(shapes, at, imageWidth, imageHeight, tolerance);
  return i < 0 ? [...shapes] : shapes.filter((_, j) => j !== i);
}

// ---------------------------------------------------------------- undo / redo

export interface UndoState<T> {
  past: T[];
  present: T;
  future: T[];
}

export const undoInit = <T>(present: T): UndoState<T> => ({ past: [], present, future: [] });
export const undoPush = <T>(s: UndoState<T>, next: T, limit = 200): UndoState<T> => ({
  past: [...s.past, s.present].slice(-limit),
  present: next,
  future: [],
});
export const undo = <T>(s: UndoState<T>): UndoState<T> =>
  s.past.length === 0
    ? s
    : { past: s.past.slice(0, -1), present: s.past[s.past.length - 1]!, future: [s.present, ...s.future] };
export const redo = <T>(s: UndoState<T>): UndoState<T> =>
  s.future.length === 0
    ? s
    : { past: [...s.past, s.present], present: s.future[0]!, future: s.future.slice(1) };

// ---------------------------------------------------------------- wire format (@montu/domain drawing.ts)

/**
 * The editor's shapes to and from the drawing schema of notes, which is @montu/domain's
 * (`{ version: 1, shapes }`, normalised 0–1; docs/review.md). The domain's parseDrawing checks
 * what is sent, here as on the server.
 */
export type { WireDrawing, WireShape };
type WirePoint = PressurePoint;

/** 5 decimals: 1/100000 of the image, sub-pixel even at 8K, keeps payloads small. */
const r5 = (n: number): number => Math.round(clamp01(n) * 1e5) / 1e5;
const wp = (x: number, y: number, pressure?: number): WirePoint =>
  pressure === undefined ? { x: r5(x), y: r5(y) } : { x: r5(x), y: r5(y), pressure: r5(pressure) };
const clampWidth = (w: number): number => Math.min(0.5, Math.max(0.0005, w));

/** Converts to the wire schema (clamped to the image, rounded), checked by the domain's rule. */
export function toWireDrawing(d: Drawing): WireDrawing {
  const shapes: WireShape[] = [];
  for (const s of d.shapes) {
    const base = { color: s.color.toLowerCase(), width: clampWidth(s.width) };
    switch (s.kind) {
      case 'pen':
        shapes.push({ type: 'freehand', ...base, points: s.points.map((p) => wp(p[0], p[1], p[2])) });
        break;
      case 'line':
      case 'arrow':
        shapes.push({ type: s.kind, ...base, from: wp(s.from[0], s.from[1]), to: wp(s.to[0], s.to[1]) });
        break;
      case 'rect': {
        const x0 = r5(s.x),
          y0 = r5(s.y);
        shapes.push({
          type: 'rect',
          ...base,
          x: x0,
          y: y0,
          w: r5(r5(s.x + s.w) - x0),
          h: r5(r5(s.y + s.h) - y0),
        });
        break;
      }
      case 'ellipse':
        shapes.push({
          type: 'ellipse',
          ...base,
          cx: r5(s.x + s.w / 2),
          cy: r5(s.y + s.h / 2),
          rx: r5(Math.abs(s.w) / 2),
          ry: r5(Math.abs(s.h) / 2),
        });
        break;
      case 'text':
        shapes.push({
          type: 'text',
          ...base,
          x: r5(s.x),
          y: r5(s.y),
          text: s.text.slice(0, 2000),
          size: Math.min(0.5, Math.max(0.005, s.size)),
        });
        break;
    }
  }
  return checkDrawing({ version: 1, shapes });
}

/** The editor's shapes of a note's drawing (as the API answers it: already checked). */
export function fromWireDrawing(wire: WireDrawing | null): Drawing | null {
  if (!wire) return null;
  const shapes: Shape[] = [];
  for (const s of wire.shapes) {
    const { color, width } = s;
    switch (s.type) {
      case 'freehand':
        shapes.push({
          kind: 'pen',
          color,
          width,
          points: s.points.map((p): Point =>
            p.pressure === undefined ? [p.x, p.y] : [p.x, p.y, p.pressure],
          ),
        });
        break;
      case 'line':
      case 'arrow':
        shapes.push({ kind: s.type, color, width, from: [s.from.x, s.from.y], to: [s.to.x, s.to.y] });
        break;
      case 'rect':
        shapes.push({ kind: 'rect', color, width, x: s.x, y: s.y, w: s.w, h: s.h });
        break;
      case 'ellipse':
        shapes.push({
          kind: 'ellipse',
          color,
          width,
          x: s.cx - s.rx,
          y: s.cy - s.ry,
          w: s.rx * 2,
          h: s.ry * 2,
        });
        break;
      case 'text':
        shapes.push({ kind: 'text', color, width, x: s.x, y: s.y, text: s.text, size: s.size ?? 0.04 });
        break;
    }
  }
  return { version: 1, shapes };
}

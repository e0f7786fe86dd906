/**
 * Vector drawings on a frame. Coordinates are normalised to the image: x from 0 (left) to 1
 * (right), y from 0 (top) to 1 (bottom), so a drawing fits any rendition of the same picture.
 * Stroke widths and text sizes are fractions of the image height. See docs/review.md.
 */
import { ValidationError } from './errors.js';

export interface Point {
  x: number;
  y: number;
}

/** A freehand point with the pen pressure (0–1, default 1) that scales the stroke width. */
export interface PressurePoint extends Point {
  pressure?: number;
}

interface ShapeBase {
  /**
   * The stroke's id, unique in its drawing (1–64 characters). Saved drawings always carry one:
   * the server gives one to a stroke without, and strokes stored before ids get `s<index>`.
   */
  id?: string;
  /** Who drew the stroke (set by the server when strokes are added one by one). */
  author?: string;
  /** `#rrggbb` or `#rrggbbaa`. */
  color: string;
  /** Stroke width as a fraction of the image height (0 < width ≤ 0.5). */
  width: number;
}

export interface FreehandShape extends ShapeBase {
  type: 'freehand';
  points: PressurePoint[];
}
export interface LineShape extends ShapeBase {
  type: 'line';
  from: Point;
  to: Point;
}
export interface ArrowShape extends ShapeBase {
  type: 'arrow';
  /** Tail. */
  from: Point;
  /** Head. */
  to: Point;
}
export interface RectShape extends ShapeBase {
  type: 'rect';
  /** Top-left corner and size, all normalised. */
  x: number;
  y: number;
  w: number;
  h: number;
  fill?: string;
}
export interface EllipseShape extends ShapeBase {
  type: 'ellipse';
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  fill?: string;
}
export interface TextShape extends ShapeBase {
  type: 'text';
  /** Baseline start of the text. */
  x: number;
  y: number;
  text: string;
  /** Font size as a fraction of the image height (default 0.04). */
  size?: number;
}

export type Shape = FreehandShape | LineShape | ArrowShape | RectShape | EllipseShape | TextShape;
export const SHAPE_TYPES = ['freehand', 'line', 'arrow', 'rect', 'ellipse', 'text'] as const;

export interface Drawing {
  version: 1;
  shapes: Shape[];
}

export const DRAWING_LIMITS = {
  shapes: 1000,
  pointsPerStroke: 20_000,
  totalPoints: 100_000,
  textLength: 2000,
};

const COLOR = /^#[0-9a-f]{6}([0-9a-f]{2})?$/i;

type Obj = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new ValidationError(`drawing${path}: ${message}`, { field: `drawing${path}` });
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Obj;
}

function onlyKeys(o: Obj, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) fail(path, `unknown property ${JSON.stringify(k)}`);
}

function unit(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1)
    fail(path, 'must be a number from 0 to 1');
  return v;
}

function point(v: unknown, path: string, pressure = false): PressurePoint {
  const o = obj(v, path);
  onlyKeys(o, pressure ? ['x', 'y', 'pressure'] : ['x', 'y'], path);
  const p: PressurePoint = { x: unit(o['x'], `${path}.x`), y: unit(o['y'], `${path}.y`) };
  if (pressure && o['pressure'] !== undefined) p.pressure = unit(o['pressure'], `${path}.pressure`);
  return p;
}

function color(v: unknown, path: string): string {
  if (typeof v !== 'string' || !COLOR.test(v)) fail(path, 'must be a colour #rrggbb or #rrggbbaa');
  return v.toLowerCase();
}

function strokeWidth(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 0.5) {
    fail(path, 'must be a fraction of the image height above 0 and at most 0.5');
  }
  return v;
}

/**
 * Checks a drawing from an untrusted client and returns a clean copy (only known properties,
 * colours lower-cased). Throws ValidationError naming the first bad field.
 */
export function parseDrawing(input: unknown): Drawing {
  const d = obj(input, '');
  onlyKeys(d, ['version', 'shapes'], '');
  if (d['version'] !== undefined && d['version'] !== 1) fail('.version', 'must be 1');
  if (!Array.isArray(d['shapes'])) fail('.shapes', 'must be a list');
  const shapes = d['shapes'] as unknown[];
  if (shapes.length > DRAWING_LIMITS.shapes) fail('.shapes', `has more than ${DRAWING_LIMITS.shapes} shapes`);
  let totalPoints = 0;
  const out: Shape[] = shapes.map((raw, i): Shape => {
    const path = `.shapes[${i}]`;
    const s = obj(raw, path);
    const base = {
      color: color(s['color'], `${path}.color`),
      width: strokeWidth(s['width'], `${path}.width`),
    };
    const id = s['id'];
    if (id !== undefined && (typeof id !== 'string' || id.length === 0 || id.length > 64))
      fail(`${path}.id`, 'must be a string of 1–64 characters');
    const author = s['author'];
    if (author !== undefined && (typeof author !== 'string' || author.length === 0 || author.length > 200))
      fail(`${path}.author`, 'must be a name of 1–200 characters');
    const common = {
      ...(typeof id === 'string' ? { id } : {}),
      ...(typeof author === 'string' ? { author } : {}),
      ...base,
    };
    const baseKeys = ['id', 'author', 'type', 'color', 'width'];
    switch (s['type']) {
      case 'freehand': {
        onlyKeys(s, [...baseKeys, 'points'], path);
        const pts = s['points'];
        if (!Array.isArray(pts) || pts.length === 0)
          fail(`${path}.points`, 'must be a non-empty list of points');
        if (pts.length > DRAWING_LIMITS.pointsPerStroke)
          fail(`${path}.points`, `has more than ${DRAWING_LIMITS.pointsPerStroke} points`);
        totalPoints += pts.length;
        if (totalPoints > DRAWING_LIMITS.totalPoints)
          fail('.shapes', `has more than ${DRAWING_LIMITS.totalPoints} points in all`);
        return {
          type: 'freehand',
          ...common,
          points: pts.map((p, j) => point(p, `${path}.points[${j}]`, true)),
        };
      }
      case 'line':
      case 'arrow': {
        onlyKeys(s, [...baseKeys, 'from', 'to'], path);
        return {
          type: s['type'],
          ...common,
          from: point(s['from'], `${path}.from`),
          to: point(s['to'], `${path}.to`),
        };
      }
      case 'rect': {
        onlyKeys(s, [...baseKeys, 'x', 'y', 'w', 'h', 'fill'], path);
        const r: RectShape = {
          type: 'rect',
          ...common,
          x: unit(s['x'], `${path}.x`),
          y: unit(s['y'], `${path}.y`),
          w: unit(s['w'], `${path}.w`),
          h: unit(s['h'], `${path}.h`),
        };
        if (r.x + r.w > 1 + 1e-9 || r.y + r.h > 1 + 1e-9)
          fail(path, 'the rectangle must lie inside the image');
        if (s['fill'] !== undefined) r.fill = color(s['fill'], `${path}.fill`);
        return r;
      }
      case 'ellipse': {
        onlyKeys(s, [...baseKeys, 'cx', 'cy', 'rx', 'ry', 'fill'], path);
        const e: EllipseShape = {
          type: 'ellipse',
          ...common,
          cx: unit(s['cx'], `${path}.cx`),
          cy: unit(s['cy'], `${path}.cy`),
          rx: unit(s['rx'], `${path}.rx`),
          ry: unit(s['ry'], `${path}.ry`),
        };
        if (s['fill'] !== undefined) e.fill = color(s['fill'], `${path}.fill`);
        return e;
      }
      case 'text': {
        onlyKeys(s, [...baseKeys, 'x', 'y', 'text', 'size'], path);
        const text = s['text'];
        if (typeof text !== 'string' || text.length === 0 || text.length > DRAWING_LIMITS.textLength) {
          fail(`${path}.text`, `must be text of 1–${DRAWING_LIMITS.textLength} characters`);
        }
        const t: TextShape = {
          type: 'text',
          ...common,
          x: unit(s['x'], `${path}.x`),
          y: unit(s['y'], `${path}.y`),
          text,
        };
        if (s['size'] !== undefined) {
          const size = s['size'];
          if (typeof size !== 'number' || !(size > 0 && size <= 0.5))
            fail(`${path}.size`, 'must be a fraction of the image height above 0 and at most 0.5');
          t.size = size;
        }
        return t;
      }
      default:
        fail(`${path}.type`, `must be one of ${SHAPE_TYPES.join(', ')}`);
    }
  });
  const seen = new Set<string>();
  out.forEach((shape, i) => {
    if (shape.id === undefined) return;
    if (seen.has(shape.id)) fail(`.shapes[${i}].id`, `${JSON.stringify(shape.id)} is used twice`);
    seen.add(shape.id);
  });
  return { version: 1, shapes: out };
}

// ------------------------------------------------------------------ stroke ids and merging

/**
 * The drawing with an id on every stroke: strokes without one get `newId(index)` (the server
 * passes fresh ids on save; on read, strokes stored before ids get the stable `s<index>`).
 */
export function withStrokeIds(drawing: Drawing, newId: (index: number) => string = (i) => `s${i}`): Drawing {
  const used = new Set(drawing.shapes.flatMap((s) => (s.id === undefined ? [] : [s.id])));
  return {
    version: 1,
    shapes: drawing.shapes.map((s, i) => {
      if (s.id !== undefined) return s;
      let id = newId(i);
      while (used.has(id)) id = `${id}_`;
      used.add(id);
      return { ...s, id };
    }),
  };
}

/** Stroke changes sent one by one, so that people drawing at once never overwrite each other. */
export interface StrokeChanges {
  /** Strokes to add; a stroke whose id exists replaces it (a moved or recoloured stroke). */
  add?: Shape[];
  /** Ids of strokes to remove; ids already gone are ignored (someone else removed them). */
  remove?: string[];
}

/** Checks stroke changes from an untrusted client (as `parseDrawing` checks a drawing). */
export function parseStrokeChanges(input: unknown): Required<StrokeChanges> {
  const o = obj(input, '');
  const add = o['add'] === undefined ? [] : parseDrawing({ version: 1, shapes: o['add'] }).shapes;
  const remove = o['remove'] ?? [];
  if (!Array.isArray(remove) || remove.length > DRAWING_LIMITS.shapes)
    fail('.remove', `must be a list of at most ${DRAWING_LIMITS.shapes} stroke ids`);
  for (const [i, id] of remove.entries())
    if (typeof id !== 'string' || id.length === 0 || id.length > 64)
      fail(`.remove[${i}]`, 'must be a stroke id');
  if (add.length === 0 && remove.length === 0) fail('', 'give strokes to add or stroke ids to remove');
  return { add, remove: remove as string[] };
}

/**
 * Applies stroke changes to the current drawing (null: none yet): removals, then additions in
 * order (replacing a stroke with the same id where it was). Strokes others drew meanwhile stay.
 */
export function mergeStrokes(current: Drawing | null, changes: Required<StrokeChanges>): Drawing {
  const gone = new Set(changes.remove);
  const shapes = (current?.shapes ?? []).filter((s) => s.id === undefined || !gone.has(s.id));
  for (const stroke of changes.add) {
    const at = stroke.id === undefined ? -1 : shapes.findIndex((s) => s.id === stroke.id);
    if (at >= 0) shapes[at] = stroke;
    else shapes.push(stroke);
  }
  if (shapes.length > DRAWING_LIMITS.shapes)
    fail('.shapes', `would have more than ${DRAWING_LIMITS.shapes} shapes`);
  return parseDrawing({ version: 1, shapes });
}

// ------------------------------------------------------------------ SVG

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function paint(c: string): string {
  // SVG 1.1 (librsvg) wants opacity apart from #rrggbb.
  if (c.length === 9) {
    const alpha = parseInt(c.slice(7), 16) / 255;
    return `"${c.slice(0, 7)}" stroke-opacity="${alpha.toFixed(3)}" fill-opacity="${alpha.toFixed(3)}"`;
  }
  return `"${c}"`;
}

const n = (v: number): string => (Math.round(v * 1000) / 1000).toString();

/**
 * The drawing as an SVG document of `width` × `height` pixels (transparent background), for
 * compositing over a frame of that size.
 */
export function drawingToSvg(drawing: Drawing, width: number, height: number): string {
  const X = (v: number): string => n(v * width);
  const Y = (v: number): string => n(v * height);
  const W = (v: number): number => Math.max(v * height, 0.5);
  const parts: string[] = [];
  for (const s of drawing.shapes) {
    const stroke = `stroke=${paint(s.color)} stroke-width="${n(W(s.width))}" stroke-linecap="round" stroke-linejoin="round"`;
    switch (s.type) {
      case 'freehand': {
        if (s.points.length === 1) {
          const p = s.points[0]!;
          parts.push(
            `<circle cx="${X(p.x)}" cy="${Y(p.y)}" r="${n((W(s.width) * (p.pressure ?? 1)) / 2)}" fill=${paint(s.color)}/>`,
          );
          break;
        }
        // Pressure changes the width along the stroke: one segment per pair of points.
        for (let i = 1; i < s.points.length; i++) {
          const a = s.points[i - 1]!;
          const b = s.points[i]!;
          const pressure = ((a.pressure ?? 1) + (b.pressure ?? 1)) / 2;
          parts.push(
            `<line x1="${X(a.x)}" y1="${Y(a.y)}" x2="${X(b.x)}" y2="${Y(b.y)}" stroke=${paint(s.color)} stroke-width="${n(Math.max(W(s.width) * pressure, 0.5))}" stroke-linecap="round"/>`,
          );
        }
        break;
      }
      case 'line':
        parts.push(
          `<line x1="${X(s.from.x)}" y1="${Y(s.from.y)}" x2="${X(s.to.x)}" y2="${Y(s.to.y)}" ${stroke}/>`,
        );
        break;
      case 'arrow': {
        const x1 = s.from.x * width,
          y1 = s.from.y * height,
          x2 = s.to.x * width,
          y2 = s.to.y * height;
        const len = Math.hypot(x2 - x1, y2 - y1) || 1;
        const head = Math.min(Math.max(W(s.width) * 4, 6), len * 0.5);
        const ux = (x2 - x1) / len,
          uy = (y2 - y1) / len;
        const bx = x2 - ux * head,
          by = y2 - uy * head;
        const px = -uy * head * 0.5,
          py = ux * head * 0.5;
        parts.push(`<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(bx)}" y2="${n(by)}" ${stroke}/>`);
        parts.push(
          `<polygon points="${n(x2)},${n(y2)} ${n(bx + px)},${n(by + py)} ${n(bx - px)},${n(by - py)}" fill=${paint(s.color)}/>`,
        );
        break;
      }
      case 'rect':
        parts.push(
          `<rect x="${X(s.x)}" y="${Y(s.y)}" width="${X(s.w)}" height="${Y(s.h)}" ${stroke} fill=${s.fill ? paint(s.fill) : '"none"'}/>`,
        );
        break;
      case 'ellipse':
        parts.push(
          `<ellipse cx="${X(s.cx)}" cy="${Y(s.cy)}" rx="${X(s.rx)}" ry="${Y(s.ry)}" ${stroke} fill=${s.fill ? paint(s.fill) : '"none"'}/>`,
        );
        break;
      case 'text':
        parts.push(
          `<text x="${X(s.x)}" y="${Y(s.y)}" font-family="sans-serif" font-size="${n((s.size ?? 0.04) * height)}" fill=${paint(s.color)}>${esc(s.text)}</text>`,
        );
        break;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

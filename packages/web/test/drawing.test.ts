import { describe, expect, it } from 'vitest';
import {
  actualSizeZoom,
  arrowHead,
  beginShape,
  erase,
  finishShape,
  hitTest,
  imageRect,
  fromWireDrawing,
  toWireDrawing,
  redo,
  toNormalised,
  toView,
  undo,
  undoInit,
  undoPush,
  updateShape,
  zoomAt,
  type Shape,
  type Viewport,
} from '../src/lib/drawing.js';

const style = { color: '#ff0000', width: 0.005 };
// A 1920×1080 frame letterboxed in a 1000×1000 box: 1000×562.5 centred vertically.
const vp: Viewport = {
  containerWidth: 1000,
  containerHeight: 1000,
  imageWidth: 1920,
  imageHeight: 1080,
  zoom: 1,
  panX: 0,
  panY: 0,
};

describe('viewport', () => {
  it('letterboxes a wide image', () => {
    const r = imageRect(vp);
    expect(r.width).toBeCloseTo(1000);
    expect(r.height).toBeCloseTo(562.5);
    expect(r.y).toBeCloseTo(218.75);
    expect(toNormalised(500, 500, vp)).toEqual([0.5, 0.5]);
    const [nx, ny] = toNormalised(0, 218.75, vp);
    expect(nx).toBeCloseTo(0);
    expect(ny).toBeCloseTo(0);
    // Points in the black bars are outside 0–1.
    expect(toNormalised(500, 100, vp)[1]).toBeLessThan(0);
  });
  it('pillarboxes a tall image', () => {
    const v = { ...vp, imageWidth: 1000, imageHeight: 2000 };
    expect(imageRect(v)).toEqual({ x: 250, y: 0, width: 500, height: 1000 });
    expect(toNormalised(250, 1000, v)).toEqual([0, 1]);
  });
  it('accounts for zoom and pan, and inverts', () => {
    const v = { ...vp, zoom: 2, panX: 100, panY: -50 };
    for (const [x, y] of [
      [0.1, 0.2],
      [0.5, 0.5],
      [0.9, 0.75],
    ] as const) {
      const [px, py] = toView(x, y, v);
      const [nx, ny] = toNormalised(px, py, v);
      expect(nx).toBeCloseTo(x, 10);
      expect(ny).toBeCloseTo(y, 10);
    }
    // Centre of the image sits at container centre + pan.
    expect(toView(0.5, 0.5, v)).toEqual([600, 450]);
  });
  it('zooms around the pointer', () => {
    const before = toNormalised(300, 400, vp);
    const z = zoomAt(vp, 3, 300, 400);
    const after = toNormalised(300, 400, z);
    expect(after[0]).toBeCloseTo(before[0], 10);
    expect(after[1]).toBeCloseTo(before[1], 10);
    expect(z.zoom).toBe(3);
  });
  it('1:1 zoom makes one image pixel one device pixel', () => {
    const z = actualSizeZoom(vp, 2);
    expect(imageRect({ ...vp, zoom: z }).width).toBeCloseTo(960);
  });
});

describe('shape building', () => {
  it('builds an arrow and constrains it to 45°', () => {
    let s = beginShape('arrow', [0.2, 0.2], style);
    s = updateShape(s, [0.6, 0.25]);
    expect(s).toMatchObject({ kind: 'arrow', from: [0.2, 0.2], to: [0.6, 0.25] });
    const c = updateShape(s, [0.6, 0.22], { constrain: true }) as Extract<Shape, { kind: 'line' | 'arrow' }>;
    expect(c.to[1]).toBeCloseTo(0.2);
  });
  it('normalises boxes drawn backwards and drops tiny ones', () => {
    let s = beginShape('rect', [0.5, 0.5], style);
    s = updateShape(s, [0.3, 0.2]);
    expect(finishShape(s)).toMatchObject({ x: 0.3, y: 0.2 });
    expect((finishShape(s) as { w: number }).w).toBeCloseTo(0.2);
    expect(finishShape(beginShape('ellipse', [0.5, 0.5], style))).toBeNull();
    expect(finishShape(beginShape('text', [0.5, 0.5], style, '  '))).toBeNull();
  });
  it('constrains a box to a square on the picture', () => {
    const s = updateShape(beginShape('rect', [0, 0], style), [0.5, 0.1], {
      constrain: true,
      aspect: 16 / 9,
    }) as { w: number; h: number };
    expect(s.w * 16).toBeCloseTo(s.h * 9);
  });
  it('pen skips near-duplicate points', () => {
    let s = beginShape('pen', [0.1, 0.1, 0.5], style);
    s = updateShape(s, [0.1, 0.1001, 0.5]);
    s = updateShape(s, [0.2, 0.2, 0.7]);
    expect((s as { points: unknown[] }).points).toHaveLength(2);
  });
  it('arrow heads point back along the shaft', () => {
    const [a, b] = arrowHead([0, 0], [100, 0], 10);
    expect(a[0]).toBeLessThan(100);
    expect(b[0]).toBeLessThan(100);
    expect(a[1]).toBeCloseTo(-b[1]);
  });
});

describe('eraser hit testing', () => {
  const shapes: Shape[] = [
    { kind: 'line', ...style, from: [0.1, 0.1], to: [0.9, 0.1] },
    { kind: 'rect', ...style, x: 0.2, y: 0.3, w: 0.4, h: 0.4 },
    { kind: 'ellipse', ...style, x: 0.5, y: 0.5, w: 0.2, h: 0.2 },
    {
      kind: 'pen',
      ...style,
      points: [
        [0.05, 0.9],
        [0.1, 0.95],
      ],
    },
    { kind: 'text', ...style, x: 0.7, y: 0.2, text: 'fix', size: 0.05 },
  ];
  const W = 1920,
    H = 1080;
  it('finds shapes near their outline', () => {
    expect(hitTest(shapes, [0.5, 0.101], W, H, 4)).toBe(0);
    expect(hitTest(shapes, [0.2, 0.5], W, H, 4)).toBe(1); // left edge of the rectangle
    expect(hitTest(shapes, [0.7, 0.6], W, H, 4)).toBe(2); // right of the ellipse
    expect(hitTest(shapes, [0.075, 0.925], W, H, 4)).toBe(3);
    expect(hitTest(shapes, [0.71, 0.19], W, H, 4)).toBe(4);
  });
  it('misses empty space and rectangle interiors', () => {
    expect(hitTest(shapes, [0.35, 0.45], W, H, 4)).toBe(-1);
    expect(hitTest(shapes, [0.95, 0.95], W, H, 4)).toBe(-1);
  });
  it('erase removes only the top-most hit', () => {
    expect(erase(shapes, [0.5, 0.1], W, H, 4)).toHaveLength(4);
    expect(erase(shapes, [0.99, 0.99], W, H, 4)).toHaveLength(5);
  });
});

describe('undo/redo and serialisation', () => {
  it('undoes and redoes', () => {
    let s = undoInit<number[]>([]);
    s = undoPush(s, [1]);
    s = undoPush(s, [1, 2]);
    s = undo(s);
    expect(s.present).toEqual([1]);
    s = redo(s);
    expect(s.present).toEqual([1, 2]);
    s = undo(undo(undo(s)));
    expect(s.present).toEqual([]);
    s = undoPush(s, [9]);
    expect(s.future).toEqual([]);
  });
  it('converts to the server schema (clamped, rounded) and back', () => {
    const shapes: Shape[] = [
      { kind: 'arrow', color: '#00FF00', width: 0.01, from: [0.123456789, 0.5], to: [1.2, 0.7] },
      { kind: 'ellipse', ...style, x: 0.2, y: 0.2, w: 0.2, h: 0.1 },
      { kind: 'rect', ...style, x: 0.9, y: 0.9, w: 0.3, h: 0.05 },
      {
        kind: 'pen',
        ...style,
        points: [
          [0.1, 0.1, 0.5],
          [0.2, 0.2],
        ],
      },
      { kind: 'text', ...style, x: 0.5, y: 0.5, text: 'hi', size: 0.04 },
    ];
    const wire = toWireDrawing({ version: 1, shapes });
    expect(wire.shapes[0]).toEqual({
      type: 'arrow',
      color: '#00ff00',
      width: 0.01,
      from: { x: 0.12346, y: 0.5 },
      to: { x: 1, y: 0.7 },
    });
    expect(wire.shapes[1]).toMatchObject({ type: 'ellipse', cx: 0.3, cy: 0.25, rx: 0.1, ry: 0.05 });
    expect(wire.shapes[2]).toMatchObject({ type: 'rect', x: 0.9, w: 0.1 });
    expect(wire.shapes[3]).toMatchObject({
      type: 'freehand',
      points: [
        { x: 0.1, y: 0.1, pressure: 0.5 },
        { x: 0.2, y: 0.2 },
      ],
    });
    const back = fromWireDrawing(JSON.parse(JSON.stringify(wire)) as typeof wire);
    expect(back?.shapes).toHaveLength(5);
    expect(back?.shapes[1]).toMatchObject({ kind: 'ellipse' });
    expect((back?.shapes[1] as { x: number }).x).toBeCloseTo(0.2, 9);
    expect(back?.shapes[3]).toMatchObject({
      kind: 'pen',
      points: [
        [0.1, 0.1, 0.5],
        [0.2, 0.2],
      ],
    });
    expect(fromWireDrawing(null)).toBeNull();
    // What is sent is held to the domain's rule, as the server holds it.
    expect(() => toWireDrawing({ version: 1, shapes: [{ ...shapes[0]!, color: 'red' }] })).toThrow(
      /drawing\.shapes\[0\]\.color/,
    );
  });
});

/** Canvas over the picture: shows drawings and, with a tool selected, draws new shapes. */
import { useEffect, useRef, useState } from 'react';
import {
  beginShape,
  clamp01,
  erase,
  finishShape,
  toNormalised,
  toView,
  updateShape,
  type Shape,
  type ShapeKind,
  type Tool,
  type Viewport,
} from '../lib/drawing.js';
import { paintShapes } from '../lib/render.js';

export interface DrawingLayerProps {
  viewport: Viewport;
  /** Shapes of notes shown read-only (the note on this frame). */
  shown: readonly Shape[];
  /** Onion skin: drawings of the nearest frames before and after, painted faint and tinted. */
  ghosts?: ReadonlyArray<{ shapes: readonly Shape[]; tint: 'before' | 'after' }>;
  /** Shapes being edited. */
  editing: readonly Shape[];
  tool: Tool | null;
  color: string;
  width: number;
  onCommit: (shapes: Shape[]) => void;
}

/** Onion skin colours as in animation tools: earlier frames red, later frames green. */
const GHOST_TINT = { before: '#ff5a5a', after: '#5aff7a' } as const;
const GHOST_ALPHA = 0.35;

export function DrawingLayer({
  viewport,
  shown,
  ghosts = [],
  editing,
  tool,
  color,
  width,
  onCommit,
}: DrawingLayerProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [draft, setDraft] = useState<Shape | null>(null);
  const [textAt, setTextAt] = useState<[number, number] | null>(null);
  const [text, setText] = useState('');

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(viewport.containerWidth * dpr);
    const h = Math.round(viewport.containerHeight * dpr);
    if (c.width !== w) c.width = w;
    if (c.height !== h) c.height = h;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, w, h);
    for (const g of ghosts) {
      ctx.save();
      ctx.globalAlpha = GHOST_ALPHA;
      paintShapes(
        ctx,
        g.shapes.map((s) => ({ ...s, color: GHOST_TINT[g.tint] })),
        viewport,
        dpr,
      );
      ctx.restore();
    }
    paintShapes(ctx, [...shown, ...editing, ...(draft ? [draft] : [])], viewport, dpr);
  }, [viewport, shown, ghosts, editing, draft]);

  const point = (e: React.PointerEvent): [number, number, number] => {
    const r = e.currentTarget.getBoundingClientRect();
    const [x, y] = toNormalised(e.clientX - r.left, e.clientY - r.top, viewport);
    const pressure = e.pointerType === 'pen' ? e.pressure : 1;
    return [clamp01(x), clamp01(y), pressure];
  };
  const aspect = viewport.imageWidth / Math.max(1, viewport.imageHeight);
  const style = { color, width };
  const tol = 6 / Math.max(1e-6, viewport.containerHeight / viewport.imageHeight) / viewport.zoom;

  function commitText() {
    if (textAt && text.trim()) onCommit([...editing, beginShape('text', textAt, style, text.trim())]);
    setTextAt(null);
    setText('');
  }

  return (
    <>
      <canvas
        ref={canvas}
        className={`drawing-layer ${tool ? 'active' : ''}`}
        style={{
          width: viewport.containerWidth,
          height: viewport.containerHeight,
          pointerEvents: tool ? 'auto' : 'none',
        }}
        data-testid="drawing-canvas"
        aria-hidden="true"
        onPointerDown={(e) => {
          if (!tool || e.button !== 0) return;
          e.stopPropagation();
          e.currentTarget.setPointerCapture(e.pointerId);
          const p = point(e);
          if (tool === 'eraser')
            onCommit(erase(editing, [p[0], p[1]], viewport.imageWidth, viewport.imageHeight, tol));
          else if (tool === 'text') {
            commitText();
            setTextAt([p[0], p[1]]);
          } else setDraft(beginShape(tool as ShapeKind, tool === 'pen' ? p : [p[0], p[1]], style));
        }}
        onPointerMove={(e) => {
          if (tool === 'eraser' && e.buttons === 1) {
            const p = point(e);
            const next = erase(editing, [p[0], p[1]], viewport.imageWidth, viewport.imageHeight, tol);
            if (next.length !== editing.length) onCommit(next);
          }
          if (!draft) return;
          const p = point(e);
          setDraft(
            updateShape(draft, draft.kind === 'pen' ? p : [p[0], p[1]], { constrain: e.shiftKey, aspect }),
          );
        }}
        onPointerUp={() => {
          if (!draft) return;
          const done = finishShape(draft);
          setDraft(null);
          if (done) onCommit([...editing, done]);
        }}
      />
      {textAt && (
        <input
          className="text-entry"
          autoFocus
          aria-label="Text to draw"
          style={{
            left: toView(textAt[0], textAt[1], viewport)[0],
            top: toView(textAt[0], textAt[1], viewport)[1] - 28,
            color,
          }}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            e.stopPropagation();
            if (e.key === 'Enter') commitText();
            if (e.key === 'Escape') {
              setTextAt(null);
              setText('');
            }
          }}
          onBlur={commitText}
        />
      )}
    </>
  );
}

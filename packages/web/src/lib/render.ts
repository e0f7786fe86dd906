/** Paints drawings on a 2D canvas through the viewport transform. */
import { arrowHead, imageRect, toView, type Shape, type Viewport } from './drawing.js';

export function paintShapes(
  ctx: CanvasRenderingContext2D,
  shapes: readonly Shape[],
  v: Viewport,
  dpr: number,
): void {
  const rect = imageRect(v);
  ctx.save();
  ctx.scale(dpr, dpr);
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const s of shapes) {
    const lw = Math.max(1, s.width * rect.height);
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = lw;
    switch (s.kind) {
      case 'pen': {
        const pts = s.points.map((p) => [...toView(p[0], p[1], v), p[2] ?? 1] as const);
        if (pts.length === 1) {
          ctx.beginPath();
          ctx.arc(pts[0]![0], pts[0]![1], (lw * pts[0]![2]) / 2, 0, Math.PI * 2);
          ctx.fill();
          break;
        }
        for (let i = 1; i < pts.length; i++) {
          const a = pts[i - 1]!;
          const b = pts[i]!;
          ctx.lineWidth = Math.max(1, lw * ((a[2] + b[2]) / 2));
          ctx.beginPath();
          ctx.moveTo(a[0], a[1]);
          ctx.lineTo(b[0], b[1]);
          ctx.stroke();
        }
        break;
      }
      case 'line':
      case 'arrow': {
        const a = toView(s.from[0], s.from[1], v);
        const b = toView(s.to[0], s.to[1], v);
        const head = Math.min(Math.max(lw * 4, 8), Math.hypot(b[0] - a[0], b[1] - a[1]) * 0.5);
        ctx.beginPath();
        ctx.moveTo(a[0], a[1]);
        ctx.lineTo(b[0], b[1]);
        ctx.stroke();
        if (s.kind === 'arrow') {
          const [h1, h2] = arrowHead(a, b, head);
          ctx.beginPath();
          ctx.moveTo(b[0], b[1]);
          ctx.lineTo(h1[0], h1[1]);
          ctx.lineTo(h2[0], h2[1]);
          ctx.closePath();
          ctx.fill();
        }
        break;
      }
      case 'rect': {
        const [x, y] = toView(s.x, s.y, v);
        ctx.strokeRect(x, y, s.w * rect.width, s.h * rect.height);
        break;
      }
      case 'ellipse': {
        const [cx, cy] = toView(s.x + s.w / 2, s.y + s.h / 2, v);
        ctx.beginPath();
        ctx.ellipse(
          cx,
          cy,
          Math.abs((s.w * rect.width) / 2),
          Math.abs((s.h * rect.height) / 2),
          0,
          0,
          Math.PI * 2,
        );
        ctx.stroke();
        break;
      }
      case 'text': {
        const [x, y] = toView(s.x, s.y, v);
        ctx.font = `${Math.max(8, s.size * rect.height)}px system-ui, sans-serif`;
        ctx.lineWidth = 3;
        ctx.strokeStyle = 'rgba(0,0,0,0.6)';
        ctx.strokeText(s.text, x, y);
        ctx.fillText(s.text, x, y);
        break;
      }
    }
  }
  ctx.restore();
}

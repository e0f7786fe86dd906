import type { Tool } from '../lib/drawing.js';

export const TOOL_KEYS: Record<string, Tool | null> = {
  v: null,
  p: 'pen',
  u: 'line',
  w: 'arrow',
  x: 'rect',
  q: 'ellipse',
  t: 'text',
  e: 'eraser',
};
const LABELS: Array<[Tool | null, string, string]> = [
  [null, 'Move', 'V'],
  ['pen', 'Pen', 'P'],
  ['line', 'Line', 'U'],
  ['arrow', 'Arrow', 'W'],
  ['rect', 'Rectangle', 'X'],
  ['ellipse', 'Ellipse', 'Q'],
  ['text', 'Text', 'T'],
  ['eraser', 'Eraser', 'E'],
];
export const COLORS = ['#ff3b30', '#ffcc00', '#34c759', '#0a84ff', '#ffffff', '#000000'];
export const WIDTHS: Array<[number, string]> = [
  [0.002, 'Thin'],
  [0.004, 'Medium'],
  [0.008, 'Thick'],
];

interface Props {
  tool: Tool | null;
  color: string;
  width: number;
  canUndo: boolean;
  canRedo: boolean;
  onTool: (t: Tool | null) => void;
  onColor: (c: string) => void;
  onWidth: (w: number) => void;
  onUndo: () => void;
  onRedo: () => void;
  onClear: () => void;
}

export function DrawTools(p: Props) {
  return (
    <div className="draw-tools" role="toolbar" aria-label="Drawing tools">
      {LABELS.map(([t, label, key]) => (
        <button
          key={label}
          type="button"
          aria-pressed={p.tool === t}
          onClick={() => p.onTool(t)}
          title={`${label} (${key})`}
          aria-keyshortcuts={key}
        >
          {label}
        </button>
      ))}
      <span className="sep" />
      {COLORS.map((c) => (
        <button
          key={c}
          type="button"
          className="swatch"
          style={{ background: c }}
          aria-label={`Colour ${c}`}
          aria-pressed={p.color === c}
          onClick={() => p.onColor(c)}
        />
      ))}
      <label className="sr-only" htmlFor="stroke-width">
        Stroke width
      </label>
      <select
        id="stroke-width"
        value={p.width}
        onChange={(e) => p.onWidth(Number(e.target.value))}
        aria-label="Stroke width"
      >
        {WIDTHS.map(([w, l]) => (
          <option key={w} value={w}>
            {l}
          </option>
        ))}
      </select>
      <span className="sep" />
      <button
        type="button"
        onClick={p.onUndo}
        disabled={!p.canUndo}
        title="Undo (Ctrl+Z)"
        aria-keyshortcuts="Control+Z"
      >
        Undo
      </button>
      <button
        type="button"
        onClick={p.onRedo}
        disabled={!p.canRedo}
        title="Redo (Ctrl+Shift+Z)"
        aria-keyshortcuts="Control+Shift+Z"
      >
        Redo
      </button>
      <button type="button" onClick={p.onClear} disabled={!p.canUndo} title="Clear the drawing">
        Clear
      </button>
    </div>
  );
}

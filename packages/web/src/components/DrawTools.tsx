import type { Tool } from '../lib/drawing.js';
import { SHORTCUTS, keyCap, type ShortcutId } from '../lib/shortcuts.js';

/** Each tool with its shortcut (from the one table, lib/shortcuts.ts) and its label. */
const TOOLS: Array<[Tool | null, string, ShortcutId]> = [
  [null, 'Move', 'toolSelect'],
  ['pen', 'Pen', 'toolPen'],
  ['line', 'Line', 'toolLine'],
  ['arrow', 'Arrow', 'toolArrow'],
  ['rect', 'Rectangle', 'toolRect'],
  ['ellipse', 'Ellipse', 'toolEllipse'],
  ['text', 'Text', 'toolText'],
  ['eraser', 'Eraser', 'toolEraser'],
];
/** Tool by its shortcut's id, for the page's key handlers. */
export const TOOL_OF: Partial<Record<ShortcutId, Tool | null>> = Object.fromEntries(
  TOOLS.map(([tool, , id]) => [id, tool]),
);
const LABELS: Array<[Tool | null, string, string]> = TOOLS.map(([tool, label, id]) => [
  tool,
  label,
  keyCap(SHORTCUTS[id].keys[0]!),
]);
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
  /** Onion skin on/off; undefined hides the toggle (stills have no neighbouring frames). */
  onion?: boolean;
  onOnion?: () => void;
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
      {p.onion !== undefined && (
        <>
          <span className="sep" />
          <button
            type="button"
            aria-pressed={p.onion}
            onClick={p.onOnion}
            title="Onion skin: show the drawings of the nearest frames before and after, faint (Shift+O)"
            aria-keyshortcuts="Shift+O"
          >
            Onion skin
          </button>
        </>
      )}
    </div>
  );
}

/** Play controls, frame counter, timecode and the timeline with note markers and in/out. */
import { frameToTimecode, formatFps, type Rational } from '../lib/timecode.js';
import type { Player } from '../lib/usePlayer.js';

interface Props {
  player: Player;
  fps: Rational;
  frameCount: number;
  startFrame: number;
  dropFrame: boolean;
  markers: Array<{ frame: number; id: string; resolved: boolean }>;
  onMarker: (id: string) => void;
}

export function Transport({ player, fps, frameCount, startFrame, dropFrame, markers, onMarker }: Props) {
  const pct = (f: number) => `${(100 * f) / Math.max(1, frameCount - 1)}%`;
  const scrub = (e: React.PointerEvent<HTMLDivElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    player.seek(Math.round(((e.clientX - r.left) / r.width) * (frameCount - 1)));
  };
  return (
    <div className="transport">
      <div className="controls" role="toolbar" aria-label="Playback">
        <button
          type="button"
          onClick={player.first}
          title="First frame (Home)"
          aria-label="First frame"
          aria-keyshortcuts="Home"
        >
          |◀
        </button>
        <button
          type="button"
          onClick={() => player.step(-1)}
          title="Previous frame (←)"
          aria-label="Previous frame"
          aria-keyshortcuts="ArrowLeft"
        >
          ◀▮
        </button>
        <button
          type="button"
          onClick={player.toggle}
          aria-label={player.playing ? 'Pause' : 'Play'}
          title="Play/pause (Space)"
          aria-keyshortcuts="Space"
        >
          {player.playing ? '❚❚' : '▶'}
        </button>
        <button
          type="button"
          onClick={() => player.step(1)}
          title="Next frame (→)"
          aria-label="Next frame"
          aria-keyshortcuts="ArrowRight"
        >
          ▮▶
        </button>
        <button
          type="button"
          onClick={player.last}
          title="Last frame (End)"
          aria-label="Last frame"
          aria-keyshortcuts="End"
        >
          ▶|
        </button>
        <button
          type="button"
          onClick={() => player.setIn(player.frame)}
          title="Set in point (I)"
          aria-keyshortcuts="I"
        >
          In
        </button>
        <button
          type="button"
          onClick={() => player.setOut(player.frame)}
          title="Set out point (O)"
          aria-keyshortcuts="O"
        >
          Out
        </button>
        <button
          type="button"
          onClick={() => {
            player.setIn(null);
            player.setOut(null);
          }}
          title="Clear in/out (Shift+X)"
          disabled={player.inPoint === null && player.outPoint === null}
        >
          Clear in/out
        </button>
        <label className="check">
          <input type="checkbox" checked={player.loop} onChange={(e) => player.setLoop(e.target.checked)} />{' '}
          Loop (L)
        </label>
        <span className="spacer" />
        <output className="frame-counter" data-testid="frame-counter" aria-label="Frame">
          {startFrame + player.frame}
        </output>
        <span className="muted">/ {startFrame + frameCount - 1}</span>
        <output className="timecode" data-testid="timecode" aria-label="Timecode">
          {frameToTimecode(player.frame, fps, dropFrame)}
        </output>
        <span className="muted">{formatFps(fps)} fps</span>
      </div>
      <div
        className="timeline"
        role="slider"
        tabIndex={0}
        aria-label="Timeline"
        aria-valuemin={startFrame}
        aria-valuemax={startFrame + frameCount - 1}
        aria-valuenow={startFrame + player.frame}
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          scrub(e);
        }}
        onPointerMove={(e) => e.buttons === 1 && scrub(e)}
      >
        {(player.inPoint !== null || player.outPoint !== null) && (
          <div
            className="inout"
            style={{
              left: pct(player.inPoint ?? 0),
              right: `calc(100% - ${pct(player.outPoint ?? frameCount - 1)})`,
            }}
          />
        )}
        {markers.map((m) => (
          <button
            key={m.id}
            type="button"
            className={`marker ${m.resolved ? 'resolved' : ''}`}
            style={{ left: pct(m.frame) }}
            aria-label={`Note at frame ${startFrame + m.frame}`}
            onPointerDown={(e) => e.stopPropagation()}
            onClick={() => onMarker(m.id)}
          />
        ))}
        <div className="playhead" style={{ left: pct(player.frame) }} />
      </div>
    </div>
  );
}

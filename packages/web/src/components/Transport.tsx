/**
 * Play controls, the frame counter and timecode (source frame and source timecode, or 0-based
 * with the toggle), and the timeline (thumbnails, ticks, note markers, in/out).
 */
import { frameLabel, formatFps, type PlayerTiming } from '../lib/timecode.js';
import { useZeroBased } from '../lib/zeroBased.js';
import type { WaveformPeaksDocument } from '@montu/domain';
import type { SpriteIndex } from '../lib/timeline.js';
import type { Player } from '../lib/usePlayer.js';
import { Timeline, type TimelineMarker } from './Timeline.js';

interface Props {
  player: Player;
  /** The item's timing: the counter names frames by it (source frame and source timecode). */
  timing: PlayerTiming;
  markers: Array<{ frame: number; id: string; resolved: boolean; frameEnd?: number | null }>;
  onMarker: (id: string) => void;
  /** The sprite sheet for the thumbnail strip and hover previews. */
  sprite?: { index: SpriteIndex; url: string } | null;
  /** Audio peaks for the timeline's waveform (clips with sound). */
  waveform?: WaveformPeaksDocument | null;
}

export function Transport({ player, timing, markers, onMarker, sprite = null, waveform = null }: Props) {
  const [zeroBased, setZeroBased] = useZeroBased();
  const { fps, frameCount } = timing;
  // The viewer, compare and a live session all name frames with the one function.
  const name = (f: number) => frameLabel(f, timing, zeroBased);
  const now = name(player.frame);
  const last = name(frameCount - 1);
  const first = name(0);
  const timelineMarkers: TimelineMarker[] = markers.map((m) => ({
    ...m,
    label: `Note at frame ${name(m.frame).frame}`,
  }));
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
        <output
          className="frame-counter"
          data-testid="frame-counter"
          data-settled={player.settled}
          data-index={player.frame}
          aria-label="Frame"
        >
          {now.frame}
        </output>
        <span className="muted">/ {last.frame}</span>
        <output className="timecode" data-testid="timecode" aria-label="Timecode">
          {now.timecode}
        </output>
        <span className="muted">{formatFps(fps)} fps</span>
        <button
          type="button"
          aria-pressed={zeroBased}
          onClick={() => setZeroBased(!zeroBased)}
          title={
            zeroBased
              ? 'Showing frames from 0 and timecode from 00:00:00:00: click for source frame and timecode'
              : 'Showing source frame and source timecode: click to count from 0'
          }
        >
          0-based
        </button>
      </div>
      <Timeline
        frame={player.frame}
        frameCount={frameCount}
        fps={fps.num / fps.den}
        inPoint={player.inPoint}
        outPoint={player.outPoint}
        markers={timelineMarkers}
        sprite={sprite}
        waveform={waveform}
        name={(f) => {
          const n = name(f);
          return `frame ${n.frame} · ${n.timecode}`;
        }}
        valueNow={now.frame}
        valueMin={first.frame}
        valueMax={last.frame}
        onSeek={player.seek}
        onMarker={onMarker}
      />
    </div>
  );
}

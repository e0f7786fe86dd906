/**
 * The scrub bar: a thumbnail strip from the sprite sheet, frame ticks, note markers (a click
 * jumps to the note's frame), in/out, the playhead, and a hover preview of any frame (the
 * nearest sprite tile with the frame's name). Frames own equal cells (lib/timeline.ts).
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { peakBetween, type WaveformPeaksDocument } from '@montu/domain';
import {
  frameAtX,
  frameCentre,
  frameEdge,
  nearestTile,
  tickSpacing,
  tileStyle,
  type SpriteIndex,
} from '../lib/timeline.js';

export interface TimelineMarker {
  id: string;
  /** Player index of the note's first frame. */
  frame: number;
  /** Player index of its last frame when held over a range. */
  frameEnd?: number | null;
  resolved: boolean;
  label: string;
}

interface Props {
  frame: number;
  frameCount: number;
  fps: number;
  inPoint: number | null;
  outPoint: number | null;
  markers: readonly TimelineMarker[];
  sprite: { index: SpriteIndex; url: string } | null;
  /** Audio peaks of a clip with sound (the `waveform` rendition), drawn under the thumbnails. */
  waveform?: WaveformPeaksDocument | null;
  /** Names a frame for people (source frame and timecode, or 0-based). */
  name: (frame: number) => string;
  /** The slider's value for assistive tech (the displayed frame number). */
  valueNow: number;
  valueMin: number;
  valueMax: number;
  onSeek: (frame: number) => void;
  onMarker: (id: string) => void;
}

const STRIP_HEIGHT = 36;
const WAVE_HEIGHT = 18;
const PREVIEW_HEIGHT = 90;

export function Timeline(p: Props) {
  const bar = useRef<HTMLDivElement>(null);
  const ticks = useRef<HTMLCanvasElement>(null);
  const wave = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  const [hover, setHover] = useState<{ x: number; frame: number } | null>(null);

  useLayoutEffect(() => {
    const el = bar.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const c = ticks.current;
    if (!c || width <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    const h = 10;
    c.width = Math.round(width * dpr);
    c.height = Math.round(h * dpr);
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.scale(dpr, dpr);
    const { step, major } = tickSpacing(width, p.frameCount, p.fps);
    ctx.fillStyle = 'rgba(255,255,255,0.55)';
    for (let f = 0; f < p.frameCount; f += step) {
      const x = Math.round(frameCentre(f, p.frameCount) * width);
      const tall = f % major === 0;
      ctx.fillRect(x, tall ? 0 : h / 2, 1, tall ? h : h / 2);
    }
  }, [width, p.frameCount, p.fps]);

  // The waveform: one bar per device pixel column, the loudest peak of the frames under it.
  useEffect(() => {
    const c = wave.current;
    const doc = p.waveform;
    if (!c || !doc || width <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr);
    c.height = Math.round(WAVE_HEIGHT * dpr);
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, c.width, c.height);
    ctx.fillStyle = 'rgba(143, 199, 255, 0.9)';
    const seconds = p.frameCount / p.fps;
    for (let x = 0; x < c.width; x++) {
      const peak = peakBetween(doc, (x / c.width) * seconds, ((x + 1) / c.width) * seconds);
      // Heights on a 48 dB scale (as the audio thumbnails' log scale): quiet takes still show.
      const level = peak > 0 ? Math.max(0, 1 + (20 * Math.log10(peak)) / 48) : 0;
      const h = Math.max(peak > 0 ? 1 : 0, Math.round(level * c.height));
      ctx.fillRect(x, (c.height - h) / 2, 1, h);
    }
  }, [width, p.waveform, p.frameCount, p.fps]);

  const at = (clientX: number) => {
    const r = bar.current!.getBoundingClientRect();
    return { x: clientX - r.left, frame: frameAtX(clientX - r.left, r.width, p.frameCount) };
  };

  // One thumbnail per slot that fits, each showing the tile nearest its slot's middle frame.
  const strip: Array<{ left: number; tile: number }> = [];
  if (p.sprite && width > 0) {
    const tileW = (p.sprite.index.tileWidth * STRIP_HEIGHT) / p.sprite.index.tileHeight;
    const slots = Math.max(1, Math.ceil(width / tileW));
    for (let i = 0; i < slots; i++) {
      const mid = frameAtX((i + 0.5) * tileW, width, p.frameCount);
      strip.push({ left: i * tileW, tile: nearestTile(p.sprite.index, mid) });
    }
  }
  const pct = (f: number) => `${100 * f}%`;

  return (
    <div className="timeline-wrap">
      <div
        ref={bar}
        className={`timeline ${p.sprite ? 'with-strip' : ''} ${p.waveform ? 'with-wave' : ''}`}
        role="slider"
        tabIndex={0}
        aria-label="Timeline"
        aria-valuemin={p.valueMin}
        aria-valuemax={p.valueMax}
        aria-valuenow={p.valueNow}
        aria-valuetext={p.name(p.frame)}
        data-testid="timeline"
        data-frame-count={p.frameCount}
        onPointerDown={(e) => {
          if (e.button !== 0) return;
          e.currentTarget.setPointerCapture(e.pointerId);
          p.onSeek(at(e.clientX).frame);
        }}
        onPointerMove={(e) => {
          const h = at(e.clientX);
          setHover(h);
          if (e.buttons === 1) p.onSeek(h.frame);
        }}
        onPointerLeave={() => setHover(null)}
        onKeyDown={(e) => {
          // A focused slider takes its own arrows (the page's keys leave focused controls alone).
          const to =
            e.key === 'ArrowLeft' || e.key === 'ArrowDown'
              ? p.frame - (e.shiftKey ? 10 : 1)
              : e.key === 'ArrowRight' || e.key === 'ArrowUp'
                ? p.frame + (e.shiftKey ? 10 : 1)
                : e.key === 'Home'
                  ? 0
                  : e.key === 'End'
                    ? p.frameCount - 1
                    : null;
          if (to === null) return;
          e.preventDefault();
          e.stopPropagation();
          p.onSeek(Math.min(p.frameCount - 1, Math.max(0, to)));
        }}
      >
        {p.sprite && (
          <div className="thumb-strip" aria-hidden="true" data-testid="thumb-strip">
            {strip.map((s, i) => (
              <div
                key={i}
                className="thumb-tile"
                style={{
                  left: s.left,
                  ...tileStyle(p.sprite!.index, p.sprite!.url, s.tile, STRIP_HEIGHT),
                }}
              />
            ))}
          </div>
        )}
        {p.waveform && (
          <canvas
            ref={wave}
            className="wave"
            style={{ width, height: WAVE_HEIGHT }}
            aria-hidden="true"
            data-testid="waveform"
          />
        )}
        <canvas ref={ticks} className="ticks" style={{ width }} aria-hidden="true" />
        {(p.inPoint !== null || p.outPoint !== null) && (
          <div
            className="inout"
            style={{
              left: pct(frameEdge(p.inPoint ?? 0, p.frameCount)),
              right: `calc(100% - ${pct(frameEdge((p.outPoint ?? p.frameCount - 1) + 1, p.frameCount))})`,
            }}
          />
        )}
        {p.markers.map((m) => (
          <button
            key={m.id}
            type="button"
            className={`marker ${m.resolved ? 'resolved' : ''} ${m.frameEnd != null && m.frameEnd > m.frame ? 'held' : ''}`}
            style={
              m.frameEnd != null && m.frameEnd > m.frame
                ? {
                    left: pct(frameEdge(m.frame, p.frameCount)),
                    width: pct(frameEdge(m.frameEnd + 1, p.frameCount) - frameEdge(m.frame, p.frameCount)),
                  }
                : { left: pct(frameCentre(m.frame, p.frameCount)) }
            }
            aria-label={m.label}
            title={m.label}
            data-frame={m.frame}
            onPointerDown={(e) => e.stopPropagation()}
            onClick={() => p.onMarker(m.id)}
          />
        ))}
        <div className="playhead" style={{ left: pct(frameCentre(p.frame, p.frameCount)) }} />
      </div>
      {hover && (
        <div
          className="timeline-preview"
          role="tooltip"
          data-testid="timeline-preview"
          data-frame={hover.frame}
          style={{ left: Math.min(Math.max(0, hover.x - 80), Math.max(0, width - 160)) }}
        >
          {p.sprite && (
            <div
              className="preview-tile"
              style={tileStyle(
                p.sprite.index,
                p.sprite.url,
                nearestTile(p.sprite.index, hover.frame),
                PREVIEW_HEIGHT,
              )}
            />
          )}
          <span>{p.name(hover.frame)}</span>
        </div>
      )}
    </div>
  );
}

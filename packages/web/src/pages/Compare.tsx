/** Two versions of a task: side by side, wipe (draggable divider) or A/B toggle, frame-synced. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, type CompareResult, type Media, type MediaSummary } from '../api/index.js';
import { mediaTiming, frameToSeekTime } from '../lib/timecode.js';
import { usePlayer } from '../lib/usePlayer.js';
import { useKeys } from '../lib/useKeys.js';
import { navigate } from '../lib/router.js';
import { Stage } from '../components/Stage.js';
import { MediaView, isMoving } from '../components/MediaView.js';
import { Transport } from '../components/Transport.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { imageRect, type Viewport } from '../lib/drawing.js';

type Mode = 'side' | 'wipe' | 'toggle';

export default function Compare({
  projectId,
  taskId,
  a,
  b,
  mode: initialMode,
}: {
  projectId: string;
  taskId: string;
  a: string | null;
  b: string | null;
  mode: string | null;
}) {
  const [versions, setVersions] = useState<Media[]>([]);
  const [data, setData] = useState<CompareResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>(
    initialMode === 'side' || initialMode === 'toggle' ? initialMode : 'wipe',
  );

  useEffect(() => {
    api.versions(taskId, projectId).then(setVersions, () => setVersions([]));
  }, [taskId, projectId]);
  const va = a ?? versions[1]?.version ?? versions[0]?.version ?? null;
  const vb = b ?? versions[0]?.version ?? null;
  useEffect(() => {
    if (!va || !vb) return;
    setData(null);
    api.compare(taskId, projectId, va, vb).then(setData, (e: Error) => setError(e.message));
  }, [taskId, projectId, va, vb]);

  const pick = (side: 'a' | 'b', v: string) =>
    navigate(
      `/compare/${encodeURIComponent(projectId)}/${encodeURIComponent(taskId)}?a=${side === 'a' ? v : va}&b=${side === 'b' ? v : vb}&mode=${mode}`,
      true,
    );

  return (
    <div className="compare">
      <div className="viewer-head">
        <h1>Compare {taskId}</h1>
        {(['a', 'b'] as const).map((side) => (
          <label key={side}>
            {side.toUpperCase()}{' '}
            <select
              aria-label={`Version ${side.toUpperCase()}`}
              value={(side === 'a' ? va : vb) ?? ''}
              onChange={(e) => pick(side, e.target.value)}
            >
              {versions.map((v) => (
                <option key={v.id} value={v.version}>
                  {v.version} — {v.status}
                </option>
              ))}
            </select>
          </label>
        ))}
        <div role="group" aria-label="Compare mode" className="toolbar-group">
          {(['side', 'wipe', 'toggle'] as Mode[]).map((m) => (
            <button key={m} type="button" aria-pressed={mode === m} onClick={() => setMode(m)}>
              {m === 'side' ? 'Side by side' : m === 'wipe' ? 'Wipe' : 'A/B toggle'}
            </button>
          ))}
        </div>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {data ? (
        <CompareView key={`${data.a.media.id}-${data.b.media.id}`} data={data} mode={mode} />
      ) : (
        !error && <div className="splash">Loading…</div>
      )}
    </div>
  );
}

function CompareView({ data, mode }: { data: CompareResult; mode: Mode }) {
  const A = data.a.media;
  const B = data.b.media;
  const ta = useMemo(() => mediaTiming(A), [A]);
  const tb = useMemo(() => mediaTiming(B), [B]);
  const [videoA, setVideoA] = useState<HTMLVideoElement | null>(null);
  const [videoB, setVideoB] = useState<HTMLVideoElement | null>(null);
  const frameCount = Math.max(ta.frameCount, tb.frameCount);
  const player = usePlayer(videoA, ta.fps, frameCount);
  const [showB, setShowB] = useState(false);
  const [wipe, setWipe] = useState(0.5);
  const base: Viewport = {
    containerWidth: 800,
    containerHeight: 450,
    imageWidth: Number(A.metadata.width) || 1920,
    imageHeight: Number(A.metadata.height) || 1080,
    zoom: 1,
    panX: 0,
    panY: 0,
  };
  const [vpA, setVpA] = useState<Viewport>(base);
  const [vpB, setVpB] = useState<Viewport>({
    ...base,
    imageWidth: Number(B.metadata.width) || base.imageWidth,
    imageHeight: Number(B.metadata.height) || base.imageHeight,
  });

  // B follows A frame by frame: the same frame index (sequences aligned by their own numbers).
  const offset = (data.alignment?.offsetB ?? 0) - (data.alignment?.offsetA ?? 0);
  useEffect(() => {
    if (!videoB) return;
    const target = Math.max(0, player.frame + offset);
    if (!player.playing) {
      videoB.pause();
      videoB.currentTime = frameToSeekTime(target, tb.fps);
    } else {
      if (videoB.paused) void videoB.play();
      const drift = Math.abs(videoB.currentTime - frameToSeekTime(target, tb.fps));
      if (drift > (1.5 * tb.fps.den) / tb.fps.num) videoB.currentTime = frameToSeekTime(target, tb.fps);
    }
  }, [player.frame, player.playing, videoB, offset, tb.fps]);

  useKeys({
    ' ': () => player.toggle(),
    ArrowLeft: () => player.step(-1),
    ArrowRight: () => player.step(1),
    Home: () => player.first(),
    End: () => player.last(),
    a: () => setShowB(false),
    b: () => setShowB(true),
    t: () => setShowB((s) => !s),
  });

  const onSizeA = useCallback(
    (w: number, h: number) => setVpA((v) => ({ ...v, imageWidth: w, imageHeight: h })),
    [],
  );
  const onSizeB = useCallback(
    (w: number, h: number) => setVpB((v) => ({ ...v, imageWidth: w, imageHeight: h })),
    [],
  );
  // In wipe/toggle both pictures share A's zoom and pan.
  const shared = (v: Viewport) => {
    setVpA(v);
    setVpB((b) => ({
      ...b,
      containerWidth: v.containerWidth,
      containerHeight: v.containerHeight,
      zoom: v.zoom,
      panX: v.panX,
      panY: v.panY,
    }));
  };

  const label = (m: MediaSummary, side: string) => (
    <span className="compare-label">
      {side} · {m.version} <StatusBadge status={m.status} />
    </span>
  );

  return (
    <>
      {mode === 'side' ? (
        <div className="compare-side">
          <div className="compare-pane">
            {label(A, 'A')}
            <Stage
              viewport={vpA}
              onViewport={setVpA}
              channel="rgb"
              panEnabled
              label={`Version A ${A.version}`}
            >
              {(style) => <MediaView media={A} style={style} videoRef={setVideoA} onSize={onSizeA} />}
            </Stage>
          </div>
          <div className="compare-pane">
            {label(B, 'B')}
            <Stage
              viewport={vpB}
              onViewport={setVpB}
              channel="rgb"
              panEnabled
              label={`Version B ${B.version}`}
            >
              {(style) => <MediaView media={B} style={style} videoRef={setVideoB} onSize={onSizeB} />}
            </Stage>
          </div>
        </div>
      ) : (
        <div className="compare-stack" data-testid="compare-stack">
          <Stage
            viewport={vpA}
            onViewport={shared}
            channel="rgb"
            panEnabled={mode === 'toggle'}
            label={
              mode === 'wipe'
                ? `Wipe: A ${A.version} left, B ${B.version} right`
                : `Showing ${showB ? 'B' : 'A'}`
            }
            overlay={
              <>
                <div
                  className="stage-layer"
                  style={{
                    clipPath: mode === 'wipe' ? `inset(0 0 0 ${wipe * 100}%)` : undefined,
                    visibility: mode === 'toggle' && !showB ? 'hidden' : 'visible',
                  }}
                >
                  <MediaView media={B} style={positioned(vpB)} videoRef={setVideoB} onSize={onSizeB} />
                </div>
                {mode === 'wipe' && <WipeHandle value={wipe} onChange={setWipe} />}
                {label(mode === 'toggle' && showB ? B : A, mode === 'toggle' ? (showB ? 'B' : 'A') : 'A')}
                {mode === 'wipe' && <span className="compare-label right">B · {B.version}</span>}
              </>
            }
          >
            {(style) => <MediaView media={A} style={style} videoRef={setVideoA} onSize={onSizeA} />}
          </Stage>
        </div>
      )}
      {isMoving(A) && (
        <Transport
          player={player}
          fps={ta.fps}
          frameCount={frameCount}
          startFrame={ta.frameStart}
          dropFrame={ta.dropFrame}
          markers={[]}
          onMarker={() => undefined}
        />
      )}
      <p className="muted small">
        Keys: A / B show a version, T toggles, ←/→ step both, Space plays both in sync.
      </p>
    </>
  );
}

function positioned(v: Viewport): React.CSSProperties {
  const r = imageRect(v);
  return { position: 'absolute', left: r.x, top: r.y, width: r.width, height: r.height };
}

function WipeHandle({ value, onChange }: { value: number; onChange: (v: number) => void }) {
  const move = (e: React.PointerEvent<HTMLDivElement>) => {
    const r = (e.currentTarget.parentElement as HTMLElement).getBoundingClientRect();
    onChange(Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)));
  };
  return (
    <div
      className="wipe-handle"
      role="slider"
      tabIndex={0}
      aria-label="Wipe position"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(value * 100)}
      data-testid="wipe-handle"
      style={{ left: `${value * 100}%` }}
      onPointerDown={(e) => {
        e.stopPropagation();
        e.currentTarget.setPointerCapture(e.pointerId);
      }}
      onPointerMove={(e) => e.buttons === 1 && move(e)}
      onKeyDown={(e) => {
        if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
          e.preventDefault();
          e.stopPropagation();
          onChange(Math.min(1, Math.max(0, value + (e.key === 'ArrowLeft' ? -0.05 : 0.05))));
        }
      }}
    />
  );
}

/**
 * Two versions of a task on one clock: side by side, wipe (draggable divider), overlay (B over A
 * at an opacity: onion skin), difference (|A − B|, black where they agree) or A/B toggle. The
 * layout, wipe position, opacity, alignment, sound and frame live in the address, so a reload or
 * a pasted link opens the same comparison on the same frame.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { STATUS_LABELS } from '@montu/domain';
import { api, type CompareResult, type Media, type MediaSummary } from '../api/index.js';
import { frameLabel, mediaTiming, type PlayerTiming } from '../lib/timecode.js';
import { useZeroBased } from '../lib/zeroBased.js';
import { usePairClock } from '../lib/usePairClock.js';
import { useKeys } from '../lib/useKeys.js';
import { keyMap, transportKeys } from '../lib/shortcuts.js';
import {
  COMPARE_DEFAULTS,
  COMPARE_LAYOUTS,
  type CompareAudio,
  type CompareLayout,
  type CompareSearch,
  type CompareSync,
} from '../lib/search-params.js';
import { hasBothTimecodes, syncOffset } from '../lib/compare-sync.js';
import { useSearchPatch } from '../routes.js';
import { Stage } from '../components/Stage.js';
import { MediaView, isMoving } from '../components/MediaView.js';
import { Transport } from '../components/Transport.js';
import { StatusBadge } from '../components/StatusBadge.js';
import {
  COMPARE_LAYOUT_LABEL,
  ComparePanes,
  isStacked,
  OpacityControl,
  paneBViewport,
} from '../components/ComparePanes.js';
import type { Viewport } from '../lib/drawing.js';

/** The comparison's settings, as the address carries them (defaults filled in). */
interface Settings {
  a: string | null;
  b: string | null;
  layout: CompareLayout;
  wipe: number;
  opacity: number;
  sync: CompareSync;
  offset: number;
  audio: CompareAudio;
}

export default function Compare({
  projectId,
  taskId,
  search,
}: {
  projectId: string;
  taskId: string;
  search: CompareSearch;
}) {
  // Read from the address once; the page writes its state back there (an echo must not reset it).
  const [opened] = useState(search);
  const [s, setS] = useState<Settings>(() => ({
    a: opened.a ?? null,
    b: opened.b ?? null,
    layout: opened.layout ?? COMPARE_DEFAULTS.layout,
    wipe: opened.wipe ?? COMPARE_DEFAULTS.wipe,
    opacity: opened.opacity ?? COMPARE_DEFAULTS.opacity,
    sync: opened.sync ?? COMPARE_DEFAULTS.sync,
    offset: opened.offset ?? COMPARE_DEFAULTS.offset,
    audio: opened.audio ?? COMPARE_DEFAULTS.audio,
  }));
  const set = useCallback(
    <K extends keyof Settings>(k: K, v: Settings[K]) => setS((p) => ({ ...p, [k]: v })),
    [],
  );
  const [frame, setFrame] = useState<number | null>(opened.frame ?? null);

  const [versions, setVersions] = useState<Media[]>([]);
  const [data, setData] = useState<CompareResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.versions(taskId, projectId).then(setVersions, () => setVersions([]));
  }, [taskId, projectId]);
  // Default pair: the latest version (B) against the one before it (A).
  const va = s.a ?? versions[1]?.version ?? versions[0]?.version ?? null;
  const vb = s.b ?? versions[0]?.version ?? null;
  useEffect(() => {
    if (!va || !vb) return;
    setData(null);
    setError(null);
    api.compare(taskId, projectId, va, vb).then(setData, (e: Error) => setError(e.message));
  }, [taskId, projectId, va, vb]);

  // The address follows the state (replace, shortly after the last change: a drag of the wipe
  // is one history update).
  const patch = useSearchPatch<CompareSearch>();
  useEffect(() => {
    const t = setTimeout(
      () =>
        patch({
          a: va ?? undefined,
          b: vb ?? undefined,
          layout: s.layout,
          wipe: s.wipe,
          opacity: s.layout === 'overlay' || opened.opacity !== undefined ? s.opacity : undefined,
          sync: s.sync,
          offset: s.sync === 'offset' ? s.offset : undefined,
          audio: s.audio,
          frame: frame ?? undefined,
        }),
      150,
    );
    return () => clearTimeout(t);
  }, [s, va, vb, frame, patch, opened.opacity]);

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
              onChange={(e) => setS((p) => ({ ...p, a: va, b: vb, [side]: e.target.value }))}
            >
              {versions.map((v) => (
                <option key={v.id} value={v.version}>
                  {v.version} — {STATUS_LABELS[v.status]}
                </option>
              ))}
            </select>
          </label>
        ))}
        <div role="group" aria-label="Compare layout" className="toolbar-group">
          {COMPARE_LAYOUTS.map((m) => (
            <button key={m} type="button" aria-pressed={s.layout === m} onClick={() => set('layout', m)}>
              {COMPARE_LAYOUT_LABEL[m]}
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
        <CompareView
          key={`${data.a.media.id}-${data.b.media.id}`}
          data={data}
          settings={s}
          set={set}
          initialFrame={frame}
          onFrame={setFrame}
        />
      ) : (
        !error && <div className="splash">Loading…</div>
      )}
    </div>
  );
}

function CompareView({
  data,
  settings: s,
  set,
  initialFrame,
  onFrame,
}: {
  data: CompareResult;
  settings: Settings;
  set: <K extends keyof Settings>(k: K, v: Settings[K]) => void;
  /** A's frame to open on, numbered as in the viewer. */
  initialFrame: number | null;
  /** A's frame whenever both sides are still on it (for the address). */
  onFrame: (f: number) => void;
}) {
  const A = data.a.media;
  const B = data.b.media;
  const ta = useMemo(() => mediaTiming(A), [A]);
  const tb = useMemo(() => mediaTiming(B), [B]);
  const [videoA, setVideoA] = useState<HTMLVideoElement | null>(null);
  const [videoB, setVideoB] = useState<HTMLVideoElement | null>(null);
  // Canvases over the videos: during playback both pictures are painted there as one pair.
  const [canvasA, setCanvasA] = useState<HTMLCanvasElement | null>(null);
  const [canvasB, setCanvasB] = useState<HTMLCanvasElement | null>(null);
  const offset = syncOffset(s.sync, data.a.timing, data.b.timing, s.offset);
  const clock = usePairClock({
    a: { video: videoA, canvas: canvasA, fps: ta.fps, frameCount: ta.frameCount },
    b: { video: videoB, canvas: canvasB, fps: tb.fps, frameCount: tb.frameCount },
    offset,
    master: s.audio === 'b' ? 'b' : 'a',
    initialFrame: initialFrame !== null ? initialFrame - ta.frameStart : 0,
  });
  const [showB, setShowB] = useState(false);
  const stacked = isStacked(s.layout);

  useEffect(() => {
    if (clock.settled) onFrame(ta.frameStart + clock.frame);
  }, [clock.settled, clock.frame, ta.frameStart, onFrame]);

  useKeys(
    keyMap({
      ...transportKeys(clock),
      compareShowA: () => setShowB(false),
      compareShowB: () => setShowB(true),
      compareSwap: () => setShowB((v) => !v),
    }),
  );

  const base = (m: MediaSummary): Viewport => ({
    containerWidth: 800,
    containerHeight: 450,
    imageWidth: Number(m.metadata.width) || 1920,
    imageHeight: Number(m.metadata.height) || 1080,
    zoom: 1,
    panX: 0,
    panY: 0,
  });
  const [vpA, setVpA] = useState<Viewport>(() => base(A));
  const [vpB, setVpB] = useState<Viewport>(() => base(B));
  const shownB = paneBViewport(s.layout, vpA, vpB);
  const onSizeA = useCallback(
    (w: number, h: number) => setVpA((v) => ({ ...v, imageWidth: w, imageHeight: h })),
    [],
  );
  const onSizeB = useCallback(
    (w: number, h: number) => setVpB((v) => ({ ...v, imageWidth: w, imageHeight: h })),
    [],
  );

  const bFrame = clock.bFrame(clock.frame);
  // Each side's frame named as the viewer names it: source frame, or 0-based with the toggle.
  const [zeroBased] = useZeroBased();
  const frameOf = (f: number, timing: PlayerTiming) => frameLabel(f, timing, zeroBased).frame;
  const label = (m: MediaSummary, side: 'A' | 'B', f: number, timing: PlayerTiming) => (
    <span className={`compare-label${side === 'B' ? ' b' : ''}`}>
      {side} · {m.version} <StatusBadge status={m.status} />{' '}
      <span className="muted">frame {frameOf(f, timing)}</span>
    </span>
  );

  return (
    <>
      <div className="compare-options toolbar-group" role="group" aria-label="Compare options">
        <label>
          Sync{' '}
          <select
            aria-label="Sync"
            value={s.sync}
            onChange={(e) => set('sync', e.target.value as CompareSync)}
          >
            <option value="start">by start</option>
            <option value="timecode">
              {hasBothTimecodes(data.a.timing, data.b.timing) ? 'by source timecode' : 'by source frame'}
            </option>
            <option value="offset">by chosen frame</option>
          </select>
        </label>
        {s.sync === 'offset' ? (
          <label>
            B offset{' '}
            <input
              type="number"
              aria-label="B frame offset"
              value={s.offset}
              step={1}
              size={5}
              onChange={(e) => {
                const n = Number(e.target.value);
                if (Number.isSafeInteger(n)) set('offset', n);
              }}
            />
          </label>
        ) : (
          <span className="muted small">B offset {offset > 0 ? `+${offset}` : offset}</span>
        )}
        <button
          type="button"
          title="Keep the frames on screen paired from now on"
          onClick={() => {
            set('offset', offset);
            set('sync', 'offset');
          }}
        >
          Pair these frames
        </button>
        {s.layout === 'overlay' && <OpacityControl value={s.opacity} onChange={(v) => set('opacity', v)} />}
        <label>
          Sound{' '}
          <select
            aria-label="Sound from"
            value={s.audio}
            onChange={(e) => set('audio', e.target.value as CompareAudio)}
          >
            <option value="a">A</option>
            <option value="b">B</option>
            <option value="none">off</option>
          </select>
        </label>
      </div>
      <ComparePanes
        layout={s.layout}
        wipe={s.wipe}
        opacity={s.opacity}
        showB={showB}
        onWipe={(v) => set('wipe', v)}
        data={{
          'data-testid': stacked ? 'compare-stack' : 'compare-side',
          'data-settled': clock.settled,
          'data-frame-a': ta.frameStart + clock.frame,
          'data-frame-b': tb.frameStart + bFrame,
        }}
        a={
          <>
            {label(A, 'A', clock.frame, ta)}
            <Stage
              viewport={vpA}
              onViewport={setVpA}
              channel="rgb"
              panEnabled={s.layout !== 'wipe'}
              label={`Version A ${A.version}, frame ${frameOf(clock.frame, ta)}`}
            >
              {(style) => (
                <MediaView
                  media={A}
                  style={style}
                  videoRef={setVideoA}
                  stillRef={setCanvasA}
                  onSize={onSizeA}
                />
              )}
            </Stage>
          </>
        }
        bLabel={label(B, 'B', bFrame, tb)}
        b={
          <Stage
            viewport={shownB}
            onViewport={stacked ? () => undefined : setVpB}
            channel="rgb"
            panEnabled={!stacked}
            label={`Version B ${B.version}, frame ${frameOf(bFrame, tb)}`}
          >
            {(style) => (
              <MediaView
                media={B}
                style={style}
                videoRef={setVideoB}
                stillRef={setCanvasB}
                onSize={onSizeB}
              />
            )}
          </Stage>
        }
      />
      {isMoving(A) && <Transport player={clock} timing={ta} markers={[]} onMarker={() => undefined} />}
      <p className="muted small">
        The playback keys drive both sides on one clock; A / B / T show a side in the A/B toggle. Press ? for
        every shortcut.
      </p>
    </>
  );
}

/** The viewer: picture, player, drawing notes, metadata and review for one media item. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, type Annotation, type Media, type Project } from '../api/index.js';
import {
  emptyDrawing,
  fromWireDrawing,
  redo,
  toWireDrawing,
  undo,
  undoInit,
  undoPush,
  actualSizeZoom,
  zoomAt,
  type Shape,
  type Tool,
  type Viewport,
} from '../lib/drawing.js';
import { frameToTimecode, mediaTiming } from '../lib/timecode.js';
import { usePlayer } from '../lib/usePlayer.js';
import { useKeys } from '../lib/useKeys.js';
import { navigate } from '../lib/router.js';
import { useSession } from '../session.js';
import { ChannelFilters, Stage, type Channel } from '../components/Stage.js';
import { DrawingLayer } from '../components/DrawingLayer.js';
import { DrawTools, TOOL_KEYS } from '../components/DrawTools.js';
import { Transport } from '../components/Transport.js';
import { NotesPanel, mentionsIn } from '../components/NotesPanel.js';
import { MetadataPanel } from '../components/MetadataPanel.js';
import { ReviewPanel } from '../components/ReviewPanel.js';
import { MediaView, isMoving } from '../components/MediaView.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { FloatStage } from '../components/FloatStage.js';
import { DEFAULT_VIEWER_COLOUR, hasFloatRendition, type ViewerColour } from '../lib/colour.js';

export default function Viewer({
  mediaId,
  initialFrame,
  note,
}: {
  mediaId: string;
  initialFrame: number | null;
  note: string | null;
}) {
  const [media, setMedia] = useState<Media | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setMedia(null);
    api.media(mediaId).then(setMedia, (e: Error) => setError(e.message));
  }, [mediaId]);
  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (!media)
    return (
      <div className="splash" role="status">
        Loading…
      </div>
    );
  return (
    <ViewerLoaded
      key={media.id}
      media={media}
      setMedia={setMedia}
      initialFrame={initialFrame}
      noteId={note}
    />
  );
}

function ViewerLoaded({
  media,
  setMedia,
  initialFrame,
  noteId,
}: {
  media: Media;
  setMedia: (m: Media) => void;
  initialFrame: number | null;
  noteId: string | null;
}) {
  const session = useSession();
  const project: Project | undefined = session.projects.find((p) => p.id === media.projectId);
  const timing = useMemo(() => mediaTiming(media, project?.settings.defaultFps), [media, project]);
  const moving = isMoving(media);
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  const player = usePlayer(
    video,
    timing.fps,
    timing.frameCount,
    initialFrame !== null ? initialFrame - timing.frameStart : 0,
  );
  const [viewport, setViewport] = useState<Viewport>({
    containerWidth: 800,
    containerHeight: 450,
    imageWidth: Number(media.metadata.width) || 1920,
    imageHeight: Number(media.metadata.height) || 1080,
    zoom: 1,
    panX: 0,
    panY: 0,
  });
  const [channel, setChannel] = useState<Channel>('rgb');
  // Float and high-bit-depth stills: view, exposure and gamma of the colour-managed picture.
  const [colour, setColour] = useState<ViewerColour>(DEFAULT_VIEWER_COLOUR);
  const [tool, setTool] = useState<Tool | null>(null);
  const [color, setColor] = useState('#ff3b30');
  const [width, setWidth] = useState(0.004);
  const [drawing, setDrawing] = useState(undoInit<Shape[]>([]));
  const [notes, setNotes] = useState<Annotation[]>([]);
  const [selected, setSelected] = useState<string | null>(noteId);
  const [tab, setTab] = useState<'notes' | 'info' | 'review'>('notes');

  const loadNotes = useCallback(
    () => api.annotations(media.id).then(setNotes, () => setNotes([])),
    [media.id],
  );
  useEffect(() => void loadNotes(), [loadNotes]);

  // Frame numbers as stored in notes: the sequence's own numbers, 0-based indices for movies.
  const noteFrame = moving ? timing.frameStart + player.frame : null;
  const frameLabel = useCallback(
    (f: number | null) =>
      f === null
        ? 'whole item'
        : `frame ${f} · ${frameToTimecode(f - timing.frameStart, timing.fps, timing.dropFrame)}`,
    [timing],
  );

  // Drawings shown: the selected note's, or every note's on the frame on screen.
  const shown = useMemo(() => {
    const onFrame = notes.filter(
      (n) =>
        n.drawing &&
        !n.parentId &&
        (selected ? n.id === selected : n.frame === noteFrame) &&
        (!moving || n.frame === noteFrame),
    );
    return onFrame.flatMap((n) => fromWireDrawing(n.drawing)?.shapes ?? []);
  }, [notes, selected, noteFrame, moving]);

  const selectNote = useCallback(
    (n: Annotation) => {
      setSelected(n.id);
      if (moving && n.frame !== null) player.seek(n.frame - timing.frameStart);
      history.replaceState(
        null,
        '',
        `/m/${encodeURIComponent(media.id)}?${n.frame !== null ? `frame=${n.frame}&` : ''}note=${encodeURIComponent(n.id)}`,
      );
    },
    [moving, player, timing.frameStart, media.id],
  );
  // Keep the selection only while on the note's frame.
  useEffect(() => {
    const n = notes.find((x) => x.id === selected);
    if (n && moving && n.frame !== noteFrame && !player.playing) {
      /* moved away by stepping: show the frame's own notes */
      if (noteFrame !== null && n.frame !== null && Math.abs(n.frame - noteFrame) > 0) setSelected(null);
    }
  }, [noteFrame]); // runs when the id changes only, by design

  const commit = (shapes: Shape[]) => setDrawing((d) => undoPush(d, shapes));

  async function addNote(content: string) {
    const shapes = drawing.present;
    await api.addAnnotation(media.id, {
      content,
      // A note on the whole item (no frame) leaves the field out: the API takes no null here.
      ...(noteFrame !== null ? { frame: noteFrame } : {}),
      ...(shapes.length ? { drawing: toWireDrawing({ ...emptyDrawing(), shapes }) } : {}),
      mentions: mentionsIn(content),
    });
    setDrawing(undoInit([]));
    setTool(null);
    await loadNotes();
  }

  const fitZoom = () => setViewport((v) => ({ ...v, zoom: 1, panX: 0, panY: 0 }));
  const zoomBy = (f: number) => setViewport((v) => zoomAt(v, f, v.containerWidth / 2, v.containerHeight / 2));
  const toggleChannel = (c: Channel) => setChannel((cur) => (cur === c ? 'rgb' : c));

  useKeys({
    ' ': () => player.toggle(),
    k: () => player.toggle(),
    ArrowLeft: () => player.step(-1),
    ArrowRight: () => player.step(1),
    'shift+ArrowLeft': () => player.step(-10),
    'shift+ArrowRight': () => player.step(10),
    Home: () => player.first(),
    End: () => player.last(),
    i: () => player.setIn(player.frame),
    o: () => player.setOut(player.frame),
    'shift+x': () => {
      player.setIn(null);
      player.setOut(null);
    },
    l: () => player.setLoop(!player.loop),
    f: fitZoom,
    '1': () =>
      setViewport((v) => ({ ...v, zoom: actualSizeZoom(v, window.devicePixelRatio || 1), panX: 0, panY: 0 })),
    '+': () => zoomBy(1.25),
    '=': () => zoomBy(1.25),
    '-': () => zoomBy(0.8),
    r: () => toggleChannel('r'),
    g: () => toggleChannel('g'),
    b: () => toggleChannel('b'),
    a: () => toggleChannel('a'),
    y: () => toggleChannel('luminance'),
    'ctrl+z': () => setDrawing(undo),
    'ctrl+shift+z': () => setDrawing(redo),
    'ctrl+y': () => setDrawing(redo),
    Escape: () => setTool(null),
    m: () => document.getElementById('note-text')?.focus(),
    ...Object.fromEntries(Object.entries(TOOL_KEYS).map(([k, t]) => [k, () => setTool(t)])),
  });

  const markers = notes
    .filter((n) => !n.parentId && n.frame !== null)
    .map((n) => ({ id: n.id, frame: n.frame! - timing.frameStart, resolved: n.resolved }));
  const onSize = useCallback(
    (w: number, h: number) =>
      setViewport((v) =>
        v.imageWidth === w && v.imageHeight === h ? v : { ...v, imageWidth: w, imageHeight: h },
      ),
    [],
  );

  const overlay = (
    <DrawingLayer
      viewport={viewport}
      shown={shown}
      editing={drawing.present}
      tool={tool}
      color={color}
      width={width}
      onCommit={commit}
    />
  );

  return (
    <div className="viewer">
      <ChannelFilters />
      <div className="viewer-main">
        <div className="viewer-head">
          <h1>
            {media.taskId} <span className="version">{media.version}</span>
          </h1>
          <StatusBadge status={media.status} />
          <span className="muted">{media.fileName}</span>
          <span className="spacer" />
          <div role="group" aria-label="Channels" className="toolbar-group">
            {(['rgb', 'r', 'g', 'b', 'a', 'luminance'] as Channel[]).map((c) => (
              <button
                key={c}
                type="button"
                aria-pressed={channel === c}
                onClick={() => setChannel(c)}
                title={
                  c === 'rgb'
                    ? 'All channels'
                    : c === 'luminance'
                      ? 'Luminance (Y)'
                      : `Channel ${c.toUpperCase()} (${c.toUpperCase()})`
                }
              >
                {c === 'luminance' ? 'Y' : c.toUpperCase()}
              </button>
            ))}
          </div>
          <div role="group" aria-label="Zoom" className="toolbar-group">
            <button type="button" onClick={fitZoom} title="Fit (F)">
              Fit
            </button>
            <button
              type="button"
              onClick={() =>
                setViewport((v) => ({
                  ...v,
                  zoom: actualSizeZoom(v, window.devicePixelRatio || 1),
                  panX: 0,
                  panY: 0,
                }))
              }
              title="Actual pixels (1)"
            >
              1:1
            </button>
            <button type="button" onClick={() => zoomBy(1.25)} aria-label="Zoom in" title="Zoom in (+)">
              +
            </button>
            <button type="button" onClick={() => zoomBy(0.8)} aria-label="Zoom out" title="Zoom out (−)">
              −
            </button>
            <span className="muted zoom-readout">{Math.round(viewport.zoom * 100)}%</span>
          </div>
        </div>
        <DrawTools
          tool={tool}
          color={color}
          width={width}
          canUndo={drawing.past.length > 0}
          canRedo={drawing.future.length > 0}
          onTool={setTool}
          onColor={setColor}
          onWidth={setWidth}
          onUndo={() => setDrawing(undo)}
          onRedo={() => setDrawing(redo)}
          onClear={() => commit([])}
        />
        {hasFloatRendition(media) ? (
          <FloatStage
            media={media}
            colour={colour}
            onColour={setColour}
            channel={channel}
            viewport={viewport}
            onViewport={setViewport}
            onSize={onSize}
            panEnabled={tool === null}
            label={`${media.taskId} ${media.version}`}
            overlay={overlay}
          />
        ) : (
          <Stage
            viewport={viewport}
            onViewport={setViewport}
            channel={channel}
            panEnabled={tool === null}
            label={`${media.taskId} ${media.version}${moving ? `, frame ${timing.frameStart + player.frame}` : ''}`}
            overlay={overlay}
          >
            {(style) => <MediaView media={media} style={style} videoRef={setVideo} onSize={onSize} />}
          </Stage>
        )}
        {moving && (
          <Transport
            player={player}
            fps={timing.fps}
            frameCount={timing.frameCount}
            startFrame={timing.frameStart}
            dropFrame={timing.dropFrame}
            markers={markers}
            onMarker={(id) => {
              const n = notes.find((x) => x.id === id);
              if (n) selectNote(n);
            }}
          />
        )}
        {media.processingState !== 'ready' && (
          <p className="warning" role="status">
            Processing: {media.processingState}
            {media.processingError ? ` — ${media.processingError}` : ''}
          </p>
        )}
      </div>
      <aside className="viewer-side" aria-label="Details">
        <div role="tablist" aria-label="Panels" className="tabs">
          {(['notes', 'review', 'info'] as const).map((t) => (
            <button
              key={t}
              role="tab"
              type="button"
              aria-selected={tab === t}
              aria-controls={`panel-${t}`}
              id={`tab-${t}`}
              onClick={() => setTab(t)}
            >
              {t === 'notes'
                ? `Notes (${notes.filter((n) => !n.parentId).length})`
                : t === 'review'
                  ? 'Review'
                  : 'Metadata'}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tab-panel">
          {tab === 'notes' && (
            <NotesPanel
              notes={notes}
              selectedId={selected}
              frameLabel={frameLabel}
              hasDrawing={drawing.present.length > 0}
              composeFrameLabel={frameLabel(noteFrame)}
              onSelect={selectNote}
              onAdd={addNote}
              onReply={async (parent, content) => {
                await api.addAnnotation(media.id, {
                  content,
                  parentId: parent.id,
                  ...(parent.frame !== null ? { frame: parent.frame } : {}),
                  mentions: mentionsIn(content),
                });
                await loadNotes();
              }}
              onResolve={async (n, resolved) => {
                await api.resolveAnnotation(n.id, resolved);
                await loadNotes();
              }}
            />
          )}
          {tab === 'review' && <ReviewPanel media={media} onChanged={setMedia} />}
          {tab === 'info' && <MetadataPanel media={media} />}
        </div>
        <button
          type="button"
          className="link"
          onClick={() => navigate(`/p/${encodeURIComponent(media.projectId)}`)}
        >
          ← Back to browser
        </button>
      </aside>
    </div>
  );
}

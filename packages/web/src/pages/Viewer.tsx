/** The viewer: picture, player, drawing notes, metadata and review for one media item. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, type Annotation, type Media, type Project } from '../api/index.js';
import {
  emptyDrawing,
  fromWireDrawing,
  redo,
  toWireDrawing,
  undo,
  undoInit,
  undoPush,
  actualSizeZoom,
  zoomPercent,
  zoomAt,
  type Shape,
  type Tool,
  type Viewport,
} from '../lib/drawing.js';
import { frameLabel as nameFrame, mediaTiming } from '../lib/timecode.js';
import { spriteIndex } from '../lib/timeline.js';
import { parseWaveformPeaks, type WaveformPeaksDocument } from '@montu/domain';
import { usePlayer } from '../lib/usePlayer.js';
import { useStepScreen } from '../lib/stepFrames.js';
import { useKeys } from '../lib/useKeys.js';
import { keyMap, transportKeys } from '../lib/shortcuts.js';
import { links, useFrameInAddress, useSearchPatch, type ViewerSearch } from '../routes.js';
import { VersionSwitcher } from '../components/VersionSwitcher.js';
import { useNavigate } from '@tanstack/react-router';
import { useSession } from '../session.js';
import { ChannelFilters, Stage, type Channel } from '../components/Stage.js';
import { DrawingLayer } from '../components/DrawingLayer.js';
import { DrawTools, TOOL_OF } from '../components/DrawTools.js';
import { Transport } from '../components/Transport.js';
import { NotesPanel, mentionsIn } from '../components/NotesPanel.js';
import { MetadataPanel } from '../components/MetadataPanel.js';
import { ReviewPanel } from '../components/ReviewPanel.js';
import { MediaView, hasPicture, isMoving } from '../components/MediaView.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { FloatStage } from '../components/FloatStage.js';
import { StartSession } from '../components/StartSession.js';
import {
  DEFAULT_VIEWER_COLOUR,
  hasFloatRendition,
  hasFrameFloats,
  type ViewerColour,
} from '../lib/colour.js';
import { ProcessingProblem } from '../components/ProcessingProblem.js';
import {
  PlaylistStrip,
  reviewItem,
  usePlayThrough,
  usePlaylistPlayback,
} from '../components/PlaylistStrip.js';
import { STATUS_LABELS } from '@montu/domain';

type Tab = 'notes' | 'review' | 'info';
const TABS: readonly Tab[] = ['notes', 'review', 'info'];

/** The audio peaks of a clip with sound (its `waveform` rendition), null until loaded or without. */
function useWaveform(media: Media): WaveformPeaksDocument | null {
  const [doc, setDoc] = useState<WaveformPeaksDocument | null>(null);
  const has = media.files.some((f) => f.role === 'waveform' && f.state === 'ready');
  useEffect(() => {
    setDoc(null);
    if (!has) return;
    const abort = new AbortController();
    fetch(api.fileUrl(media.id, 'waveform'), { credentials: 'same-origin', signal: abort.signal })
      .then((r) => (r.ok ? r.json() : null))
      .then((json: unknown) => json !== null && setDoc(parseWaveformPeaks(json)))
      // A waveform is a nicety: without one the timeline simply shows none.
      .catch(() => undefined);
    return () => abort.abort();
  }, [media.id, has]);
  return doc;
}

/** Frames either side in which the onion skin looks for neighbouring drawings. */
const ONION_REACH = 5;

export default function Viewer({
  mediaId,
  initialFrame,
  note,
  onFrameChange,
}: {
  mediaId: string;
  initialFrame: number | null;
  note: string | null;
  /** Told the frame on screen (stored numbering: a movie's index, a sequence's number) once it is shown. */
  onFrameChange?: (frame: number) => void;
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
      onFrameChange={onFrameChange}
    />
  );
}

function ViewerLoaded({
  media,
  setMedia,
  initialFrame,
  noteId,
  onFrameChange,
}: {
  media: Media;
  setMedia: (m: Media) => void;
  initialFrame: number | null;
  noteId: string | null;
  onFrameChange?: (frame: number) => void;
}) {
  const session = useSession();
  const project: Project | undefined = session.projects.find((p) => p.id === media.projectId);
  const timing = useMemo(() => mediaTiming(media, project?.settings.defaultFps), [media, project]);
  const moving = isMoving(media);
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  const [still, setStill] = useState<HTMLCanvasElement | null>(null);
  const playlist = usePlaylistPlayback(media.id);
  // A playlist playing through has no use for frames decoded ahead (decision 205): no step screen.
  const screen = useStepScreen(video, playlist?.playing ? null : still, timing.fps, timing.frameCount);
  const player = usePlayer(
    video,
    timing.fps,
    timing.frameCount,
    initialFrame !== null ? initialFrame - timing.frameStart : 0,
    screen,
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
  const [tab, setTab] = useState<Tab>('notes');
  const [flash, setFlash] = useState<string | null>(null);
  const [versions, setVersions] = useState<Media[]>([]);
  useEffect(() => {
    api.versions(media.taskId, media.projectId).then(setVersions, () => setVersions([]));
  }, [media.taskId, media.projectId]);
  // In a playlist an item plays once (the next follows), it does not loop.
  const inPlaylist = playlist !== null;
  useEffect(() => {
    if (inPlaylist) player.setLoop(false);
  }, [inPlaylist]); // once the playlist is known, by design
  // An item without a playable picture (failed processing) is held like a still, never stuck on.
  usePlayThrough(video, moving && hasPicture(media), playlist?.playing ?? false, () => {
    if (playlist && !playlist.next(true)) setFlash('End of the playlist.');
  });
  const [onion, setOnion] = useState(() => localStorage.getItem('montu.player.onion') === '1');
  const [saveInfo, setSaveInfo] = useState<string | null>(null);
  const toggleOnion = () =>
    setOnion((o) => {
      localStorage.setItem('montu.player.onion', o ? '0' : '1');
      return !o;
    });

  const loadNotes = useCallback(
    () => api.annotations(media.id).then(setNotes, () => setNotes([])),
    [media.id],
  );
  useEffect(() => void loadNotes(), [loadNotes]);

  // Frame numbers as stored in notes: the sequence's own numbers, 0-based indices for movies.
  const noteFrame = moving ? timing.frameStart + player.frame : null;
  // A float sequence's paused frame is shown from its own half floats (decision 217).
  const pausedFloatFrame = noteFrame !== null && !player.playing && hasFrameFloats(media) ? noteFrame : null;
  useEffect(() => {
    if (noteFrame !== null && player.settled) onFrameChange?.(noteFrame);
  }, [noteFrame, player.settled, onFrameChange]);
  // Notes name their frames by source frame and source timecode (decision 130).
  const frameLabel = useCallback(
    (f: number | null, end?: number | null) => {
      if (f === null) return 'whole item';
      const a = nameFrame(f - timing.frameStart, timing, false);
      if (end === null || end === undefined || end === f) return `frame ${a.frame} · ${a.timecode}`;
      const b = nameFrame(end - timing.frameStart, timing, false);
      return `frames ${a.frame}–${b.frame} · ${a.timecode}`;
    },
    [timing],
  );

  // A note covers its frame, or its held range (frame…frameEnd).
  const covers = (n: Annotation, f: number | null) =>
    n.frame !== null && f !== null && n.frame <= f && f <= (n.frameEnd ?? n.frame);
  // Drawings shown: the selected note's, or every note's on the frame on screen.
  const shown = useMemo(() => {
    const onFrame = notes.filter(
      (n) =>
        n.drawing &&
        !n.parentId &&
        (selected ? n.id === selected : covers(n, noteFrame)) &&
        (!moving || covers(n, noteFrame)),
    );
    return onFrame.flatMap((n) => fromWireDrawing(n.drawing)?.shapes ?? []);
  }, [notes, selected, noteFrame, moving]);

  const go = useNavigate();
  const patchAddress = useSearchPatch<ViewerSearch>();
  useFrameInAddress(noteFrame, player.playing);
  // Onion skin: the drawings of the nearest drawn frames before and after this one (within
  // ONION_REACH frames), faint, so an animator sees where a drawing comes from and goes to.
  const ghosts = useMemo(() => {
    if (!onion || !moving || noteFrame === null) return [];
    const drawn = notes.filter((n) => n.drawing && !n.parentId && n.frame !== null && !covers(n, noteFrame));
    const before = drawn
      .filter(
        (n) => (n.frameEnd ?? n.frame!) < noteFrame && noteFrame - (n.frameEnd ?? n.frame!) <= ONION_REACH,
      )
      .sort((x, y) => (y.frameEnd ?? y.frame!) - (x.frameEnd ?? x.frame!));
    const after = drawn
      .filter((n) => n.frame! > noteFrame && n.frame! - noteFrame <= ONION_REACH)
      .sort((x, y) => x.frame! - y.frame!);
    const nearest = (list: Annotation[]) => {
      if (!list.length) return [];
      const edge = (n: Annotation) => (list === before ? (n.frameEnd ?? n.frame!) : n.frame!);
      const at = edge(list[0]!);
      return list.filter((n) => edge(n) === at).flatMap((n) => fromWireDrawing(n.drawing)?.shapes ?? []);
    };
    return [
      { shapes: nearest(before), tint: 'before' as const },
      { shapes: nearest(after), tint: 'after' as const },
    ].filter((g) => g.shapes.length > 0);
  }, [onion, moving, notes, noteFrame]);

  const selectNote = useCallback(
    (n: Annotation) => {
      setSelected(n.id);
      if (moving && n.frame !== null) player.seek(n.frame - timing.frameStart);
      patchAddress({ note: n.id, ...(n.frame !== null ? { frame: n.frame } : {}) });
    },
    [moving, player, timing.frameStart, patchAddress],
  );
  // Keep the selection only while on the note's frame: stepping away from it deselects. Only a
  // move *from* the note's frame counts — a deep link (?frame=…&note=…) passes through other
  // frames (0, while the video loads) before it lands, and must keep its note.
  const lastFrame = useRef<number | null>(null);
  useEffect(() => {
    const from = lastFrame.current;
    lastFrame.current = noteFrame;
    const n = notes.find((x) => x.id === selected);
    if (!n || !moving || player.playing || n.frame === null || noteFrame === null) return;
    if (from === n.frame && noteFrame !== n.frame) setSelected(null);
  }, [noteFrame]); // runs when the frame changes only, by design

  const commit = (shapes: Shape[]) => setDrawing((d) => undoPush(d, shapes));

  async function addNote(content: string, holdFrames: number) {
    const shapes = drawing.present;
    const last = timing.frameStart + timing.frameCount - 1;
    const frameEnd = noteFrame !== null && holdFrames > 1 ? Math.min(last, noteFrame + holdFrames - 1) : null;
    await api.addAnnotation(media.id, {
      content,
      // A note on the whole item (no frame) leaves the field out: the API takes no null here.
      ...(noteFrame !== null ? { frame: noteFrame } : {}),
      ...(frameEnd !== null && frameEnd > noteFrame! ? { frameEnd } : {}),
      ...(shapes.length ? { drawing: toWireDrawing({ ...emptyDrawing(), shapes }) } : {}),
      mentions: mentionsIn(content),
    });
    setDrawing(undoInit([]));
    setTool(null);
    await loadNotes();
  }

  /**
   * Adds the strokes being drawn to an existing note. Its author saves the whole drawing against
   * the revision they saw; when someone drew on the note meanwhile the server answers 409 and the
   * strokes go through the merge path instead (POST /notes/:id/strokes), so nobody's strokes are
   * lost (decision 131). Anyone else adds through the merge path directly.
   */
  async function addToNote(n: Annotation) {
    const mine = toWireDrawing({ ...emptyDrawing(), shapes: drawing.present }).shapes;
    if (!mine.length) return;
    setSaveInfo(null);
    if (n.author === session.me.user.username) {
      try {
        await api.updateAnnotation(n.id, {
          drawing: { version: 1, shapes: [...(n.drawing?.shapes ?? []), ...mine] },
          revision: n.revision,
        });
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 409)) throw e;
        await api.addStrokes(n.id, mine);
        setSaveInfo('Someone drew on this note meanwhile: your strokes were merged with theirs.');
      }
    } else await api.addStrokes(n.id, mine);
    setDrawing(undoInit([]));
    setTool(null);
    await loadNotes();
  }

  // Zoom as people read it: 100 % when one source pixel is one device pixel.
  const sourceWidth = Number(media.metadata.width) || viewport.imageWidth;
  const oneToOne = () =>
    setViewport((v) => ({
      ...v,
      zoom: actualSizeZoom(v, window.devicePixelRatio || 1, sourceWidth),
      panX: 0,
      panY: 0,
    }));
  const fitZoom = () => setViewport((v) => ({ ...v, zoom: 1, panX: 0, panY: 0 }));
  const zoomBy = (f: number) => setViewport((v) => zoomAt(v, f, v.containerWidth / 2, v.containerHeight / 2));
  const toggleChannel = (c: Channel) => setChannel((cur) => (cur === c ? 'rgb' : c));

  // Review actions from the keyboard: the same check as the buttons (the server's status options);
  // in a playlist's review mode they move on to the next item.
  const reviewKey = (to: 'approved' | 'changes_requested') => {
    reviewItem(media, to).then(
      (m) => {
        setMedia(m);
        setFlash(`${STATUS_LABELS[to]}: ${media.taskId} ${media.version}`);
        if (playlist?.reviewMode) playlist.next(false);
      },
      (e: Error) => setFlash(e.message),
    );
  };
  // Versions newest first: "next" is the newer one.
  // A key pressed before the list of versions arrived still works: ask for it then.
  const taskVersions = async (): Promise<Media[]> =>
    versions.some((v) => v.id === media.id)
      ? versions
      : api.versions(media.taskId, media.projectId).catch(() => [] as Media[]);
  const versionAt = async (d: number) => {
    const list = await taskVersions();
    const i = list.findIndex((v) => v.id === media.id);
    const v = i >= 0 ? list[i - d] : undefined;
    if (v) void go(links.viewer(v.id, noteFrame !== null ? { frame: noteFrame } : {}));
    else setFlash(d > 0 ? 'This is the newest version.' : 'This is the first version.');
  };
  const compareUrl = async () => {
    const other = (await taskVersions()).find((v) => v.id !== media.id);
    return other
      ? links.compare(media.projectId, media.taskId, {
          a: other.version,
          b: media.version,
          ...(noteFrame !== null ? { frame: noteFrame } : {}),
        })
      : null;
  };
  const showTab = (t: Tab) => {
    setTab(t);
    document.getElementById(`tab-${t}`)?.focus();
  };

  useKeys(
    keyMap({
      ...transportKeys(player),
      fit: fitZoom,
      actualSize: oneToOne,
      zoomIn: () => zoomBy(1.25),
      zoomOut: () => zoomBy(0.8),
      channelR: () => toggleChannel('r'),
      channelG: () => toggleChannel('g'),
      channelB: () => toggleChannel('b'),
      channelA: () => toggleChannel('a'),
      channelY: () => toggleChannel('luminance'),
      undo: () => setDrawing(undo),
      redo: () => setDrawing(redo),
      cancel: () => setTool(null),
      note: () => {
        setTab('notes');
        // The compose box is in the notes panel: focus it once the panel is there.
        requestAnimationFrame(() => document.getElementById('note-text')?.focus());
      },
      approve: () => reviewKey('approved'),
      requestChanges: () => reviewKey('changes_requested'),
      compare: () =>
        void compareUrl().then((url) =>
          url ? void go(url) : setFlash('This task has one version: nothing to compare with.'),
        ),
      prevVersion: () => void versionAt(-1),
      nextVersion: () => void versionAt(1),
      prevItem: () => {
        if (!playlist) setFlash('Not playing a playlist.');
        else if (!playlist.prev()) setFlash('This is the first item.');
      },
      nextItem: () => {
        if (!playlist) setFlash('Not playing a playlist.');
        else if (!playlist.next()) setFlash('This is the last item.');
      },
      tabNotes: () => showTab('notes'),
      tabReview: () => showTab('review'),
      tabInfo: () => showTab('info'),
      onion: toggleOnion,
      ...Object.fromEntries(Object.entries(TOOL_OF).map(([id, tool]) => [id, () => setTool(tool ?? null)])),
    }),
  );
  useEffect(() => {
    if (!flash) return;
    const t = setTimeout(() => setFlash(null), 4000);
    return () => clearTimeout(t);
  }, [flash]);

  const markers = notes
    .filter((n) => !n.parentId && n.frame !== null)
    .map((n) => ({
      id: n.id,
      frame: n.frame! - timing.frameStart,
      frameEnd: n.frameEnd !== null ? n.frameEnd - timing.frameStart : null,
      resolved: n.resolved,
    }));
  const spriteFile = media.files.find((f) => f.role === 'sprite');
  const sprite = useMemo(() => {
    const index = spriteIndex(spriteFile?.info);
    return index ? { index, url: api.fileUrl(media.id, 'sprite') } : null;
  }, [spriteFile, media.id]);
  const waveform = useWaveform(media);
  const selectedNote = notes.find((n) => n.id === selected && !n.parentId) ?? null;
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
      ghosts={ghosts}
      editing={drawing.present}
      tool={tool}
      color={color}
      width={width}
      onCommit={commit}
    />
  );
  // What the movie's float rendition and a paused sequence frame's are shown with alike.
  const floatStage = {
    media,
    colour,
    onColour: setColour,
    channel,
    viewport,
    onViewport: setViewport,
    onSize,
    panEnabled: tool === null,
    overlay,
  };

  return (
    <div className="viewer">
      <ChannelFilters />
      <div className="viewer-main">
        <div className="viewer-head">
          <h1>
            {media.taskId} <span className="version">{media.version}</span>
          </h1>
          <VersionSwitcher media={media} frame={noteFrame} />
          <StatusBadge status={media.status} />
          <span className="muted">{media.fileName}</span>
          <StartSession target={{ mediaId: media.id }} />
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
            <button type="button" onClick={oneToOne} title="Actual pixels (1)">
              1:1
            </button>
            <button type="button" onClick={() => zoomBy(1.25)} aria-label="Zoom in" title="Zoom in (+)">
              +
            </button>
            <button type="button" onClick={() => zoomBy(0.8)} aria-label="Zoom out" title="Zoom out (−)">
              −
            </button>
            <output className="muted zoom-readout" data-testid="zoom" aria-label="Zoom">
              {Math.round(zoomPercent(viewport, window.devicePixelRatio || 1, sourceWidth))} %
            </output>
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
          onion={moving ? onion : undefined}
          onOnion={toggleOnion}
        />
        {hasFloatRendition(media) ? (
          <FloatStage {...floatStage} label={`${media.taskId} ${media.version}`} />
        ) : (
          <>
            {pausedFloatFrame !== null && (
              <FloatStage
                {...floatStage}
                floatUrl={api.frameFloatUrl(media.id, pausedFloatFrame)}
                label={`${media.taskId} ${media.version}, frame ${pausedFloatFrame}`}
              />
            )}
            {/* Playback stays on the 8-bit proxy: its player keeps running while hidden, so
                stepping moves it and the float frame follows (decision 217). */}
            <div style={{ display: pausedFloatFrame !== null ? 'none' : 'contents' }}>
              <Stage
                viewport={viewport}
                onViewport={setViewport}
                channel={channel}
                panEnabled={tool === null}
                label={`${media.taskId} ${media.version}${moving ? `, frame ${timing.frameStart + player.frame}` : ''}`}
                overlay={overlay}
              >
                {(style) =>
                  hasPicture(media) ? (
                    <MediaView
                      media={media}
                      style={style}
                      videoRef={setVideo}
                      stillRef={setStill}
                      onSize={onSize}
                    />
                  ) : (
                    <div className="no-picture" style={style} aria-hidden="true" />
                  )
                }
              </Stage>
            </div>
          </>
        )}
        {moving && (
          <Transport
            player={player}
            timing={timing}
            sprite={sprite}
            waveform={waveform}
            markers={markers}
            onMarker={(id) => {
              const n = notes.find((x) => x.id === id);
              if (n) selectNote(n);
            }}
          />
        )}
        {media.processingState === 'failed' ? (
          <ProcessingProblem error={media.processingError} />
        ) : (
          media.processingState !== 'ready' && (
            <p className="warning" role="status">
              Processing: {media.processingState === 'pending' ? 'queued' : 'in progress'}…
            </p>
          )
        )}
        {flash && (
          <p className="flash" role="status">
            {flash}
          </p>
        )}
        {playlist && <PlaylistStrip playback={playlist} media={media} onReviewed={setMedia} />}
      </div>
      <aside className="viewer-side" aria-label="Details">
        <div
          role="tablist"
          aria-label="Panels"
          className="tabs"
          onKeyDown={(e) => {
            // WAI-ARIA tabs: arrows (and Home/End) move between tabs; they never reach the player.
            const i = TABS.indexOf(tab);
            const to =
              e.key === 'ArrowRight'
                ? TABS[(i + 1) % TABS.length]
                : e.key === 'ArrowLeft'
                  ? TABS[(i + TABS.length - 1) % TABS.length]
                  : e.key === 'Home'
                    ? TABS[0]
                    : e.key === 'End'
                      ? TABS[TABS.length - 1]
                      : undefined;
            if (!to) return;
            e.preventDefault();
            showTab(to);
          }}
        >
          {TABS.map((t) => (
            <button
              key={t}
              role="tab"
              type="button"
              aria-selected={tab === t}
              tabIndex={tab === t ? 0 : -1}
              aria-keyshortcuts={`Alt+${TABS.indexOf(t) + 1}`}
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
              canHold={moving}
              addToNote={
                selectedNote && drawing.present.length > 0
                  ? {
                      label: frameLabel(selectedNote.frame, selectedNote.frameEnd),
                      save: () => addToNote(selectedNote),
                    }
                  : null
              }
              saveInfo={saveInfo}
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
        <button type="button" className="link" onClick={() => void go(links.project(media.projectId))}>
          ← Back to browser
        </button>
      </aside>
    </div>
  );
}

/**
 * A live review session (issue 22, decisions 140 and 196): the driver's transport publishes the
 * state; followers apply the snapshot, then each event in order. Paused, a follower shows the
 * driver's frame exactly; playing, it runs its own video from the driver's frame and timestamp
 * and corrects drift with small rate changes (a seek when far off). A follower's own stepping
 * detaches it until it rejoins.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  COMPARE_LAYOUTS,
  DEFAULT_COMPARE_MIX,
  VIEW_CHANNELS,
  maySteerSession,
  type CompareLayout,
  type ViewChannel,
} from '@montu/domain';
import { api, type Media, type Project } from '../api/index.js';
import { useSession } from '../session.js';
import { usePlayer, type Player } from '../lib/usePlayer.js';
import { frameToSeekTime, mediaTiming } from '../lib/timecode.js';
import {
  emptyDrawing,
  fromWireDrawing,
  toWireDrawing,
  type Shape,
  type Tool,
  type Viewport,
} from '../lib/drawing.js';
import { hasFloatRendition, type ViewerColour } from '../lib/colour.js';
import { ChannelFilters, Stage } from '../components/Stage.js';
import { FloatStage } from '../components/FloatStage.js';
import { DrawingLayer } from '../components/DrawingLayer.js';
import { DrawTools } from '../components/DrawTools.js';
import {
  COMPARE_LAYOUT_LABEL,
  ComparePanes,
  OpacityControl,
  paneBViewport,
} from '../components/ComparePanes.js';
import { MediaView, isMoving } from '../components/MediaView.js';
import { Transport } from '../components/Transport.js';
import {
  applyEvent,
  driftCorrection,
  expectedFrame,
  fromSnapshot,
  stateOf,
  type ReviewSession,
  type ReviewSessionEvent,
  type SessionView,
} from '../lib/session.js';

const HEARTBEAT_MS = 20_000;
const EVENT_TYPES = ['started', 'state', 'presence', 'control', 'note', 'ended'] as const;

export default function SessionPage({ sessionId }: { sessionId: string }) {
  const me = useSession().me.user.username;
  const [view, setView] = useState<SessionView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [connected, setConnected] = useState(false);
  const [summary, setSummary] = useState<Awaited<ReturnType<typeof api.reviewSessionSummary>> | null>(null);

  // Join (you are here), then the stream: a snapshot, then every event in seq order. EventSource
  // reconnects by itself with Last-Event-ID; after a server restart the server replays from it.
  useEffect(() => {
    let closed = false;
    api.joinReviewSession(sessionId).then(
      (s) => !closed && setView((v) => fromSnapshot(s as ReviewSession, performance.now(), v ?? undefined)),
      (e: Error) => !closed && setError(e.message),
    );
    // EventSource reconnects by itself with Last-Event-ID; should the browser give up (it closes
    // on an answer it cannot read), a new stream starts from a snapshot.
    let source: EventSource;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = () => {
      source = new EventSource(api.reviewSessionEventsUrl(sessionId), { withCredentials: true });
      source.addEventListener('open', () => setConnected(true));
      source.addEventListener('error', () => {
        setConnected(source.readyState === EventSource.OPEN);
        if (source.readyState === EventSource.CLOSED && !closed) retry = setTimeout(connect, 2000);
      });
      source.addEventListener('snapshot', (m) => {
        const s = JSON.parse((m as MessageEvent<string>).data) as ReviewSession;
        setView((v) => fromSnapshot(s, performance.now(), v ?? undefined));
      });
      for (const type of EVENT_TYPES)
        source.addEventListener(type, (m) => {
          const e = JSON.parse((m as MessageEvent<string>).data) as ReviewSessionEvent;
          setView((v) => (v ? applyEvent(v, e, performance.now()) : v));
          if (type === 'ended') {
            closed = true;
            source.close();
          }
        });
    };
    connect();
    const beat = setInterval(
      () => void api.reviewSessionHeartbeat(sessionId).catch(() => undefined),
      HEARTBEAT_MS,
    );
    return () => {
      closed = true;
      clearInterval(beat);
      clearTimeout(retry);
      source.close();
      void api.leaveReviewSession(sessionId).catch(() => undefined);
    };
  }, [sessionId]);

  const ended = view?.session.status === 'ended';
  useEffect(() => {
    if (ended) api.reviewSessionSummary(sessionId).then(setSummary, () => undefined);
  }, [ended, sessionId]);

  if (error)
    return (
      <p className="error" role="alert">
        {error}
      </p>
    );
  if (!view)
    return (
      <div className="splash" role="status">
        Joining the session…
      </div>
    );
  if (ended) return <SessionSummary view={view} summary={summary} />;
  return <LiveSession view={view} me={me} connected={connected} />;
}

function LiveSession({ view, me, connected }: { view: SessionView; me: string; connected: boolean }) {
  const { session } = view;
  const state = stateOf(session);
  const driving = session.driver === me;
  // Hand over, take control, end: the domain's one rule (the server enforces the same).
  const steers = maySteerSession(session, me, useSession().roleIn(session.projectId));
  // The driver's drawing in progress: published with each stroke, shown to every follower.
  const [pen, setPen] = useState<{ tool: Tool | null; color: string; width: number }>({
    tool: null,
    color: '#ff3b30',
    width: 0.004,
  });
  const [shapes, setShapes] = useState<Shape[]>([]);
  const [media, setMedia] = useState<Record<string, Media>>({});
  const [following, setFollowing] = useState(true);
  const [note, setNote] = useState('');
  const [noteError, setNoteError] = useState<string | null>(null);

  const ids = useMemo(
    () => [...new Set([...session.items, state.mediaId, ...(state.compare ? [state.compare.mediaId] : [])])],
    [session.items, state.mediaId, state.compare],
  );
  useEffect(() => {
    for (const id of ids)
      if (!media[id]) void api.media(id).then((m) => setMedia((all) => ({ ...all, [m.id]: m })));
  }, [ids, media]);

  // Who drives always follows themselves; taking control re-attaches.
  useEffect(() => {
    if (driving) setFollowing(true);
  }, [driving]);

  const publish = useSessionPublisher(session.id);
  const draw = useCallback(
    (next: Shape[]) => {
      setShapes(next);
      publish({ drawing: next.length ? toWireDrawing({ ...emptyDrawing(), shapes: next }) : null });
    },
    [publish],
  );
  // A drawing belongs to the frame it was made on: the driver's moves start a new one (the
  // published frame/item patch clears it for everyone, see ItemPlayer).
  useEffect(() => {
    if (driving) setShapes([]);
  }, [driving, state.mediaId, state.frame]);
  const current = media[state.mediaId];
  const other = state.compare ? media[state.compare.mediaId] : undefined;

  return (
    <div className="session-page">
      <ChannelFilters />
      <div className="session-main">
        <div className="session-bar" role="status" aria-live="polite">
          <strong>Live review</strong>
          <span className="muted">
            {driving ? 'You are driving' : `${session.driver} is driving`}
            {connected ? '' : ' · reconnecting…'}
          </span>
          {!driving && !following && (
            <span className="session-detached">
              Following paused —{' '}
              <button type="button" onClick={() => setFollowing(true)}>
                Rejoin
              </button>
            </span>
          )}
          <button
            type="button"
            className="session-link"
            onClick={() => void navigator.clipboard?.writeText(location.href).catch(() => undefined)}
            title="Copy the join link"
          >
            Copy join link
          </button>
        </div>
        {current ? (
          <ItemPlayer
            key={current.id}
            media={current}
            other={other ?? null}
            view={view}
            driving={driving}
            following={following || driving}
            onDetach={() => setFollowing(false)}
            publish={publish}
            drawing={driving ? { ...pen, shapes, onCommit: draw } : null}
          />
        ) : (
          <div className="splash" role="status">
            Loading…
          </div>
        )}
        {driving && (
          <>
            <DrawTools
              tool={pen.tool}
              color={pen.color}
              width={pen.width}
              canUndo={false}
              canRedo={false}
              onTool={(tool) => setPen((p) => ({ ...p, tool }))}
              onColor={(color) => setPen((p) => ({ ...p, color }))}
              onWidth={(width) => setPen((p) => ({ ...p, width }))}
              onUndo={() => undefined}
              onRedo={() => undefined}
              onClear={() => draw([])}
            />
            <DriverControls session={session} media={media} publish={publish} />
          </>
        )}
      </div>
      <aside className="session-side">
        <section aria-label="Who is here">
          <h3>Here</h3>
          <ul className="session-presence">
            {session.presence.map((p) => (
              <li key={p.username} data-username={p.username}>
                {p.username}
                {p.username === session.driver ? ' (driving)' : ''}
                {p.username !== session.driver && steers && (
                  <button
                    type="button"
                    onClick={() =>
                      void api.handOverReviewSession(session.id, p.username).catch(() => undefined)
                    }
                  >
                    Hand over
                  </button>
                )}
              </li>
            ))}
          </ul>
          {!driving && steers && (
            <button type="button" onClick={() => void api.handOverReviewSession(session.id, me)}>
              Take control
            </button>
          )}
        </section>
        <section aria-label="Session notes">
          <h3>Notes</h3>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (!note.trim()) return;
              setNoteError(null);
              // The driver's note carries the drawing in progress (then cleared for everyone).
              const drawing =
                driving && shapes.length ? toWireDrawing({ ...emptyDrawing(), shapes }) : undefined;
              api
                .addReviewSessionNote(session.id, { content: note.trim(), ...(drawing ? { drawing } : {}) })
                .then(
                  () => {
                    setNote('');
                    if (drawing) draw([]);
                  },
                  (err: Error) => setNoteError(err.message),
                );
            }}
          >
            <textarea
              aria-label="Note on the current frame"
              value={note}
              onChange={(e) => setNote(e.target.value)}
              placeholder={`Note on frame ${state.frame}`}
            />
            <button type="submit">Add note</button>
            {noteError && (
              <p className="error" role="alert">
                {noteError}
              </p>
            )}
          </form>
          <ol className="session-notes">
            {view.notes.map((n) => (
              <li key={n.noteId} data-media={n.mediaId} data-frame={n.frame ?? ''}>
                <strong>{n.author}</strong> · {label(media[n.mediaId])} · frame {n.frame ?? '—'}
              </li>
            ))}
          </ol>
        </section>
        {steers && (
          <button
            type="button"
            className="danger"
            onClick={() => void api.endReviewSession(session.id).catch(() => undefined)}
          >
            End session
          </button>
        )}
      </aside>
    </div>
  );
}

type Patch = Parameters<typeof api.updateReviewSession>[1];
type Publish = (patch: Patch) => void;

function mergePatch(a: Patch | null, b: Patch): Patch {
  if (!a) return b;
  return {
    ...a,
    ...b,
    ...(b.colour ? { colour: { ...a.colour, ...b.colour } } : {}),
    ...(b.compare && a.compare ? { compare: { ...a.compare, ...b.compare } } : {}),
  };
}

/**
 * The driver's changes, sent one at a time in order (a step while the previous PATCH is in
 * flight waits; consecutive waiting patches merge, so a fast scrub sends its last frame).
 */
function useSessionPublisher(sessionId: string): Publish {
  const queue = useRef<{ pending: Patch | null; busy: boolean }>({ pending: null, busy: false });
  return useCallback(
    (patch) => {
      const q = queue.current;
      q.pending = mergePatch(q.pending, patch);
      const run = async (): Promise<void> => {
        if (q.busy || !q.pending) return;
        q.busy = true;
        const next = q.pending;
        q.pending = null;
        try {
          await api.updateReviewSession(sessionId, next);
        } catch {
          // Control moved on (403) or the session ended (409): the stream shows the new state.
        } finally {
          q.busy = false;
          void run();
        }
      };
      void run();
    },
    [sessionId],
  );
}

function ItemPlayer({
  media,
  other,
  view,
  driving,
  following,
  onDetach,
  publish,
  drawing,
}: {
  media: Media;
  other: Media | null;
  view: SessionView;
  driving: boolean;
  following: boolean;
  onDetach: () => void;
  publish: Publish;
  /** The driver's pen and drawing in progress; null for a follower (who sees the state's). */
  drawing: {
    tool: Tool | null;
    color: string;
    width: number;
    shapes: Shape[];
    onCommit: (s: Shape[]) => void;
  } | null;
}) {
  const project: Project | undefined = useSession().projects.find((p) => p.id === media.projectId);
  const timing = useMemo(() => mediaTiming(media, project?.settings.defaultFps), [media, project]);
  const fps = timing.fps.num / timing.fps.den;
  const state = stateOf(view.session);
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  const [otherVideo, setOtherVideo] = useState<HTMLVideoElement | null>(null);
  // The frame to open on, frozen: usePlayer seeks whenever its initial frame changes, and a
  // detached follower must not be moved by the driver's later frames.
  const [openFrame] = useState(() => state.frame - timing.frameStart);
  const player = usePlayer(video, timing.fps, timing.frameCount, openFrame);
  const [viewport, setViewport] = useState<Viewport>(() => initialViewport(media));
  const [otherViewport, setOtherViewport] = useState<Viewport>(() => initialViewport(other ?? media));
  const onSize = useCallback(
    (w: number, h: number) => setViewport((v) => ({ ...v, imageWidth: w, imageHeight: h })),
    [],
  );
  const onOtherSize = useCallback(
    (w: number, h: number) => setOtherViewport((v) => ({ ...v, imageWidth: w, imageHeight: h })),
    [],
  );

  // Driver: what the transport did becomes the session's state (frame numbered as notes'). A
  // drawing belongs to its frame: moving on clears it for everyone.
  const published = useRef({ frame: state.frame - timing.frameStart, playing: state.playing });
  const drawn = useRef(false);
  drawn.current = state.drawing !== null;
  useEffect(() => {
    if (!driving || !video) return;
    const last = published.current;
    const clear = drawn.current ? { drawing: null } : {};
    if (player.playing !== last.playing) {
      published.current = { frame: player.frame, playing: player.playing };
      // Playing: the frame the video is at now, with the time it was there on this clock
      // (followers run from that moment: the request's own time does not delay them). Paused:
      // the settled frame.
      publish(
        player.playing
          ? (() => {
              const at = video.currentTime * fps - 0.5; // frames are numbered at their middle
              const n = timing.frameCount;
              const f = n > 0 ? ((Math.round(at) % n) + n) % n : Math.max(0, Math.round(at));
              const frameAt = Date.now() - ((at - Math.round(at)) / fps) * 1000;
              return { playing: true, frame: timing.frameStart + f, frameAt, rate: 1, ...clear };
            })()
          : { playing: false, frame: timing.frameStart + player.frame, frameAt: null, ...clear },
      );
    } else if (!player.playing && player.frame !== last.frame) {
      published.current = { frame: player.frame, playing: false };
      publish({ frame: timing.frameStart + player.frame, ...clear });
    }
  }, [driving, video, player.playing, player.frame, publish, timing.frameStart, timing.frameCount, fps]);

  // Follower: lock onto the state. Paused: the exact frame. Playing: from the driver's frame and
  // timestamp, corrected a few times a second.
  const seek = player.seek;
  useEffect(() => {
    if (driving || !following || !video) return;
    const wanted = () =>
      expectedFrame(state, view.anchorMs, performance.now(), fps, timing.frameStart, timing.frameCount);
    if (!state.playing) {
      seek(state.frame - timing.frameStart);
      return;
    }
    const start = () => {
      video.currentTime = frameToSeekTime(wanted(), timing.fps);
      video.playbackRate = state.rate;
      void video.play().catch(() => undefined);
    };
    if (video.readyState >= 1) start();
    else video.addEventListener('loadedmetadata', start, { once: true });
    // How long this follower's last seek took, in frames: the next one aims that far ahead.
    let lead = 0;
    let seekStarted = 0;
    const onSeeked = () => {
      if (seekStarted)
        lead = Math.min(48, ((performance.now() - seekStarted) / 1000) * fps * Math.abs(state.rate));
      seekStarted = 0;
    };
    video.addEventListener('seeked', onSeeked);
    const correct = setInterval(() => {
      if (video.paused || video.seeking) return;
      // Frames are numbered at their middle (frameToSeekTime): frame n shows at (n + 0.5) / fps.
      const shown = (video.currentTime * timing.fps.num) / timing.fps.den - 0.5;
      const c = driftCorrection(shown, wanted(), timing.frameCount, state.rate, Math.ceil(fps), lead);
      if (c.seekTo !== null) {
        seekStarted = performance.now();
        video.currentTime = frameToSeekTime(Math.floor(c.seekTo), timing.fps);
      }
      // Changing the rate restarts Chromium's renderer clock: only a real change is applied.
      if (Math.abs(video.playbackRate - c.playbackRate) > 0.04) video.playbackRate = c.playbackRate;
      // The drift this follower measured (frames, + = behind the driver), for diagnostics and tests.
      video.dataset['drift'] = (wanted() - shown).toFixed(2);
    }, 100);
    return () => {
      clearInterval(correct);
      video.removeEventListener('seeked', onSeeked);
      video.removeEventListener('loadedmetadata', start);
      video.playbackRate = 1;
    };
    // The state object changes with every event; these fields are what the lock depends on.
  }, [driving, following, video, state.frame, state.playing, state.rate, view.anchorMs, seek, fps, timing]);

  // The compare pane shows the same frame as the main picture.
  useEffect(() => {
    if (!otherVideo) return;
    if (player.playing) {
      if (otherVideo.paused) void otherVideo.play().catch(() => undefined);
      otherVideo.playbackRate = video?.playbackRate ?? 1;
    } else {
      otherVideo.pause();
      otherVideo.currentTime = frameToSeekTime(player.frame, timing.fps);
    }
  }, [otherVideo, video, player.playing, player.frame, timing.fps]);

  // A follower's own transport detaches it from the driver until it rejoins.
  const transportPlayer: Player = useMemo(() => {
    if (driving) return player;
    const detach =
      <A extends unknown[]>(fn: (...a: A) => void) =>
      (...a: A) => {
        onDetach();
        fn(...a);
      };
    return {
      ...player,
      play: detach(player.play),
      pause: detach(player.pause),
      toggle: detach(player.toggle),
      seek: detach(player.seek),
      step: detach(player.step),
      first: detach(player.first),
      last: detach(player.last),
    };
  }, [driving, player, onDetach]);

  const layout = other ? (state.compare?.layout ?? 'side') : null;
  const { channel, ...colour } = state.colour;
  const moving = isMoving(media);
  const frameNumber = timing.frameStart + player.frame;
  const stageLabel = `${label(media)}${moving ? `, frame ${frameNumber}` : ''}`;
  // The driver draws; followers see the driver's drawing in progress (the state's).
  const overlay = (
    <DrawingLayer
      viewport={viewport}
      shown={drawing ? [] : (fromWireDrawing(state.drawing)?.shapes ?? [])}
      editing={drawing?.shapes ?? []}
      tool={drawing?.tool ?? null}
      color={drawing?.color ?? '#ff3b30'}
      width={drawing?.width ?? 0.004}
      onCommit={drawing?.onCommit ?? (() => undefined)}
    />
  );
  // Only what the driver changed is sent: a change made before the previous one came back
  // from the server must not undo it with the older value of another field.
  const onColour = useCallback(
    (c: ViewerColour) => {
      if (!driving) return;
      const changed = (Object.keys(c) as Array<keyof ViewerColour>).filter((k) => c[k] !== colour[k]);
      if (changed.length) publish({ colour: Object.fromEntries(changed.map((k) => [k, c[k]])) });
    },
    [driving, publish, colour],
  );
  // Float and high-bit-depth stills through the colour-managed viewer, with the session's view
  // (the driver picks it; a follower's controls show it); everything else the plain picture.
  const main = hasFloatRendition(media) ? (
    <FloatStage
      media={media}
      colour={colour}
      onColour={onColour}
      readOnly={!driving}
      channel={channel}
      viewport={viewport}
      onViewport={setViewport}
      onSize={onSize}
      panEnabled={!drawing?.tool}
      label={stageLabel}
      overlay={overlay}
    />
  ) : (
    <Stage
      viewport={viewport}
      onViewport={setViewport}
      channel={channel}
      panEnabled={!drawing?.tool}
      label={stageLabel}
      className="session-stage"
      overlay={overlay}
    >
      {(style) => <MediaView media={media} style={style} videoRef={setVideo} onSize={onSize} />}
    </Stage>
  );
  return (
    <div className="session-player" data-layout={layout ?? 'single'} data-frame={frameNumber}>
      {/* One tree for every layout (ComparePanes keeps pane A in place): the main picture's
          <video> must never be remounted (a new element starts at frame 0, and the driver would
          publish that). The A/B toggle shows the current item. */}
      <ComparePanes
        layout={layout ?? 'side'}
        wipe={state.compare?.wipe ?? DEFAULT_COMPARE_MIX.wipe}
        opacity={state.compare?.opacity ?? DEFAULT_COMPARE_MIX.opacity}
        showB={false}
        onWipe={driving && state.compare ? (wipe) => publish({ compare: { wipe } }) : undefined}
        a={main}
        b={
          other ? (
            <Stage
              viewport={paneBViewport(layout ?? 'side', viewport, otherViewport)}
              onViewport={layout === 'side' ? setOtherViewport : () => undefined}
              channel={channel}
              panEnabled={layout === 'side'}
              label={`${label(other)} (compare)`}
              className="session-stage"
            >
              {(style) => (
                <MediaView media={other} style={style} videoRef={setOtherVideo} onSize={onOtherSize} />
              )}
            </Stage>
          ) : undefined
        }
      />
      <p className="muted session-caption">
        {label(media)}
        {other ? ` · compared with ${label(other)} (${layout})` : ''}
        {state.colour.channel !== 'rgb' ? ` · channel ${state.colour.channel}` : ''}
        {state.colour.view ? ` · view ${state.colour.display ?? ''} / ${state.colour.view}` : ''}
        {state.colour.exposure
          ? ` · exposure ${state.colour.exposure > 0 ? '+' : ''}${state.colour.exposure} stop${Math.abs(state.colour.exposure) === 1 ? '' : 's'}`
          : ''}
        {state.colour.gamma !== 1 ? ` · gamma ${state.colour.gamma}` : ''}
      </p>
      {moving && (
        <Transport player={transportPlayer} timing={timing} markers={[]} onMarker={() => undefined} />
      )}
    </div>
  );
}

/** What only the driver changes besides the transport: the item, compare and the colour view. */
function DriverControls({
  session,
  media,
  publish,
}: {
  session: ReviewSession;
  media: Record<string, Media>;
  publish: Publish;
}) {
  const state = stateOf(session);
  return (
    <div className="session-driver" role="toolbar" aria-label="Session controls">
      <label>
        Item{' '}
        <select
          value={state.mediaId}
          onChange={(e) =>
            publish({ mediaId: e.target.value, frame: firstFrame(media[e.target.value]), playing: false })
          }
        >
          {session.items.map((id) => (
            <option key={id} value={id}>
              {label(media[id]) || id}
            </option>
          ))}
        </select>
      </label>
      <label>
        Compare with{' '}
        <select
          value={state.compare?.mediaId ?? ''}
          onChange={(e) =>
            publish({
              // The layout, wipe and opacity stay as they were (side by side at first).
              compare: e.target.value ? { mediaId: e.target.value } : null,
            })
          }
        >
          <option value="">—</option>
          {session.items
            .filter((id) => id !== state.mediaId)
            .map((id) => (
              <option key={id} value={id}>
                {label(media[id]) || id}
              </option>
            ))}
        </select>
      </label>
      <label>
        Layout{' '}
        <select
          value={state.compare?.layout ?? 'side'}
          disabled={!state.compare}
          onChange={(e) => publish({ compare: { layout: e.target.value as CompareLayout } })}
        >
          {COMPARE_LAYOUTS.map((l) => (
            <option key={l} value={l}>
              {COMPARE_LAYOUT_LABEL[l]}
            </option>
          ))}
        </select>
      </label>
      {state.compare?.layout === 'overlay' && (
        <OpacityControl
          value={state.compare.opacity}
          onChange={(opacity) => publish({ compare: { opacity } })}
        />
      )}
      <label>
        Channel{' '}
        <select
          value={state.colour.channel}
          onChange={(e) => publish({ colour: { channel: e.target.value as ViewChannel } })}
        >
          {VIEW_CHANNELS.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

function SessionSummary({
  view,
  summary,
}: {
  view: SessionView;
  summary: Awaited<ReturnType<typeof api.reviewSessionSummary>> | null;
}) {
  return (
    <div className="session-summary">
      <h2>Session ended</h2>
      <p className="muted">
        Ended by {view.session.endedBy ?? '—'}
        {summary ? ` · ${summary.noteCount} note${summary.noteCount === 1 ? '' : 's'}` : ''}
      </p>
      {summary?.items.map((item) => (
        <section key={item.mediaId}>
          <h3>
            {item.taskId} {item.version}{' '}
            <a href={item.notesPackage} download>
              Notes package
            </a>
          </h3>
          <ul>
            {item.notes.map((n) => (
              <li key={n.id}>
                <strong>{n.author}</strong> · frame {n.frame ?? '—'}: {n.content}
              </li>
            ))}
          </ul>
        </section>
      ))}
      {summary?.playlistExport && (
        <p>
          <a href={summary.playlistExport} download>
            Playlist export
          </a>
        </p>
      )}
    </div>
  );
}

function label(m: Media | undefined): string {
  return m ? `${m.taskId} ${m.version}` : '';
}

function firstFrame(m: Media | undefined): number {
  return m ? mediaTiming(m).frameStart : 0;
}

function initialViewport(m: Media): Viewport {
  return {
    containerWidth: 640,
    containerHeight: 360,
    imageWidth: Number(m.metadata.width) || 1920,
    imageHeight: Number(m.metadata.height) || 1080,
    zoom: 1,
    panX: 0,
    panY: 0,
  };
}

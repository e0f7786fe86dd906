/**
 * Playing a playlist in the viewer (issue 21 item 5): the viewer of an item opened with
 * `?playlist=<id>` shows the playlist's items as a strip (status and open notes of each), goes to
 * the next or previous item (buttons and keys), plays through (`play=1`: each item starts playing
 * and the next one follows when it ends; a still is shown for STILL_SECONDS) and, in review mode
 * (`review=1`), approving or requesting changes moves on to the next item.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate } from '@tanstack/react-router';
import { STATUS_LABELS, STATUS_ROUTES } from '@montu/domain';
import { api, type ApprovalStatus, type Media, type Playlist } from '../api/index.js';
import { links, useSearchPatch, viewerRoute, type ViewerSearch } from '../routes.js';
import { StatusBadge } from './StatusBadge.js';
import { Thumb } from './Thumb.js';

/** How long a still stays on screen when a playlist plays through. */
export const STILL_SECONDS = 4;

export interface PlaylistPlayback {
  playlist: Playlist;
  index: number;
  /** Playing through: start each item and follow on at its end. */
  playing: boolean;
  reviewMode: boolean;
  go(index: number, play?: boolean): void;
  next(play?: boolean): boolean;
  prev(): boolean;
  setReviewMode(on: boolean): void;
  setPlaying(on: boolean): void;
}

/** The viewer's address of an item of a playlist, with the play-through and review-mode flags. */
export function playlistItemLink(
  playlistId: string,
  mediaId: string,
  flags: { play?: boolean; review?: boolean },
) {
  return links.viewer(mediaId, {
    playlist: playlistId,
    play: flags.play ? true : undefined,
    review: flags.review ? true : undefined,
  });
}

/** The playlist the viewer was opened from (`?playlist=`), or null. */
export function usePlaylistPlayback(mediaId: string): PlaylistPlayback | null {
  const search = viewerRoute.useSearch();
  const playlistId = search.playlist ?? null;
  const playing = search.play === true;
  const reviewMode = search.review === true;
  const navigate = useNavigate();
  const patch = useSearchPatch<ViewerSearch>();
  const [playlist, setPlaylist] = useState<Playlist | null>(null);
  useEffect(() => {
    if (!playlistId) return setPlaylist(null);
    let live = true;
    api.playlist(playlistId).then(
      (p) => live && setPlaylist(p),
      () => live && setPlaylist(null),
    );
    return () => {
      live = false;
    };
  }, [playlistId]);

  return useMemo(() => {
    if (!playlist || playlist.id !== playlistId) return null;
    const index = playlist.items.findIndex((it) => it.mediaId === mediaId);
    const go = (i: number, play = playing) => {
      const it = playlist.items[i];
      if (it) void navigate(playlistItemLink(playlist.id, it.mediaId, { play, review: reviewMode }));
    };
    return {
      playlist,
      index,
      playing,
      reviewMode,
      go,
      next: (play = playing) => {
        if (index + 1 >= playlist.items.length) return false;
        go(index + 1, play);
        return true;
      },
      prev: () => {
        if (index <= 0) return false;
        go(index - 1, playing);
        return true;
      },
      // The flags change in place: the frame and the selected note stay.
      setReviewMode: (on) => patch({ review: on || undefined }),
      setPlaying: (on) => patch({ play: on || undefined }),
    };
  }, [playlist, playlistId, mediaId, playing, reviewMode, navigate, patch]);
}

/**
 * Play-through for one item: start it when the page opened it playing, and call `onEnd` when it
 * ends (a movie reaching its last frame; a still after STILL_SECONDS). The video's own `pause`
 * at the last frame (the player stops there when not looping) and `ended` both count as the end.
 */
export function usePlayThrough(
  video: HTMLVideoElement | null,
  moving: boolean,
  active: boolean,
  onEnd: () => void,
): void {
  const end = useRef(onEnd);
  end.current = onEnd;
  useEffect(() => {
    if (!active) return;
    if (!moving) {
      const t = setTimeout(() => end.current(), STILL_SECONDS * 1000);
      return () => clearTimeout(t);
    }
    if (!video) return;
    let done = false;
    const atEnd = () => video.duration > 0 && video.currentTime >= video.duration - 0.1;
    const finish = () => {
      if (done || !atEnd()) return;
      done = true;
      end.current();
    };
    const start = () => void video.play().catch(() => undefined);
    if (video.readyState >= 2) start();
    else video.addEventListener('canplay', start, { once: true });
    video.addEventListener('pause', finish);
    video.addEventListener('ended', finish);
    return () => {
      video.removeEventListener('canplay', start);
      video.removeEventListener('pause', finish);
      video.removeEventListener('ended', finish);
    };
  }, [video, moving, active]);
}

/** Open (unresolved, top-level) notes of each item, for the strip. */
function useOpenNotes(ids: readonly string[]): Record<string, number> {
  const [counts, setCounts] = useState<Record<string, number>>({});
  const key = ids.join(',');
  useEffect(() => {
    let live = true;
    void Promise.all(
      ids.map((id) =>
        api.annotations(id).then(
          (notes) => [id, notes.filter((n) => !n.parentId && !n.resolved).length] as const,
          () => [id, 0] as const,
        ),
      ),
    ).then((pairs) => live && setCounts(Object.fromEntries(pairs)));
    return () => {
      live = false;
    };
  }, [key]); // the ids' content, not the array's identity
  return counts;
}

/**
 * The status an item of the playlist has now: the viewer's copy for the item on screen (it changes
 * when reviewed), the playlist's for the others.
 */
function statusOf(current: Media, mediaId: string, fallback: ApprovalStatus): ApprovalStatus {
  return mediaId === current.id ? current.status : fallback;
}

export function PlaylistStrip({
  playback,
  media,
  onReviewed,
}: {
  playback: PlaylistPlayback;
  media: Media;
  onReviewed: (m: Media) => void;
}) {
  const { playlist, index } = playback;
  const counts = useOpenNotes(playlist.items.map((it) => it.mediaId));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const currentRef = useRef<HTMLLIElement>(null);
  // Braces: newer Chromium's scrollIntoView returns a promise, which React would take for a cleanup.
  useEffect(() => {
    currentRef.current?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [index]);

  const review = useCallback(
    async (to: ApprovalStatus) => {
      setBusy(true);
      setMessage(null);
      try {
        const m = await reviewItem(media, to);
        onReviewed(m);
        if (!playback.next(false)) setMessage(`${STATUS_LABELS[to]}. That was the last item.`);
      } catch (e) {
        setMessage((e as Error).message);
      } finally {
        setBusy(false);
      }
    },
    [media, onReviewed, playback],
  );

  return (
    <section className="playlist-strip" aria-label={`Playlist ${playlist.name}`}>
      <div className="strip-head">
        <strong>{playlist.name}</strong>
        <span className="muted" data-testid="playlist-position">
          {index + 1} / {playlist.items.length}
        </span>
        <button
          type="button"
          onClick={() => playback.prev()}
          disabled={index <= 0}
          aria-keyshortcuts="PageUp"
          title="Previous item (Page Up)"
        >
          ◀ Previous
        </button>
        <button
          type="button"
          onClick={() => playback.next()}
          disabled={index + 1 >= playlist.items.length}
          aria-keyshortcuts="PageDown"
          title="Next item (Page Down)"
        >
          Next ▶
        </button>
        <label className="check">
          <input
            type="checkbox"
            checked={playback.playing}
            onChange={(e) => playback.setPlaying(e.target.checked)}
          />{' '}
          Play through
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={playback.reviewMode}
            onChange={(e) => playback.setReviewMode(e.target.checked)}
          />{' '}
          Review mode
        </label>
        {playback.reviewMode && (
          <>
            <button
              type="button"
              className="approve"
              disabled={busy}
              onClick={() => void review('approved')}
              aria-keyshortcuts="Shift+A"
            >
              Approve &amp; next
            </button>
            <button
              type="button"
              disabled={busy}
              onClick={() => void review('changes_requested')}
              aria-keyshortcuts="Shift+C"
            >
              Request changes &amp; next
            </button>
          </>
        )}
        {message && (
          <span className="muted" role="status">
            {message}
          </span>
        )}
      </div>
      <ol className="strip-items">
        {playlist.items.map((it, i) => (
          <li
            key={it.mediaId}
            ref={i === index ? currentRef : undefined}
            aria-current={i === index ? 'true' : undefined}
          >
            <Link
              {...playlistItemLink(playlist.id, it.mediaId, {
                play: playback.playing,
                review: playback.reviewMode,
              })}
            >
              <Thumb media={it.media} width={120} height={68} />
              <span className="strip-title">
                {i + 1}. {it.media.taskId} {it.media.version}
              </span>
              <span className="strip-meta">
                <StatusBadge status={statusOf(media, it.mediaId, it.media.status)} />
                <span className="muted">
                  {counts[it.mediaId] === undefined
                    ? ''
                    : `${counts[it.mediaId]} open note${counts[it.mediaId] === 1 ? '' : 's'}`}
                </span>
              </span>
            </Link>
          </li>
        ))}
      </ol>
    </section>
  );
}

/**
 * Moves an item to a status through its route (the domain's STATUS_ROUTES), if the user's role
 * may now (the server's status options); else an error saying why not.
 */
export async function reviewItem(media: Media, to: ApprovalStatus, comment = ''): Promise<Media> {
  const options = await api.statusOptions(media.id);
  if (!options.targets.some((t) => t.to === to))
    throw new Error(
      `You cannot set ${STATUS_LABELS[to]} on this version now (it is ${STATUS_LABELS[media.status].toLowerCase()}).`,
    );
  const m = await api.review(media.id, STATUS_ROUTES[to], comment);
  return m && (m as Media).id ? (m as Media) : api.media(media.id);
}

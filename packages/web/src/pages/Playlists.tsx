/** Playlists: build from versions, play through in order with notes, export notes (server-side). */
import { useEffect, useState } from 'react';
import { Link, useNavigate } from '@tanstack/react-router';
import { api, type MediaSummary as Media, type Playlist, type PlaylistSummary } from '../api/index.js';
import { links } from '../routes.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { playlistItemLink } from '../components/PlaylistStrip.js';
import { StartSession } from '../components/StartSession.js';
import { useSession } from '../session.js';

export default function Playlists({
  projectId,
  playlistId,
}: {
  projectId: string;
  playlistId: string | null;
}) {
  const [lists, setLists] = useState<PlaylistSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const navigate = useNavigate();
  const reload = () => api.playlists(projectId).then(setLists, (e: Error) => setError(e.message));
  useEffect(() => void reload(), [projectId]); // runs when the id changes only, by design

  return (
    <div className="playlists">
      <section className="playlist-index" aria-label="Playlists">
        <h1>Playlists</h1>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim())
              void api.createPlaylist(projectId, name.trim(), []).then(
                (p) => {
                  setName('');
                  void reload();
                  void navigate(links.playlists(projectId, { id: p.id }));
                },
                (err: Error) => setError(err.message),
              );
          }}
        >
          <label>
            New playlist{' '}
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Dailies 2024-05-03" />
          </label>
          <button type="submit">Create</button>
        </form>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <ul>
          {lists.map((p) => (
            <li key={p.id}>
              {/* Link marks the open one aria-current="page": its path and `id` match the address. */}
              <Link {...links.playlists(projectId, { id: p.id })}>{p.name}</Link>{' '}
              <span className="muted">
                {p.date ? `${p.date} · ` : ''}({p.itemCount})
              </span>
            </li>
          ))}
        </ul>
      </section>
      {playlistId && (
        <PlaylistDetail
          key={playlistId}
          projectId={projectId}
          id={playlistId}
          onChanged={() => void reload()}
        />
      )}
    </div>
  );
}

function PlaylistDetail({
  projectId,
  id,
  onChanged,
}: {
  projectId: string;
  id: string;
  onChanged: () => void;
}) {
  const [list, setList] = useState<Playlist | null>(null);
  const [media, setMedia] = useState<Media[]>([]);
  const [search, setSearch] = useState('');
  const [found, setFound] = useState<Media[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ name: string; date: string } | null>(null);
  const { me, roleIn } = useSession();
  const navigate = useNavigate();

  useEffect(() => {
    api.playlist(id).then(setList, (e: Error) => setError(e.message));
  }, [id]);
  useEffect(() => {
    if (!list) return;
    void Promise.all(list.items.map((it) => it.media)).then(setMedia, () => undefined);
  }, [list]);
  useEffect(() => {
    const t = setTimeout(
      () =>
        api.searchMedia({ projectId, query: search, limit: 20 }).then(
          (p) => setFound(p.items),
          () => setFound([]),
        ),
      150,
    );
    return () => clearTimeout(t);
  }, [projectId, search]);

  const done = (p: Promise<Playlist>) =>
    p.then(
      (l) => {
        setError(null);
        onChanged();
        // Some answers are the playlist, others not: read it again when in doubt.
        if (l && Array.isArray((l as Partial<Playlist>).items)) setList(l);
        else void api.playlist(id).then(setList);
        return true;
      },
      (e: Error) => {
        setError(e.message);
        return false;
      },
    );
  const save = (ids: string[]) => done(api.setPlaylistItems(id, ids));
  const ids = media.map((m) => m.id);
  const move = (i: number, d: number) => {
    const next = [...ids];
    const [x] = next.splice(i, 1);
    next.splice(i + d, 0, x!);
    void save(next);
  };

  if (!list) return error ? <p className="error">{error}</p> : <div className="splash">Loading…</div>;
  // The server's rule (docs/auth.md): its owner, supervisors and admins reorder and remove; any
  // member adds.
  const role = roleIn(projectId);
  const curates = role === 'supervisor' || role === 'admin' || list.owner === me.user.username;
  return (
    <section className="playlist-detail" aria-label={list.name}>
      <div className="viewer-head">
        {editing === null ? (
          <>
            <h2>{list.name}</h2>
            {list.date && <span className="muted">{list.date}</span>}
          </>
        ) : (
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (!editing.name.trim()) return;
              void done(
                api.updatePlaylist(id, { name: editing.name.trim(), date: editing.date || null }),
              ).then((ok) => ok && setEditing(null));
            }}
          >
            <input
              aria-label="Playlist name"
              value={editing.name}
              maxLength={200}
              autoFocus
              onChange={(e) => setEditing({ ...editing, name: e.target.value })}
            />
            <input
              type="date"
              aria-label="Review date"
              value={editing.date}
              onChange={(e) => setEditing({ ...editing, date: e.target.value })}
            />
            <button type="submit">Save</button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </form>
        )}
        {curates && editing === null && (
          <>
            <button type="button" onClick={() => setEditing({ name: list.name, date: list.date ?? '' })}>
              Edit
            </button>
            <button
              type="button"
              onClick={() => {
                if (!window.confirm(`Delete playlist "${list.name}"? Its versions and notes stay.`)) return;
                api.deletePlaylist(id).then(
                  () => {
                    onChanged();
                    void navigate(links.playlists(projectId));
                  },
                  (e: Error) => setError(e.message),
                );
              }}
            >
              Delete
            </button>
          </>
        )}
        <span className="spacer" />
        {media[0] && (
          <>
            <Link className="button primary" {...playlistItemLink(id, media[0].id, { play: true })}>
              Play from start
            </Link>
            <Link className="button" {...playlistItemLink(id, media[0].id, { review: true })}>
              Review one by one
            </Link>
          </>
        )}
        {media[0] && <StartSession target={{ playlistId: id }} />}
        <a className="button" href={api.playlistExportUrl(id, 'csv')} download>
          Export notes CSV
        </a>
        <a className="button" href={api.playlistExportUrl(id, 'pdf')} download>
          Export notes PDF
        </a>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ol className="playlist-items">
        {media.map((m, i) => (
          <li key={m.id}>
            <Link {...playlistItemLink(id, m.id, {})}>
              {m.taskId} {m.version}
            </Link>{' '}
            <StatusBadge status={m.status} />
            {curates && (
              <>
                <button
                  type="button"
                  onClick={() => move(i, -1)}
                  disabled={i === 0}
                  aria-label={`Move ${m.taskId} ${m.version} up`}
                >
                  ↑
                </button>
                <button
                  type="button"
                  onClick={() => move(i, 1)}
                  disabled={i === media.length - 1}
                  aria-label={`Move ${m.taskId} ${m.version} down`}
                >
                  ↓
                </button>
                <button
                  type="button"
                  onClick={() => void done(api.removePlaylistItem(id, m.id))}
                  aria-label={`Remove ${m.taskId} ${m.version}`}
                >
                  Remove
                </button>
              </>
            )}
          </li>
        ))}
      </ol>
      <h3>Add versions</h3>
      <input
        type="search"
        aria-label="Find versions to add"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        placeholder="Search…"
      />
      <ul className="playlist-add">
        {found.map((m) => (
          <li key={m.id}>
            <button
              type="button"
              onClick={() => void done(api.addPlaylistItems(id, [m.id]))}
              disabled={ids.includes(m.id)}
            >
              Add
            </button>{' '}
            {m.taskId} {m.version} <StatusBadge status={m.status} />
          </li>
        ))}
      </ul>
    </section>
  );
}

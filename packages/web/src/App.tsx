import { Suspense, lazy, useCallback, useEffect, useMemo, useState } from 'react';
import { api, onUnauthorized, type Me, type Project } from './api/index.js';
import { match, navigate, useLocation } from './lib/router.js';
import { SessionContext, roleFor, type Session } from './session.js';
import { SignIn } from './pages/SignIn.js';
import { Header } from './components/Header.js';
import { Browser } from './pages/Browser.js';

// Code-split: the first page is the browser; the viewer, compare, dashboard and playlists load on demand.
const Viewer = lazy(() => import('./pages/Viewer.js'));
const Compare = lazy(() => import('./pages/Compare.js'));
const Dashboard = lazy(() => import('./pages/Dashboard.js'));
const Playlists = lazy(() => import('./pages/Playlists.js'));

export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [projects, setProjects] = useState<Project[]>([]);
  const { path, query } = useLocation();

  const load = useCallback(async () => {
    try {
      const who = await api.me();
      setProjects(await api.projects());
      setMe(who);
    } catch {
      setMe(null);
    }
  }, []);
  useEffect(() => {
    void load();
    return onUnauthorized(() => setMe(null));
  }, [load]);

  const session = useMemo<Session | null>(
    () =>
      me
        ? {
            me,
            projects,
            roleIn: (p) => roleFor(me, p),
            signOut: () => {
              void api.logout().then(() => {
                setMe(null);
                navigate('/login');
              });
            },
          }
        : null,
    [me, projects],
  );

  if (me === undefined)
    return (
      <div className="splash" role="status">
        Loading…
      </div>
    );
  if (!session) return <SignIn onSignedIn={() => void load()} />;

  const projectId =
    match('/p/:projectId', path)?.projectId ??
    match('/p/:projectId/:page', path)?.projectId ??
    query.get('project') ??
    null;
  const current = projectId ?? localStorage.getItem('montu.project') ?? projects[0]?.id ?? null;
  if (current) localStorage.setItem('montu.project', current);

  let page: React.ReactNode;
  let params: Record<string, string> | null;
  if (path === '/' || path === '/login') {
    if (current) navigate(`/p/${encodeURIComponent(current)}`, true);
    page = <EmptyState />;
  } else if ((params = match('/p/:projectId', path))) page = <Browser projectId={params.projectId!} />;
  else if ((params = match('/p/:projectId/dashboard', path)))
    page = <Dashboard projectId={params.projectId!} />;
  else if ((params = match('/p/:projectId/playlists', path)))
    page = <Playlists projectId={params.projectId!} playlistId={query.get('id')} />;
  else if ((params = match('/m/:mediaId', path)))
    page = (
      <Viewer
        mediaId={params.mediaId!}
        initialFrame={numberOrNull(query.get('frame'))}
        note={query.get('note')}
      />
    );
  else if ((params = match('/compare/:projectId/:taskId', path)))
    page = (
      <Compare
        projectId={params.projectId!}
        taskId={params.taskId!}
        a={query.get('a')}
        b={query.get('b')}
        mode={query.get('mode')}
      />
    );
  else page = <p className="empty">Page not found.</p>;

  return (
    <SessionContext.Provider value={session}>
      <Header projectId={current} path={path} />
      <main id="main" className="main">
        <Suspense
          fallback={
            <div className="splash" role="status">
              Loading…
            </div>
          }
        >
          {page}
        </Suspense>
      </main>
    </SessionContext.Provider>
  );
}

function numberOrNull(s: string | null): number | null {
  if (s === null || s === '') return null;
  const n = Number(s);
  return Number.isInteger(n) ? n : null;
}

function EmptyState() {
  return <p className="empty">You are not a member of any project yet. Ask an administrator to add you.</p>;
}

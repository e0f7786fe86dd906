import { Suspense, lazy, useCallback, useEffect, useMemo, useState } from 'react';
import { Navigate, Outlet, RouterProvider, useNavigate, useParams } from '@tanstack/react-router';
import { api, onUnauthorized, type Me, type Project } from './api/index.js';
import {
  browserRoute,
  compareRoute,
  dashboardRoute,
  indexRoute,
  links,
  loginRoute,
  playlistsRoute,
  rootRoute,
  router,
  viewerRoute,
  sessionRoute,
} from './routes.js';
import { SessionContext, roleFor, useSession, type Session } from './session.js';
import { SignIn } from './pages/SignIn.js';
import { Header } from './components/Header.js';
import { Browser } from './pages/Browser.js';

// Code-split: the first page is the browser; the viewer, compare, dashboard and playlists load on demand.
const Viewer = lazy(() => import('./pages/Viewer.js'));
const Compare = lazy(() => import('./pages/Compare.js'));
const Dashboard = lazy(() => import('./pages/Dashboard.js'));
const Playlists = lazy(() => import('./pages/Playlists.js'));
const SessionPage = lazy(() => import('./pages/Session.js'));

export function App() {
  return <RouterProvider router={router} />;
}

/** The project the page is about: the address's, else the last one used, else the first. */
function useCurrentProject(projects: Project[]): string | null {
  const params = useParams({ strict: false });
  const current = params.projectId ?? localStorage.getItem('montu.project') ?? projects[0]?.id ?? null;
  useEffect(() => {
    if (current) localStorage.setItem('montu.project', current);
  }, [current]);
  return current;
}

/** Signed in or not, the header, and the page of the address. */
function Shell() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [projects, setProjects] = useState<Project[]>([]);
  const navigate = useNavigate();

  const load = useCallback(async () => {
    try {
      const who = await api.me();
      if (who) setProjects(await api.projects());
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
                void navigate(links.login());
              });
            },
          }
        : null,
    [me, projects, navigate],
  );
  const current = useCurrentProject(projects);

  if (me === undefined)
    return (
      <div className="splash" role="status">
        Loading…
      </div>
    );
  if (!session) return <SignIn onSignedIn={() => void load()} />;

  return (
    <SessionContext.Provider value={session}>
      <Header projectId={current} />
      <main id="main" className="main">
        <Suspense
          fallback={
            <div className="splash" role="status">
              Loading…
            </div>
          }
        >
          <Outlet />
        </Suspense>
      </main>
    </SessionContext.Provider>
  );
}

/** `/` and `/login` once signed in: the current project's browser. */
function Home() {
  const { projects } = useSession();
  const projectId = localStorage.getItem('montu.project') ?? projects[0]?.id ?? null;
  return projectId ? <Navigate {...links.project(projectId)} replace /> : <EmptyState />;
}

function BrowserPage() {
  const { projectId } = browserRoute.useParams();
  return <Browser projectId={projectId} />;
}

function DashboardPage() {
  const { projectId } = dashboardRoute.useParams();
  return <Dashboard projectId={projectId} />;
}

function PlaylistsPage() {
  const { projectId } = playlistsRoute.useParams();
  const { id } = playlistsRoute.useSearch();
  return <Playlists projectId={projectId} playlistId={id ?? null} />;
}

function ViewerPage() {
  const { mediaId } = viewerRoute.useParams();
  return <ViewerAt key={mediaId} mediaId={mediaId} />;
}

/**
 * The frame and note the address opens the viewer on, read once: the viewer writes its frame
 * back to the address, and that echo must not seek the player again.
 */
function ViewerAt({ mediaId }: { mediaId: string }) {
  const search = viewerRoute.useSearch();
  const [opened] = useState(search);
  return <Viewer mediaId={mediaId} initialFrame={opened.frame ?? null} note={opened.note ?? null} />;
}

function ComparePage() {
  const { projectId, taskId } = compareRoute.useParams();
  const search = compareRoute.useSearch();
  return <Compare projectId={projectId} taskId={taskId} search={search} />;
}

function SessionRoutePage() {
  const { sessionId } = sessionRoute.useParams();
  return <SessionPage key={sessionId} sessionId={sessionId} />;
}

function EmptyState() {
  return <p className="empty">You are not a member of any project yet. Ask an administrator to add you.</p>;
}

function NotFound() {
  return <p className="empty">Page not found.</p>;
}

// Components are attached here, not in routes.ts, so that pages can import routes.ts for links
// without an import cycle.
rootRoute.update({ component: Shell, notFoundComponent: NotFound });
indexRoute.update({ component: Home });
loginRoute.update({ component: Home });
browserRoute.update({ component: BrowserPage });
dashboardRoute.update({ component: DashboardPage });
playlistsRoute.update({ component: PlaylistsPage });
viewerRoute.update({ component: ViewerPage });
compareRoute.update({ component: ComparePage });
sessionRoute.update({ component: SessionRoutePage });

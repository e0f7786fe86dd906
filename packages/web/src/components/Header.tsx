import { Link, useNavigate, useRouterState } from '@tanstack/react-router';
import { links as to, router } from '../routes.js';
import { useSession } from '../session.js';
import { ShortcutsHelp } from './ShortcutsHelp.js';

/** The skip link's target on the browser: the first card (its link), else the grid itself. */
function focusFirstCard(e: React.MouseEvent<HTMLAnchorElement>): void {
  e.preventDefault();
  const first =
    document.querySelector<HTMLElement>('.browser-scroll [data-media-id]') ??
    document.querySelector<HTMLElement>('.browser-scroll');
  first?.focus();
}

export function Header({ projectId }: { projectId: string | null }) {
  const { me, projects, signOut, roleIn } = useSession();
  const navigate = useNavigate();
  const path = useRouterState({ select: (s) => s.location.pathname });
  const links = projectId
    ? [
        { link: to.project(projectId), label: 'Browse' },
        { link: to.playlists(projectId), label: 'Playlists' },
        { link: to.dashboard(projectId), label: 'Dashboard' },
      ]
    : [];
  return (
    <header className="topbar">
      {projectId && path === router.buildLocation(to.project(projectId)).pathname && (
        <a href="#media" className="skip" onClick={focusFirstCard}>
          Skip to media
        </a>
      )}
      <a href="#main" className="skip">
        Skip to content
      </a>
      <Link {...(projectId ? to.project(projectId) : to.home())} className="brand">
        Montu
      </Link>
      <label className="project-switch">
        <span className="sr-only">Project</span>
        <select
          aria-label="Project"
          value={projectId ?? ''}
          onChange={(e) => {
            localStorage.setItem('montu.project', e.target.value);
            void navigate(to.project(e.target.value));
          }}
        >
          {projects.map((pr) => (
            <option key={pr.id} value={pr.id}>
              {pr.id} — {pr.name}
            </option>
          ))}
        </select>
      </label>
      <nav aria-label="Sections">
        {links.map((l) => (
          <Link
            key={l.label}
            {...l.link}
            // Link marks itself aria-current="page" when active: by path alone, so a browser with
            // filters is still "Browse" and a project's playlists are not also its browser.
            activeOptions={{ exact: true, includeSearch: false }}
          >
            {l.label}
          </Link>
        ))}
      </nav>
      <span className="spacer" />
      <span className="muted" title={projectId ? `Role in ${projectId}` : undefined}>
        {me.user.displayName ?? me.user.username}
        {projectId && roleIn(projectId) ? ` · ${roleIn(projectId)}` : ''}
      </span>
      <ShortcutsHelp />
      <button type="button" onClick={signOut}>
        Sign out
      </button>
    </header>
  );
}

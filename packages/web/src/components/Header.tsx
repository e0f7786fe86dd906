import { linkClick, navigate } from '../lib/router.js';
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

export function Header({ projectId, path }: { projectId: string | null; path: string }) {
  const { me, projects, signOut, roleIn } = useSession();
  const p = projectId ? encodeURIComponent(projectId) : '';
  const links = projectId
    ? [
        { href: `/p/${p}`, label: 'Browse' },
        { href: `/p/${p}/playlists`, label: 'Playlists' },
        { href: `/p/${p}/dashboard`, label: 'Dashboard' },
      ]
    : [];
  return (
    <header className="topbar">
      {projectId && path === `/p/${p}` && (
        <a href="#media" className="skip" onClick={focusFirstCard}>
          Skip to media
        </a>
      )}
      <a href="#main" className="skip">
        Skip to content
      </a>
      <a href={projectId ? `/p/${p}` : '/'} onClick={linkClick} className="brand">
        Montu
      </a>
      <label className="project-switch">
        <span className="sr-only">Project</span>
        <select
          aria-label="Project"
          value={projectId ?? ''}
          onChange={(e) => {
            localStorage.setItem('montu.project', e.target.value);
            navigate(`/p/${encodeURIComponent(e.target.value)}`);
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
          <a
            key={l.href}
            href={l.href}
            onClick={linkClick}
            aria-current={path === l.href ? 'page' : undefined}
          >
            {l.label}
          </a>
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

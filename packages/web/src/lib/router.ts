/**
 * Transitional: string navigation over the app's router (routes.ts), for the code written
 * before the router was typed (playlist play-through, version keys). New code links with
 * `links.*` from routes.ts; these callers move there one by one (decision 175).
 */
import { useRouterState } from '@tanstack/react-router';
import { router } from '../routes.js';

export function navigate(to: string, replace = false): void {
  const here = router.state.location;
  if (to === here.pathname + here.searchStr) return;
  if (replace) router.history.replace(to);
  else router.history.push(to);
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const loc = useRouterState({ select: (s) => s.location });
  return { path: loc.pathname, query: new URLSearchParams(loc.searchStr) };
}

/** Click handler for <a href> that routes in-app (keeps ctrl/middle click as new tab). */
export function linkClick(e: React.MouseEvent<HTMLAnchorElement>): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(e.currentTarget.getAttribute('href') ?? '/');
}

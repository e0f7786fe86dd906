/**
 * Every page's address, with its typed search parameters: the one place a link is built. Pages
 * link with `<Link {...links.viewer(id, { frame })}>` or `navigate(links.compare(...))`, never
 * with a string, so a renamed parameter is a type error, not a dead link. The URL is the state
 * that a reload restores (decision 175): TanStack Router, code-based routes; the search rules
 * are in lib/search-params.ts. Components are attached in App.tsx (this module imports no page,
 * so pages can import it without a cycle).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { createRootRoute, createRoute, createRouter, linkOptions, useNavigate } from '@tanstack/react-router';
import {
  browserFilters,
  browserSearch,
  browserSearchOf,
  compareSearch,
  parseQuery,
  playlistsSearch,
  stringifyQuery,
  viewerSearch,
  type BrowserFilters,
  type BrowserSearch,
  type CompareSearch,
  type PlaylistsSearch,
  type ViewerSearch,
} from './lib/search-params.js';

export type { BrowserFilters, BrowserSearch, CompareSearch, PlaylistsSearch, ViewerSearch };

export const rootRoute = createRootRoute();
export const indexRoute = createRoute({ getParentRoute: () => rootRoute, path: '/' });
export const loginRoute = createRoute({ getParentRoute: () => rootRoute, path: '/login' });
export const browserRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/p/$projectId',
  validateSearch: browserSearch,
});
export const dashboardRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/p/$projectId/dashboard',
});
export const playlistsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/p/$projectId/playlists',
  validateSearch: playlistsSearch,
});
export const viewerRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/m/$mediaId',
  validateSearch: viewerSearch,
});
export const compareRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/compare/$projectId/$taskId',
  validateSearch: compareSearch,
});
/** A live review session: its join link (issue 22). */
export const sessionRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/review-sessions/$sessionId',
});

const routeTree = rootRoute.addChildren([
  indexRoute,
  loginRoute,
  browserRoute,
  dashboardRoute,
  playlistsRoute,
  viewerRoute,
  compareRoute,
  sessionRoute,
]);

export const router = createRouter({
  routeTree,
  // Plain `?frame=37&layout=wipe`, not JSON-encoded values: links people read and paste.
  parseSearch: parseQuery,
  stringifySearch: stringifyQuery,
  // Pages load their own data; nothing to preload on hover.
  defaultPreload: false,
  scrollRestoration: false,
});

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}

/** Links to every page: spread into `<Link>` or pass to `navigate()`. */
export const links = {
  home: () => linkOptions({ to: '/' }),
  login: () => linkOptions({ to: '/login' }),
  project: (projectId: string, search: BrowserSearch = {}) =>
    linkOptions({ to: '/p/$projectId', params: { projectId }, search }),
  dashboard: (projectId: string) => linkOptions({ to: '/p/$projectId/dashboard', params: { projectId } }),
  playlists: (projectId: string, search: PlaylistsSearch = {}) =>
    linkOptions({ to: '/p/$projectId/playlists', params: { projectId }, search }),
  viewer: (mediaId: string, search: ViewerSearch = {}) =>
    linkOptions({ to: '/m/$mediaId', params: { mediaId }, search }),
  compare: (projectId: string, taskId: string, search: CompareSearch = {}) =>
    linkOptions({ to: '/compare/$projectId/$taskId', params: { projectId, taskId }, search }),
  session: (sessionId: string) => linkOptions({ to: '/review-sessions/$sessionId', params: { sessionId } }),
};

/**
 * Writes part of the current page's search parameters in place (history replace: a frame step
 * or a keystroke in the search box is not a new history entry). Undefined removes a parameter.
 */
export function useSearchPatch<S extends object>(): (patch: Partial<S>) => void {
  const navigate = useNavigate();
  return useCallback(
    (patch: Partial<S>) =>
      void navigate({
        to: '.',
        // The current page's own parameters, merged: every route's search is a flat record.
        search: (prev: Record<string, unknown>) => ({ ...prev, ...patch }) as never,
        replace: true,
        resetScroll: false,
      }),
    [navigate],
  );
}

/**
 * The browser's search and filters, kept in its address: read once when the page opens (a reload
 * or a pasted link restores them), written back as they change. The form edits local state so
 * that typing is never slowed or reordered by the router's asynchronous update.
 */
export function useBrowserFilters(): [BrowserFilters, (f: BrowserFilters) => void] {
  const search = browserRoute.useSearch();
  const [filters, setFilters] = useState(() => browserFilters(search));
  const patch = useSearchPatch<BrowserSearch>();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const next = browserSearchOf(filters);
    patch({
      q: next.q,
      status: next.status,
      type: next.type,
      author: next.author,
      tags: next.tags,
      from: next.from,
      to: next.to,
    });
  }, [filters, patch]);
  return [filters, setFilters];
}

/**
 * Keeps `frame` in the address while the picture is still: a reload or a pasted link lands on
 * it. Written shortly after the last change (stepping fast makes one history update, not
 * dozens) and never during playback. `frame` null (a still) leaves the address alone.
 */
export function useFrameInAddress(frame: number | null, playing: boolean): void {
  const patch = useSearchPatch<{ frame?: number }>();
  useEffect(() => {
    if (frame === null || playing) return;
    const t = setTimeout(() => patch({ frame }), 150);
    return () => clearTimeout(t);
  }, [frame, playing, patch]);
}

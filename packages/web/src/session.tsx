/** The signed-in user and the current project, shared through context. */
import { createContext, useContext } from 'react';
import type { Me, Project, Role } from './api/index.js';

export interface Session {
  me: Me;
  projects: Project[];
  roleIn(projectId: string): Role | null;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionContext');
  return s;
}

export function roleFor(me: Me, projectId: string): Role | null {
  if (me.user.isAdmin) return 'admin';
  return me.memberships.find((m) => m.projectId === projectId)?.role ?? null;
}

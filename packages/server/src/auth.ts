import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  Forbidden,
  mayActForOthers,
  nameKey,
  NotFound,
  principalLabel,
  roleIn,
  ValidationError,
  visibleProjects,
  type Montu,
  type Principal,
  type Role,
  type Scope,
} from '@montu/core';
import { HttpProblem } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Route answers without authentication (health, login, API description). */
    public?: boolean;
    /**
     * Route answers signed out callers too (`GET /auth/session`): no credential, or a session
     * cookie that ended, leaves `req.principal` null instead of a 401. A bearer token that fails
     * is still a 401: a caller that presents a credential wants to hear that it is wrong.
     */
    optionalAuth?: boolean;
  }
}

export const SESSION_COOKIE = 'montu_session';
export const CSRF_HEADER = 'x-csrf-token';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const RANK: Record<Role, number> = { artist: 1, supervisor: 2, admin: 3 };

/** The principal of `--no-auth` single-user mode: an instance admin that exists only in memory. */
export function localPrincipal(): Principal {
  const now = new Date(0).toISOString();
  return {
    user: {
      id: 'local',
      username: 'local',
      displayName: 'Local user',
      email: null,
      isAdmin: true,
      disabled: false,
      hasPassword: false,
      createdAt: now,
      updatedAt: now,
    },
    memberships: [],
    via: 'local',
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A short-lived cache of authenticated bearer tokens: a token lookup is three queries, more than
 * the request it guards. Any change to users, tokens or memberships made through this server
 * clears it; changes made elsewhere (another server, the CLI on the database) take effect within
 * the TTL (5 s). A token's expiry is exact: entries never outlive it.
 */
const TOKEN_CACHE_TTL_MS = 5_000;
const TOKEN_CACHE_MAX = 10_000;
const INVALIDATES = /\/(users|tokens|members|auth)(\/|$|\?)/;

/** Authenticates every request (bearer token or session cookie + CSRF header) except public routes. */
export function installAuth(app: FastifyInstance, montu: Montu, options: { enabled: boolean }): void {
  app.decorateRequest('principal', null as unknown as Principal);
  const local = localPrincipal();
  const cache = new Map<string, { principal: Principal; until: number }>();
  app.addHook('onResponse', (req, _reply, done) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && INVALIDATES.test(req.url)) cache.clear();
    done();
  });
  /** A cached principal for the token, or undefined (not cached, or the entry ran out). */
  const cachedToken = (token: string): Principal | undefined => {
    const hit = cache.get(token);
    return hit && hit.until > Date.now() ? hit.principal : undefined;
  };
  const byToken = async (token: string): Promise<Principal> => {
    const now = Date.now();
    const principal = await montu.users.authenticateToken(token);
    if (cache.size >= TOKEN_CACHE_MAX) cache.clear();
    // Never cache past the token's own expiry: an expired token must fail at once.
    const expiresAt = principal.tokenId ? (await montu.users.getToken(principal.tokenId)).expiresAt : null;
    const until = Math.min(now + TOKEN_CACHE_TTL_MS, expiresAt ? Date.parse(expiresAt) : Infinity);
    cache.set(token, { principal, until });
    return principal;
  };
  const bySession = async (req: FastifyRequest, sid: string): Promise<Principal> => {
    const principal = await montu.users.authenticateSession(sid).catch(rethrowWithChallenge);
    if (UNSAFE.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !principal.csrfToken || !sameSecret(sent, principal.csrfToken)) {
        throw new HttpProblem(
          403,
          'forbidden',
          `Missing or wrong ${CSRF_HEADER} header for a cookie session.`,
          {
            reason: 'csrf',
          },
        );
      }
    }
    return principal;
  };
  /**
   * The caller: a principal at once (no auth, a cached token), a promise of one (a lookup), or
   * undefined for public routes and signed-out callers of optional-auth ones. Throws a 401 for a
   * malformed or missing credential.
   */
  const authenticate = (req: FastifyRequest): Principal | Promise<Principal | null> | undefined => {
    if (!options.enabled) return local;
    if (req.routeOptions.config?.public || req.url.startsWith('/api/docs')) return undefined;
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m)
        throw new HttpProblem(
          401,
          'unauthorized',
          'Use "Authorization: Bearer <token>".',
          undefined,
          bearerChallenge(),
        );
      return cachedToken(m[1]!) ?? byToken(m[1]!).catch(rethrowWithChallenge);
    }
    const sid = req.cookies?.[SESSION_COOKIE];
    const optional = req.routeOptions.config?.optionalAuth === true;
    if (sid) return optional ? bySession(req, sid).catch(signedOut) : bySession(req, sid);
    if (optional) return undefined;
    throw new HttpProblem(
      401,
      'unauthorized',
      'Authentication required: send a bearer token or log in.',
      undefined,
      bearerChallenge(),
    );
  };
  // Synchronous when the answer is at hand (a cached token): no promise on most requests
  // (decision 166). A throw is the error, as in an async hook.
  app.addHook('onRequest', (req, _reply, done) => {
    const principal = authenticate(req);
    if (principal === undefined) return done();
    if (principal instanceof Promise) {
      principal.then((p) => {
        // null: an optional-auth route's ended session; the principal stays unset (null).
        if (p) req.principal = p;
        done();
      }, done);
      return;
    }
    req.principal = principal;
    done();
  });
}

/** An optional-auth route's answer to a session that is unknown or ended: nobody signed in. */
function signedOut(e: unknown): null {
  if (e instanceof HttpProblem && e.status === 401) return null;
  throw e;
}

/** The caller of an `optionalAuth` route, or null when nobody is signed in. */
export function signedInPrincipal(req: FastifyRequest): Principal | null {
  return (req.principal as Principal | null) ?? null;
}

function bearerChallenge(): Record<string, string> {
  return { 'www-authenticate': 'Bearer realm="montu"' };
}

function rethrowWithChallenge(e: unknown): never {
  if (e instanceof Error && (e as { code?: string }).code === 'unauthorized') {
    throw new HttpProblem(401, 'unauthorized', e.message, undefined, bearerChallenge());
  }
  throw e;
}

/** What the caller may see, for every library lookup. */
export function scopeOf(req: FastifyRequest): Scope {
  const ids = visibleProjects(req.principal);
  return ids === undefined ? {} : { projectIds: ids };
}

/** The caller's role in a project, or 404 when they are not a member (projects they cannot see do not exist). */
export function requireRole(req: FastifyRequest, projectId: string, min: Role): Role {
  const role = roleIn(req.principal, projectId);
  if (role === null) throw new NotFound(`Project ${projectId} does not exist.`, { projectId });
  if (RANK[role] < RANK[min]) {
    throw new Forbidden(
      `This needs the ${min} role in project ${projectId}; you are ${role === 'artist' ? 'an' : 'a'} ${role}.`,
      {
        projectId,
        role,
        required: min,
      },
    );
  }
  return role;
}

export function requireInstanceAdmin(req: FastifyRequest): void {
  if (!req.principal.user.isAdmin) throw new Forbidden('This needs an instance administrator.');
}

/** The name recorded as actor/author in history and notes. */
export function actorOf(req: FastifyRequest): string {
  return req.principal.user.username;
}

/** The person a request names (author, submitter, approver) and who really acted, if not them. */
export interface Person {
  name: string;
  via?: string;
}

/**
 * Whom a request names as `field` (author, submitter, approver). Without a name, or with their
 * own username or display name, callers act as themselves. Naming someone else needs an instance
 * admin or a pipeline token; anyone else gets a 403 rather than a name silently replaced
 * (docs/auth.md, decision 095).
 */
export function personOf(principal: Principal, given: string | undefined, field: string): Person {
  const username = principal.user.username;
  const name = given?.trim() ?? '';
  if (!name || nameKey(name) === nameKey(username)) return { name: username };
  if (name.length > 200) throw new ValidationError(`${field} is longer than 200 characters.`, { field });
  if (nameKey(name) === nameKey(principal.user.displayName) || mayActForOthers(principal))
    return { name, via: principalLabel(principal) };
  throw new Forbidden(
    `Only instance admins and pipeline tokens may record someone else as ${field}; ${username} may name only themselves (leave ${field} out to be recorded as ${username}).`,
    { field, reason: 'act_for_others' },
  );
}

/** `personOf` for the caller of a route. */
export function personFrom(req: FastifyRequest, given: string | undefined, field: string): Person {
  return personOf(req.principal, given, field);
}

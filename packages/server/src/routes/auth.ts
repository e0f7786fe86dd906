import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { AppContext } from '../app-context.js';
import { SESSION_COOKIE, signedInPrincipal } from '../auth.js';
import { AuthSession, errors, Login, Me, Ok } from '@montu/domain/wire';
import { HttpProblem } from '../problem.js';
import { LOGIN_LIMITS, LoginThrottle, type Principal } from '@montu/core';

/**
 * Whether cookies get the Secure flag: behind https, or a trusted proxy that says so (Fastify
 * reads X-Forwarded-Proto only from the hops `trustProxy` trusts).
 */
function secureRequest(req: FastifyRequest): boolean {
  return req.protocol === 'https';
}

export async function authRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu, config } = ctx;
  const throttle = new LoginThrottle(montu.db);

  app.post<{ Body: Static<typeof Login> }>(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a username and password: sets the session cookie, returns the CSRF token',
        security: [],
        body: Login,
        response: { 200: Me, ...errors(400, 429) },
      },
    },
    async (req, reply: FastifyReply) => {
      const userKey = `u:${req.body.username.toLowerCase()}`;
      const ipKey = `ip:${req.ip}`;
      // The attempt is counted before the password is checked, atomically (decision 120).
      const attempt = await throttle.attempt([
        { key: userKey, max: LOGIN_LIMITS.perUser },
        { key: ipKey, max: LOGIN_LIMITS.perAddress },
      ]);
      if (!attempt.granted) {
        const wait = attempt.waitSeconds;
        throw new HttpProblem(
          429,
          'rate_limited',
          `Too many failed logins; try again in ${wait} s.`,
          { retryAfterSeconds: wait },
          { 'retry-after': String(wait) },
        );
      }
      const user = await montu.users
        .verifyLogin(req.body.username, req.body.password)
        .catch(async (e: unknown) => {
          // A wrong password keeps the attempt counted; anything else was not a guess.
          if ((e as { code?: string }).code === 'unauthorized') await throttle.sweep();
          else await throttle.refund(userKey, ipKey);
          throw e;
        });
      await throttle.reset(userKey);
      await throttle.refund(ipKey);
      const session = await montu.users.createSession(user.id, { ttlSeconds: config.auth.sessionTtlSeconds });
      reply.setCookie(SESSION_COOKIE, session.sessionId, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: secureRequest(req),
        expires: new Date(session.expiresAt),
      });
      const principal = await montu.users.principalFor(user.id, 'session');
      return {
        user: principal.user,
        memberships: principal.memberships,
        via: 'session',
        csrfToken: session.csrfToken,
      };
    },
  );

  app.post(
    '/auth/logout',
    { schema: { tags: ['auth'], summary: 'End the current session', response: { 200: Ok } } },
    async (req, reply) => {
      const sid = req.cookies[SESSION_COOKIE];
      if (sid) await montu.users.endSession(sid);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    },
  );

  app.get(
    '/auth/session',
    {
      config: { optionalAuth: true },
      schema: {
        tags: ['auth'],
        summary:
          'Who is signed in, if anyone: `{ me: null }` (200) when nobody is or the session ended; a wrong bearer token is a 401',
        response: { 200: AuthSession },
      },
    },
    async (req, reply) => {
      const p = signedInPrincipal(req);
      if (!p) {
        // An ended session's cookie is of no more use: drop it.
        if (req.cookies[SESSION_COOKIE]) reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { me: null };
      }
      return { me: meOf(p) };
    },
  );

  app.get(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The current user, memberships, and (for sessions) the CSRF token',
        response: { 200: Me },
      },
    },
    async (req) => meOf(req.principal),
  );
}

/** The `Me` answer of a principal: the user, memberships, how they came, and a session's CSRF token. */
function meOf(p: Principal): Static<typeof Me> {
  return {
    user: p.user,
    memberships: p.memberships,
    via: p.via,
    ...(p.csrfToken !== undefined ? { csrfToken: p.csrfToken } : {}),
  };
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AppContext } from '../app.js';
import { SESSION_COOKIE } from '../auth.js';
import { errors, Me, Ok } from '../schemas.js';
import { HttpProblem } from '../problem.js';

/**
 * Failed-login throttle, in memory per server process: after `max` failures within the window
 * for one key (a username, or a client address with a higher allowance) further attempts get
 * 429 with Retry-After until the window has passed. A success clears the username's count.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; first: number }>();
  constructor(
    private readonly windowMs = 15 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait when `key` is over `max` failures, else null. */
  blocked(key: string, max: number): number | null {
    const f = this.failures.get(key);
    if (!f) return null;
    const age = this.now() - f.first;
    if (age >= this.windowMs) {
      this.failures.delete(key);
      return null;
    }
    return f.count >= max ? Math.max(1, Math.ceil((this.windowMs - age) / 1000)) : null;
  }

  fail(key: string): void {
    const t = this.now();
    const f = this.failures.get(key);
    if (!f || t - f.first >= this.windowMs) this.failures.set(key, { count: 1, first: t });
    else f.count++;
    if (this.failures.size > 50_000) {
      for (const [k, v] of this.failures) if (t - v.first >= this.windowMs) this.failures.delete(k);
    }
  }

  reset(key: string): void {
    this.failures.delete(key);
  }
}

/** Failed logins allowed per username, and per client address, within the 15-minute window. */
export const LOGIN_LIMITS = { perUser: 10, perAddress: 50 } as const;

const Login = Type.Object({
  username: Type.String({ maxLength: 64 }),
  password: Type.String({ maxLength: 1024 }),
});

/** Whether cookies get the Secure flag: behind https, or a trusted proxy that says so. */
function secureRequest(req: FastifyRequest, trustProxy: boolean): boolean {
  return req.protocol === 'https' || (trustProxy && req.headers['x-forwarded-proto'] === 'https');
}

export async function authRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { montu, config } = ctx;
  const throttle = new LoginThrottle();

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
      const wait =
        throttle.blocked(userKey, LOGIN_LIMITS.perUser) ?? throttle.blocked(ipKey, LOGIN_LIMITS.perAddress);
      if (wait !== null) {
        throw new HttpProblem(
          429,
          'rate_limited',
          `Too many failed logins; try again in ${wait} s.`,
          { retryAfterSeconds: wait },
          { 'retry-after': String(wait) },
        );
      }
      const user = await montu.users.verifyLogin(req.body.username, req.body.password).catch((e: unknown) => {
        if ((e as { code?: string }).code === 'unauthorized') {
          throttle.fail(userKey);
          throttle.fail(ipKey);
        }
        throw e;
      });
      throttle.reset(userKey);
      const session = await montu.users.createSession(user.id, { ttlSeconds: config.auth.sessionTtlSeconds });
      reply.setCookie(SESSION_COOKIE, session.sessionId, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: secureRequest(req, config.trustProxy),
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
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The current user, memberships, and (for sessions) the CSRF token',
        response: { 200: Me },
      },
    },
    async (req) => {
      const p = req.principal;
      return {
        user: p.user,
        memberships: p.memberships,
        via: p.via,
        ...(p.csrfToken !== undefined ? { csrfToken: p.csrfToken } : {}),
      };
    },
  );
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_LIMITS, openMontu } from '@montu/core';
import { DEFAULT_CONFIG, startServer } from '../src/index.js';
import {
  call,
  DATABASES,
  seedWorld,
  startTestServer,
  tempDir,
  type TestServer,
  type World,
} from './helpers.js';

describe.each(DATABASES)('auth, users and tokens on %s', (kind) => {
  let t: TestServer;
  let w: World;
  beforeAll(async () => {
    t = await startTestServer(kind);
    w = await seedWorld(t);
  });
  afterAll(async () => t?.close());

  it('created a first-run admin whose token and password work', async () => {
    expect(t.adminToken).toMatch(/^montu_/);
    const me = (await (await call(`${t.api}/auth/me`, t.adminToken)).json()) as {
      user: { username: string; isAdmin: boolean };
      via: string;
    };
    expect(me).toMatchObject({ user: { username: 'admin', isAdmin: true }, via: 'token' });
  });

  it('logs in with a session cookie and enforces CSRF on unsafe methods', async () => {
    const bad = await call(`${t.api}/auth/login`, null, {
      method: 'POST',
      json: { username: 'admin', password: 'wrong-password' },
    });
    expect(bad.status).toBe(401);
    const r = await call(`${t.api}/auth/login`, null, {
      method: 'POST',
      json: { username: 'admin', password: t.adminPassword },
    });
    expect(r.status).toBe(200);
    const setCookie = r.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/montu_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i); // plain http on loopback
    const { csrfToken } = (await r.json()) as { csrfToken: string };
    const cookie = setCookie.split(';')[0]!;
    const me = await call(`${t.api}/auth/me`, null, { headers: { cookie } });
    expect(((await me.json()) as { via: string }).via).toBe('session');
    const noCsrf = await call(`${t.api}/projects`, null, {
      method: 'POST',
      headers: { cookie },
      json: { id: 'CSRF1' },
    });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { details: { reason: string } }).details.reason).toBe('csrf');
    const ok = await call(`${t.api}/projects`, null, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
      json: { id: 'CSRF1' },
    });
    expect(ok.status).toBe(201);
    const out = await call(`${t.api}/auth/logout`, null, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(out.status).toBe(200);
    expect((await call(`${t.api}/auth/me`, null, { headers: { cookie } })).status).toBe(401);
  });

  it('answers who is signed in without a failed request: { me: null } when nobody is', async () => {
    const session = async (init?: Parameters<typeof call>[2], token: string | null = null) => {
      const r = await call(`${t.api}/auth/session`, token, init);
      return {
        status: r.status,
        body: (await r.json()) as { me: { via: string; csrfToken?: string } | null },
        r,
      };
    };
    // No credential at all: signed out, and that is an answer, not an error.
    expect(await session()).toMatchObject({ status: 200, body: { me: null } });
    // Signed in by cookie: the caller, with the CSRF token a reloaded page needs.
    const login = await call(`${t.api}/auth/login`, null, {
      method: 'POST',
      json: { username: 'admin', password: t.adminPassword },
    });
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const inside = await session({ headers: { cookie } });
    expect(inside.status).toBe(200);
    expect(inside.body.me).toMatchObject({ via: 'session', csrfToken });
    // The session ends: signed out again, and the dead cookie is cleared.
    await call(`${t.api}/auth/logout`, null, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    const ended = await session({ headers: { cookie } });
    expect(ended).toMatchObject({ status: 200, body: { me: null } });
    expect(ended.r.headers.get('set-cookie')).toMatch(/montu_session=;/);
    // A bearer token is a credential the caller chose to present: a wrong one is still a 401.
    expect((await session(undefined, t.adminToken)).body.me).toMatchObject({ via: 'token' });
    expect((await session(undefined, 'montu_not-a-token')).status).toBe(401);
  });

  it('sets Secure cookies behind an https proxy when trusted', async () => {
    const t2 = await startTestServer(kind, { trustProxy: 1 });
    try {
      const r = await call(`${t2.api}/auth/login`, null, {
        method: 'POST',
        headers: { 'x-forwarded-proto': 'https' },
        json: { username: 'admin', password: t2.adminPassword },
      });
      expect(r.headers.get('set-cookie')).toMatch(/Secure/);
    } finally {
      await t2.close();
    }
  });

  it('makes, lists and revokes tokens; expired and revoked tokens are 401', async () => {
    const tok = w.users.artist.token;
    const c = await call(`${t.api}/tokens`, tok, { method: 'POST', json: { name: 'ci' } });
    expect(c.status).toBe(201);
    const { token, info } = (await c.json()) as { token: string; info: { id: string; prefix: string } };
    expect(token.startsWith(info.prefix)).toBe(true);
    expect((await call(`${t.api}/auth/me`, token)).status).toBe(200);
    const list = (await (await call(`${t.api}/tokens`, tok)).json()) as Array<{
      id: string;
      lastUsedAt: string | null;
    }>;
    expect(list.find((x) => x.id === info.id)?.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list)).not.toContain(token);
    // Someone else cannot revoke it.
    expect(
      (await call(`${t.api}/tokens/${info.id}`, w.users.supervisor.token, { method: 'DELETE' })).status,
    ).toBe(404);
    expect((await call(`${t.api}/tokens/${info.id}`, tok, { method: 'DELETE' })).status).toBe(200);
    const revoked = await call(`${t.api}/auth/me`, token);
    expect(revoked.status).toBe(401);
    // A past expiry is refused when a token is made; one that has since passed is a 401.
    await expect(
      t.montu.users.createToken(w.users.artist.id, {
        name: 'old',
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      }),
    ).rejects.toThrow(/must be in the future/);
    const expired = await t.montu.users.createToken(w.users.artist.id, { name: 'old', expiresInDays: 1 });
    await t.montu.db
      .updateTable('api_token')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', expired.info.id)
      .execute();
    const r = await call(`${t.api}/auth/me`, expired.token);
    expect(r.status).toBe(401);
    expect(((await r.json()) as { detail: string }).detail).toMatch(/expired/);
  });

  it('manages users and memberships by role', async () => {
    const create = await call(`${t.api}/users`, t.adminToken, {
      method: 'POST',
      json: { username: 'newbie', password: 'newbie-password', email: 'n@studio.test' },
    });
    expect(create.status).toBe(201);
    const newbie = (await create.json()) as { id: string };
    expect(
      (await call(`${t.api}/users`, w.users.padmin.token, { method: 'POST', json: { username: 'x2' } }))
        .status,
    ).toBe(403);
    // A project admin adds them to SWA; an artist may not.
    expect(
      (
        await call(`${t.api}/projects/SWA/members/${newbie.id}`, w.users.artist.token, {
          method: 'PUT',
          json: { role: 'artist' },
        })
      ).status,
    ).toBe(403);
    const put = await call(`${t.api}/projects/SWA/members/${newbie.id}`, w.users.padmin.token, {
      method: 'PUT',
      json: { role: 'supervisor' },
    });
    expect(put.status).toBe(200);
    const members = (await (
      await call(`${t.api}/projects/SWA/members`, w.users.artist.token)
    ).json()) as Array<{ username: string; role: string }>;
    expect(members.find((m) => m.username === 'newbie')?.role).toBe('supervisor');
    // The other project's admin role does not reach here: outsider gets 404.
    expect(
      (
        await call(`${t.api}/projects/SWA/members/${newbie.id}`, w.users.outsider.token, {
          method: 'PUT',
          json: { role: 'artist' },
        })
      ).status,
    ).toBe(404);
    // Users see themselves and update their own name, not their admin flag.
    const self = await call(`${t.api}/users/${w.users.artist.id}`, w.users.artist.token);
    expect(((await self.json()) as { memberships: unknown[] }).memberships).toHaveLength(1);
    expect((await call(`${t.api}/users/${newbie.id}`, w.users.outsider.token)).status).toBe(404);
    expect(
      (
        await call(`${t.api}/users/${w.users.artist.id}`, w.users.artist.token, {
          method: 'PATCH',
          json: { displayName: 'Ann' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call(`${t.api}/users/${w.users.artist.id}`, w.users.artist.token, {
          method: 'PATCH',
          json: { isAdmin: true },
        })
      ).status,
    ).toBe(403);
    const visible = (await (await call(`${t.api}/users`, w.users.outsider.token)).json()) as Array<{
      username: string;
    }>;
    expect(visible.map((u) => u.username)).toEqual(['outsider']);
    expect(
      (await call(`${t.api}/projects/SWA/members/${newbie.id}`, w.users.padmin.token, { method: 'DELETE' }))
        .status,
    ).toBe(204);
    // Disabling a user locks out their tokens.
    const { token } = await t.montu.users.createToken(newbie.id, { name: 't' });
    expect(
      (await call(`${t.api}/users/${newbie.id}`, t.adminToken, { method: 'PATCH', json: { disabled: true } }))
        .status,
    ).toBe(200);
    expect((await call(`${t.api}/auth/me`, token)).status).toBe(401);
    expect((await call(`${t.api}/users/${newbie.id}`, t.adminToken, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`${t.api}/users/${newbie.id}`, t.adminToken)).status).toBe(404);
  });

  it('throttles failed logins per username across every server on the database (429 + Retry-After)', async () => {
    // A second API process on the same database, as behind a load balancer.
    const m2 = await openMontu({ dataDir: t.dir, databaseUrl: t.config.databaseUrl!, jobs: { work: false } });
    const s2 = await startServer({ ...t.config, port: 0 }, { montu: m2, print: () => undefined });
    try {
      await t.montu.users.createUser({ username: 'locked', password: 'right-password-123' });
      const login = (base: string, password: string) =>
        call(`${base}/api/v1/auth/login`, null, { method: 'POST', json: { username: 'locked', password } });
      for (let i = 0; i < LOGIN_LIMITS.perUser; i++) {
        expect((await login(i % 2 ? s2.url : t.url, 'wrong')).status).toBe(401);
      }
      for (const base of [t.url, s2.url]) {
        // Even the right password waits: the username is over its failures.
        const r = await login(base, 'right-password-123');
        expect(r.status).toBe(429);
        const wait = Number(r.headers.get('retry-after'));
        expect(wait).toBeGreaterThan(LOGIN_LIMITS.windowMs / 1000 - 120);
        expect(wait).toBeLessThanOrEqual(LOGIN_LIMITS.windowMs / 1000);
        expect(await r.json()).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: wait } });
      }
      // Another username from the same address still gets in (the address allows more).
      const ok = await call(`${s2.url}/api/v1/auth/login`, null, {
        method: 'POST',
        json: { username: 'admin', password: t.adminPassword },
      });
      expect(ok.status).toBe(200);
    } finally {
      await s2.close();
      await m2.close();
    }
  });

  it('counts parallel wrong passwords atomically: 200 at once get exactly the allowed tries', async () => {
    // Regression: the count was read before scrypt and written after, so 200 parallel
    // guesses all read "under the limit" and 81 of them were checked instead of 10.
    const t2 = await startTestServer(kind);
    try {
      await t2.montu.users.createUser({ username: 'target', password: 'right-password-123' });
      const statuses = await Promise.all(
        Array.from({ length: 200 }, () =>
          call(`${t2.api}/auth/login`, null, {
            method: 'POST',
            json: { username: 'target', password: 'wrong-password' },
          }).then((r) => r.status),
        ),
      );
      expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_LIMITS.perUser);
      expect(statuses.filter((s) => s === 429)).toHaveLength(200 - LOGIN_LIMITS.perUser);
      // The refused guesses did not use up the address's allowance: another user still logs in.
      const ok = await call(`${t2.api}/auth/login`, null, {
        method: 'POST',
        json: { username: 'admin', password: t2.adminPassword },
      });
      expect(ok.status).toBe(200);
    } finally {
      await t2.close();
    }
  });

  it('--no-auth refuses non-loopback hosts and acts as a local admin', async () => {
    const dir = tempDir();
    const base = {
      ...structuredClone(DEFAULT_CONFIG),
      dataDir: dir,
      port: 0,
      logLevel: 'silent' as const,
      auth: { enabled: false, sessionTtlSeconds: 60 },
    };
    await expect(startServer({ ...base, host: '0.0.0.0' }, { print: () => undefined })).rejects.toThrow(
      /Refusing to listen on 0\.0\.0\.0/,
    );
    const s = await startServer({ ...base, host: '127.0.0.1' }, { print: () => undefined });
    try {
      expect(s.firstRun).toBeUndefined();
      const me = (await (await fetch(`${s.url}/api/v1/auth/me`)).json()) as {
        user: { isAdmin: boolean };
        via: string;
      };
      expect(me).toMatchObject({ user: { isAdmin: true }, via: 'local' });
      expect(
        (
          await fetch(`${s.url}/api/v1/projects`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"id":"LOC"}',
          })
        ).status,
      ).toBe(201);
    } finally {
      await s.close();
    }
  });
});

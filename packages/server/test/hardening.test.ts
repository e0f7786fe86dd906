import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMontu } from '@montu/core';
import { loadConfig, parseTrustProxy } from '../src/index.js';
import {
  call,
  CORPUS,
  seedWorld,
  startTestServer,
  tempDir,
  uploadForm,
  type TestServer,
  type World,
} from './helpers.js';

// Regressions of issue 20, item 7 (the smaller findings).
describe('hardening (sqlite)', () => {
  let t: TestServer;
  let w: World;
  beforeAll(async () => {
    t = await startTestServer('sqlite', { trustProxy: 1 });
    w = await seedWorld(t);
  });
  afterAll(async () => t?.close());

  it('a password change needs the current password and ends the other sessions and tokens', async () => {
    const user = await t.montu.users.createUser({ username: 'pat', password: 'first-password-1' });
    const { token: kept } = await t.montu.users.createToken(user.id, { name: 'this one' });
    const { token: other } = await t.montu.users.createToken(user.id, { name: 'laptop' });
    const login = await call(`${t.api}/auth/login`, null, {
      method: 'POST',
      json: { username: 'pat', password: 'first-password-1' },
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const change = (json: unknown) => call(`${t.api}/users/${user.id}`, kept, { method: 'PATCH', json });

    const without = await change({ password: 'second-password-2' });
    expect(without.status).toBe(400);
    expect(((await without.json()) as { detail: string }).detail).toMatch(/currentPassword is required/);
    expect((await change({ password: 'second-password-2', currentPassword: 'nope-nope-nope' })).status).toBe(
      403,
    );
    // Nothing changed yet: the old password, the other token and the session still work.
    expect((await call(`${t.api}/auth/me`, other)).status).toBe(200);

    const ok = await change({ password: 'second-password-2', currentPassword: 'first-password-1' });
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect((await call(`${t.api}/auth/me`, kept)).status).toBe(200);
    expect((await call(`${t.api}/auth/me`, other)).status).toBe(401);
    expect((await call(`${t.api}/auth/me`, null, { headers: { cookie } })).status).toBe(401);
    // An admin resetting someone else's password needs no current password.
    const reset = await call(`${t.api}/users/${user.id}`, t.adminToken, {
      method: 'PATCH',
      json: { password: 'third-password-3' },
    });
    expect(reset.status).toBe(200);
    expect((await call(`${t.api}/auth/me`, kept)).status).toBe(401);
  });

  it('refuses token lifetimes that overflow or have passed', async () => {
    const make = (json: unknown) => call(`${t.api}/tokens`, w.users.artist.token, { method: 'POST', json });
    for (const body of [
      { name: 'forever', expiresInDays: 99999999999 },
      { name: 'past', expiresAt: new Date(Date.now() - 60_000).toISOString() },
      { name: 'far', expiresAt: '9999-01-01T00:00:00Z' },
    ]) {
      const r = await make(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    await expect(
      t.montu.users.createToken(w.users.artist.id, { name: 'x', expiresInDays: 99999999999 }),
    ).rejects.toThrow(/expiresInDays must be/);
    expect((await make({ name: 'year', expiresInDays: 365 })).status).toBe(201);
  });

  it('keeps absolute server paths out of error answers', async () => {
    // A file where the project's storage folder should be: storing fails with ENOTDIR, whose
    // message named the absolute path under the data folder.
    await t.montu.projects.createProject({ id: 'PATHS' });
    await t.montu.users.setMembership('PATHS', w.users.artist.id, 'artist');
    fs.mkdirSync(path.join(t.dir, 'storage'), { recursive: true });
    fs.writeFileSync(path.join(t.dir, 'storage', 'PATHS'), 'not a folder');
    const r = await uploadForm(
      t.api,
      w.users.artist.token,
      { projectId: 'PATHS', taskId: 'ep01_sq010_sh010_comp' },
      { name: 'x.jpg', data: fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg')) },
    );
    const body = (await r.json()) as { detail: string };
    expect(r.status).toBeGreaterThanOrEqual(500);
    expect(body.detail).toMatch(/ENOTDIR/);
    expect(body.detail).not.toContain(t.dir);
    expect(body.detail).not.toMatch(/\/tmp\//);
  });

  it('makes the data folder 0700 and the database 0600', async () => {
    const dir = path.join(tempDir('montu-perm-'), 'data');
    const m = await openMontu({ dataDir: dir, jobs: false });
    try {
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
      expect(fs.statSync(path.join(dir, 'montu.db')).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.join(dir, 'montu.db-wal')).mode & 0o777).toBe(0o600);
    } finally {
      await m.close();
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  it('trusts only the configured proxy hops: a client cannot choose its address for the login throttle', async () => {
    expect(parseTrustProxy(true, 'x')).toBe(1);
    expect(parseTrustProxy('2', 'x')).toBe(2);
    expect(parseTrustProxy('0', 'x')).toBe(false);
    expect(parseTrustProxy('10.0.0.0/8, 127.0.0.1', 'x')).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(() => parseTrustProxy('10.0.0.0/40', 'x')).toThrow(/not an address/);
    expect(() => parseTrustProxy('proxy.example', 'x')).toThrow(/not an address/);
    expect(loadConfig({ trustProxy: true }, {}, tempDir()).trustProxy).toBe(1);
    expect(loadConfig({}, { MONTU_TRUST_PROXY: '127.0.0.1/32' }, tempDir()).trustProxy).toEqual([
      '127.0.0.1/32',
    ]);

    // One proxy in front (the test client on loopback): the address is the last one it added,
    // not the first, which the client wrote itself.
    await t.montu.users.createUser({ username: 'spoof', password: 'right-password-123' });
    const wrong = (forwardedFor: string) =>
      call(`${t.api}/auth/login`, null, {
        method: 'POST',
        headers: { 'x-forwarded-for': forwardedFor },
        json: { username: 'spoof', password: 'wrong' },
      });
    await wrong('1.1.1.1, 203.0.113.9');
    const keys = (await t.montu.db.selectFrom('login_failure').select('key').execute()).map((r) => r.key);
    expect(keys).toContain('ip:203.0.113.9');
    expect(keys).not.toContain('ip:1.1.1.1');
  });
});

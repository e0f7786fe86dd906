import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginThrottle, openMontu, type Montu } from '../src/index.js';
import { DATABASES } from './helpers/env.js';
import { openTestLibrary, type TestLibrary } from './helpers/montu.js';

const WINDOW = 15 * 60_000;

for (const kind of DATABASES) {
  describe(`login throttle (${kind})`, () => {
    let lib: TestLibrary;
    let other: Montu;
    let clock = Date.parse('2026-11-24T10:00:00.000Z');
    const now = () => clock;
    beforeAll(async () => {
      lib = await openTestLibrary(kind);
      // A second handle on the same database stands for a second API process.
      other = await openMontu({ dataDir: lib.dir, databaseUrl: lib.databaseUrl, jobs: false });
    });
    afterAll(async () => {
      await other.close();
      await lib.cleanup();
    });

    it('refuses after max failures until the window that began with the first one has passed', async () => {
      const t = new LoginThrottle(lib.montu.db, WINDOW, now);
      for (let i = 0; i < 3; i++) {
        expect(await t.blocked('u:ana', 3)).toBeNull();
        expect(await t.attempt([{ key: 'u:ana', max: 3 }])).toEqual({ granted: true });
        clock += 60_000;
      }
      // The fourth attempt is refused, and says how long to wait.
      expect(await t.attempt([{ key: 'u:ana', max: 3 }])).toEqual({ granted: false, waitSeconds: 12 * 60 });
      // Three failures at 10:00, 10:01, 10:02; now 10:03: the window ends at 10:15.
      expect(await t.blocked('u:ana', 3)).toBe(12 * 60);
      expect(await t.blocked('u:ana', 4)).toBeNull();
      expect(await t.blocked('u:bob', 3)).toBeNull();
      clock += 12 * 60_000 - 1;
      expect(await t.blocked('u:ana', 3)).toBe(1);
      clock += 1;
      expect(await t.blocked('u:ana', 3)).toBeNull();
      // A failure after the window starts a new count.
      expect(await t.attempt([{ key: 'u:ana', max: 3 }])).toEqual({ granted: true });
      expect(await t.blocked('u:ana', 1)).toBe(WINDOW / 1000);
      expect(await t.blocked('u:ana', 2)).toBeNull();
    });

    it('is shared by every process on the database, counts concurrent failures, and forgets on reset', async () => {
      const a = new LoginThrottle(lib.montu.db, WINDOW, now);
      const b = new LoginThrottle(other.db, WINDOW, now);
      const ip = [{ key: 'ip:10.0.0.7', max: 100 }];
      await Promise.all([
        ...Array.from({ length: 10 }, () => a.attempt(ip)),
        ...Array.from({ length: 10 }, () => b.attempt(ip)),
      ]);
      expect(await b.blocked('ip:10.0.0.7', 20)).toBe(WINDOW / 1000);
      expect(await a.blocked('ip:10.0.0.7', 21)).toBeNull();
      await a.reset('ip:10.0.0.7');
      expect(await b.blocked('ip:10.0.0.7', 1)).toBeNull();
    });

    it('grants exactly max of many concurrent attempts, and gives back the ones a later key refuses', async () => {
      const a = new LoginThrottle(lib.montu.db, WINDOW, now);
      const b = new LoginThrottle(other.db, WINDOW, now);
      const keys = [{ key: 'u:race', max: 10 }];
      const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).attempt(keys)));
      expect(outcomes.filter((o) => o.granted)).toHaveLength(10);
      // The address is at its limit: the username's attempt taken first is given back.
      for (let i = 0; i < 2; i++) await a.attempt([{ key: 'ip:10.0.0.9', max: 2 }]);
      const refused = await a.attempt([
        { key: 'u:fresh', max: 10 },
        { key: 'ip:10.0.0.9', max: 2 },
      ]);
      expect(refused.granted).toBe(false);
      expect(await a.blocked('u:fresh', 1)).toBeNull();
    });

    it('sweeps keys whose window has passed', async () => {
      const t = new LoginThrottle(lib.montu.db, WINDOW, now);
      for (let i = 0; i < 5; i++) await t.attempt([{ key: `u:old${i}`, max: 10 }]);
      clock += WINDOW;
      await t.attempt([{ key: 'u:new', max: 10 }]);
      await t.sweep();
      const keys = (await lib.montu.db.selectFrom('login_failure').select('key').execute()).map((r) => r.key);
      expect(keys.filter((k) => k.startsWith('u:old'))).toEqual([]);
      expect(keys).toContain('u:new');
    });
  });
}

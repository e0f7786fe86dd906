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
        await t.fail('u:ana');
        clock += 60_000;
      }
      // Three failures at 10:00, 10:01, 10:02; now 10:03: the window ends at 10:15.
      expect(await t.blocked('u:ana', 3)).toBe(12 * 60);
      expect(await t.blocked('u:ana', 4)).toBeNull();
      expect(await t.blocked('u:bob', 3)).toBeNull();
      clock += 12 * 60_000 - 1;
      expect(await t.blocked('u:ana', 3)).toBe(1);
      clock += 1;
      expect(await t.blocked('u:ana', 3)).toBeNull();
      // A failure after the window starts a new count.
      await t.fail('u:ana');
      expect(await t.blocked('u:ana', 1)).toBe(WINDOW / 1000);
      expect(await t.blocked('u:ana', 2)).toBeNull();
    });

    it('is shared by every process on the database, counts concurrent failures, and forgets on reset', async () => {
      const a = new LoginThrottle(lib.montu.db, WINDOW, now);
      const b = new LoginThrottle(other.db, WINDOW, now);
      await Promise.all([
        ...Array.from({ length: 10 }, () => a.fail('ip:10.0.0.7')),
        ...Array.from({ length: 10 }, () => b.fail('ip:10.0.0.7')),
      ]);
      expect(await b.blocked('ip:10.0.0.7', 20)).toBe(WINDOW / 1000);
      expect(await a.blocked('ip:10.0.0.7', 21)).toBeNull();
      await a.reset('ip:10.0.0.7');
      expect(await b.blocked('ip:10.0.0.7', 1)).toBeNull();
    });

    it('sweeps keys whose window has passed', async () => {
      const t = new LoginThrottle(lib.montu.db, WINDOW, now);
      for (let i = 0; i < 5; i++) await t.fail(`u:old${i}`);
      clock += WINDOW;
      await t.fail('u:new');
      const keys = (await lib.montu.db.selectFrom('login_failure').select('key').execute()).map((r) => r.key);
      expect(keys.filter((k) => k.startsWith('u:old'))).toEqual([]);
      expect(keys).toContain('u:new');
    });
  });
}

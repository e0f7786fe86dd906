/**
 * A refused login costs the same whether or not the username exists: otherwise the time of a
 * 401 tells an attacker which usernames are taken (scrypt takes tens of milliseconds, a missing
 * row a fraction of one). Judged by the ratio of interleaved medians, so a slow or busy machine
 * slows both sides alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestLibrary, type TestLibrary } from './helpers/montu.js';

async function refusalMs(lib: TestLibrary, username: string): Promise<number> {
  const t0 = performance.now();
  await expect(lib.montu.users.verifyLogin(username, 'not-the-password')).rejects.toMatchObject({
    code: 'unauthorized',
    message: 'Wrong username or password.',
  });
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('login refusals', () => {
  let lib: TestLibrary;
  beforeAll(async () => {
    lib = await openTestLibrary('sqlite', { jobs: false });
    await lib.montu.users.createUser({ username: 'known', password: 'the-password-123' });
    const gone = await lib.montu.users.createUser({ username: 'gone', password: 'the-password-123' });
    await lib.montu.users.updateUser(gone.id, { disabled: true });
  });
  afterAll(async () => lib.cleanup());

  it('take as long for an unknown or disabled username as for a wrong password', async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    const disabled: number[] = [];
    await refusalMs(lib, 'nobody'); // the stand-in hash is made once, on first use
    for (let i = 0; i < 7; i++) {
      known.push(await refusalMs(lib, 'known'));
      unknown.push(await refusalMs(lib, 'nobody'));
      disabled.push(await refusalMs(lib, 'gone'));
    }
    expect(median(unknown) / median(known)).toBeGreaterThan(0.3);
    expect(median(unknown) / median(known)).toBeLessThan(3);
    expect(median(disabled) / median(known)).toBeGreaterThan(0.3);
  });

  it('still lets the right password in', async () => {
    expect((await lib.montu.users.verifyLogin('known', 'the-password-123')).username).toBe('known');
    await expect(lib.montu.users.verifyLogin('gone', 'the-password-123')).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });
});

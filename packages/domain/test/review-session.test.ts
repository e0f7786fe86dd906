import { describe, expect, it } from 'vitest';
import { ROLES, maySteerSession } from '../src/index.js';

describe('who steers a live review session (hands over, takes control, ends it)', () => {
  const session = { driver: 'dan', owner: 'olga' };

  it('the driver and the owner may, whatever their role', () => {
    for (const role of [...ROLES, null]) {
      expect(maySteerSession(session, 'dan', role)).toBe(true);
      expect(maySteerSession(session, 'olga', role)).toBe(true);
    }
  });

  it("the project's supervisors and admins may; an artist who neither drives nor owns it may not", () => {
    expect(maySteerSession(session, 'sam', 'supervisor')).toBe(true);
    expect(maySteerSession(session, 'ada', 'admin')).toBe(true);
    expect(maySteerSession(session, 'art', 'artist')).toBe(false);
    expect(maySteerSession(session, 'nobody', null)).toBe(false);
  });
});

/** The recent-event log behind SSE replay: what it keeps, for how long, and what `since` reports. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, EventLog, type MontuEvent } from '../src/index.js';
import { DATABASES } from './helpers/env.js';
import { openTestLibrary, type TestLibrary } from './helpers/montu.js';

describe.each(DATABASES)('event log on %s', (kind) => {
  let lib: TestLibrary;
  beforeAll(async () => {
    lib = await openTestLibrary(kind, { jobs: false });
  });
  afterAll(async () => lib?.cleanup());

  it("keeps this process's events (not job progress, not relayed ones) and replays those after an id", async () => {
    const bus = new EventBus();
    const log = new EventLog(lib.montu.db, lib.montu.dialect, bus, 60 * 60 * 1000);
    const seen: MontuEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    try {
      bus.publish({ type: 'media.created', projectId: 'EVL', mediaId: 'm1' });
      bus.publish({ type: 'job.progress', projectId: 'EVL', data: { progress: 50 } });
      bus.publish({ type: 'media.created', projectId: 'EVL', mediaId: 'm2' }, { relayed: true });
      bus.publish({ type: 'media.updated', projectId: 'EVL', mediaId: 'm1' });
      bus.publish({ type: 'media.deleted', projectId: 'EVL', mediaId: 'm1' });
      const [first, progress] = seen;
      const after = await log.since(first!.id);
      expect(after.events.map((e) => e.type)).toEqual(['media.updated', 'media.deleted']);
      expect(after.events[0]).toEqual(seen[3]);
      expect(after.complete).toBe(true);
      // After an event that is not kept (progress), the replay starts at the next kept one.
      expect((await log.since(progress!.id)).events.map((e) => e.type)).toEqual([
        'media.updated',
        'media.deleted',
      ]);
      // More than the limit followed: incomplete.
      expect((await log.since(first!.id, 1)).complete).toBe(false);
    } finally {
      await log.close();
    }
  });

  it('forgets events older than its window, and says a replay from before it is incomplete', async () => {
    const bus = new EventBus();
    const log = new EventLog(lib.montu.db, lib.montu.dialect, bus, 60_000);
    try {
      const old = new Date(Date.now() - 10 * 60_000).toISOString();
      bus.publish({
        type: 'media.created',
        projectId: 'OLD',
        at: old,
        id: '01000000-0000-7000-8000-000000000001',
      });
      await log.flush(); // the first write also prunes: the old row goes at once
      const rows = await lib.montu.db
        .selectFrom('event_log')
        .select('id')
        .where('id', '=', '01000000-0000-7000-8000-000000000001')
        .execute();
      expect(rows).toEqual([]);
      expect((await log.since('01000000-0000-7000-8000-000000000001')).complete).toBe(false);
    } finally {
      await log.close();
    }
  });
});

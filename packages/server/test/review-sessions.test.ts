/**
 * Live review sessions over HTTP (issue 22 item 1, decision 140), one process: a late joiner's
 * snapshot, driver-only transport, handover, presence expiry, session notes and the summary,
 * and the event stream's replay from Last-Event-ID.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, DATABASES, makePng, startTestServer, type TestServer } from './helpers.js';
import { openSse } from './sse-client.js';

const TTL = 45_000;

for (const kind of DATABASES) {
  describe(`review sessions (${kind})`, () => {
    let t: TestServer;
    let clock = Date.now();
    const media: string[] = [];
    let playlistId: string;
    const tokens: Record<string, string> = {};
    const as = (user: string, url: string, init: Parameters<typeof call>[2] = {}) =>
      call(`${t.api}${url}`, tokens[user]!, init);

    beforeAll(async () => {
      t = await startTestServer(kind, {}, { reviewSessions: { presenceTtlMs: TTL, now: () => clock } });
      tokens['admin'] = t.adminToken;
      for (const [i, task] of ['ep01_sq010_sh010_comp', 'ep01_sq010_sh020_comp'].entries()) {
        const png = await makePng(path.join(t.dir, `p${i}.png`), 32, 16);
        media.push(
          await t.montu.media.uploadMedia({ filePath: png, projectId: 'SWA', taskId: task, author: 'ann' }),
        );
      }
      for (const name of ['bea', 'cal', 'dan']) {
        const user = await t.montu.users.createUser({ username: name });
        if (name !== 'dan') await t.montu.users.setMembership('SWA', user.id, 'artist');
        tokens[name] = (await t.montu.users.createToken(user.id, { name: 'test' })).token;
      }
      const pl = await as('admin', '/projects/SWA/playlists', {
        method: 'POST',
        json: { name: 'Dailies', mediaIds: media },
      });
      playlistId = ((await pl.json()) as { id: string }).id;
    });
    afterAll(async () => t.close());

    it('runs a session: late joiner, driver-only transport, handover, presence expiry, notes, summary', async () => {
      // Start: the starter owns and drives; the join path is the link to share.
      const started = await as('admin', '/review-sessions', { method: 'POST', json: { playlistId } });
      expect(started.status).toBe(201);
      const s = (await started.json()) as {
        id: string;
        seq: number;
        driver: string;
        joinPath: string;
        items: string[];
      };
      expect(s).toMatchObject({
        seq: 1,
        driver: 'admin',
        items: media,
        joinPath: `/review-sessions/${s.id}`,
      });

      // Bad input: both or neither target, unknown fields, values out of range.
      for (const json of [{}, { playlistId, mediaId: media[0] }, { playlistId, extra: 1 }]) {
        const bad = await as('admin', '/review-sessions', { method: 'POST', json });
        expect(bad.status, JSON.stringify(json)).toBe(400);
      }
      for (const json of [
        { frame: 1.5 },
        { nope: 1 },
        { rate: 0 },
        { colour: { exposure: 99 } },
        { colour: { exposure: -20.5 } },
        { colour: { gamma: 0 } },
        { colour: { gamma: 10.5 } },
        { colour: { channel: 'alpha' } },
        { colour: { hue: 1 } },
        { colour: { display: '' } },
        { mediaId: 'x' },
        {},
      ]) {
        const bad = await as('admin', `/review-sessions/${s.id}/state`, { method: 'PATCH', json });
        expect(bad.status, JSON.stringify(json)).toBe(400);
        expect(((await bad.json()) as { detail: string }).detail.length).toBeGreaterThan(5);
      }
      // A display or view the server cannot show (here: the built-in transform's) is refused by name.
      for (const [json, message] of [
        [{ colour: { display: 'P3' } }, /"P3" is not a display here; the displays are "sRGB"/],
        [
          { colour: { view: 'Log' } },
          /"Log" is not a view of display "sRGB"; its views are "Standard", "Filmic"/,
        ],
        [{ colour: { display: 'sRGB', view: 'ACES 1.0 - SDR Video' } }, /is not a view of display "sRGB"/],
      ] as const) {
        const bad = await as('admin', `/review-sessions/${s.id}/state`, { method: 'PATCH', json });
        expect(bad.status, JSON.stringify(json)).toBe(400);
        expect(((await bad.json()) as { detail: string }).detail).toMatch(message);
      }
      // Not a member: the session does not exist for them.
      expect((await as('dan', `/review-sessions/${s.id}`)).status).toBe(404);
      expect((await as('dan', `/review-sessions/${s.id}/join`, { method: 'POST' })).status).toBe(404);

      // bea joins and follows the stream from its snapshot.
      expect((await as('bea', `/review-sessions/${s.id}/join`, { method: 'POST' })).status).toBe(200);
      const bea = await openSse(`${t.api}/review-sessions/${s.id}/events`, tokens['bea']!);
      expect(bea.status).toBe(200);
      await bea.until((e) => e.some((x) => x.event === 'snapshot'));

      // The driver steps, plays, switches item and compare layout and the colour view.
      const moves = [
        { frame: 12 },
        { playing: true, rate: 2 },
        { playing: false, frame: 20 },
        { mediaId: media[1], frame: 3, compare: { mediaId: media[0], layout: 'wipe', wipe: 0.25 } },
        { colour: { view: 'Filmic', exposure: 1.5, gamma: 2.2, channel: 'r' } },
      ];
      let seq = 0;
      for (const json of moves) {
        const r = await as('admin', `/review-sessions/${s.id}/state`, { method: 'PATCH', json });
        expect(r.status).toBe(200);
        seq = ((await r.json()) as { seq: number }).seq;
      }
      // A follower may not move the transport.
      const refused = await as('bea', `/review-sessions/${s.id}/state`, {
        method: 'PATCH',
        json: { frame: 1 },
      });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { details: { reason: string } }).details.reason).toBe('not_driver');
      // A stale seq is refused, nothing written.
      const stale = await as('admin', `/review-sessions/${s.id}/state`, {
        method: 'PATCH',
        json: { frame: 99, expectedSeq: seq - 1 },
      });
      expect(stale.status).toBe(409);

      // cal joins late: the snapshot is the current state at the current seq.
      const late = (await (await as('cal', `/review-sessions/${s.id}/join`, { method: 'POST' })).json()) as {
        seq: number;
        state: Record<string, unknown>;
        presence: Array<{ username: string }>;
      };
      expect(late.state).toMatchObject({
        mediaId: media[1],
        frame: 3,
        playing: false,
        rate: 2,
        compare: { mediaId: media[0], layout: 'wipe', wipe: 0.25, opacity: 0.5 },
        colour: { display: null, view: 'Filmic', exposure: 1.5, gamma: 2.2, channel: 'r' },
        drawing: null,
      });
      expect(late.seq).toBe(seq + 1); // cal's own join is an event
      expect(late.presence.map((p) => p.username).sort()).toEqual(['admin', 'bea', 'cal']);

      // The stream gave bea every update in order; its last state equals the snapshot.
      const got = await bea.until((e) => e.some((x) => Number(x.id) === late.seq));
      const ids = got.map((e) => Number(e.id));
      expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => ids[0]! + i));
      const lastState = got
        .filter((e) => e.event === 'state')
        .map((e) => (JSON.parse(e.data) as { data: { state: unknown } }).data.state)
        .at(-1);
      expect(lastState).toEqual(late.state);
      bea.close();

      // Resuming with Last-Event-ID replays exactly what came after it.
      const resumed = await openSse(`${t.api}/review-sessions/${s.id}/events`, tokens['bea']!, {
        'last-event-id': String(seq - 2),
      });
      const replay = await resumed.until((e) => e.some((x) => Number(x.id) === late.seq));
      expect(replay.map((e) => Number(e.id))).toEqual([seq - 1, seq, seq + 1]);
      expect(replay.some((e) => e.event === 'snapshot')).toBe(false);
      resumed.close();
      const polled = (await (
        await as('cal', `/review-sessions/${s.id}/updates?after=${seq - 2}`)
      ).json()) as Array<{
        seq: number;
      }>;
      expect(polled.map((e) => e.seq)).toEqual([seq - 1, seq, seq + 1]);
      expect((await as('cal', `/review-sessions/${s.id}/updates?after=-1`)).status).toBe(400);

      // Handover: a follower may not hand over; the driver hands to cal, who now drives.
      expect(
        (await as('bea', `/review-sessions/${s.id}/control`, { method: 'POST', json: { to: 'bea' } })).status,
      ).toBe(403);
      expect(
        (await as('admin', `/review-sessions/${s.id}/control`, { method: 'POST', json: { to: 'nobody' } }))
          .status,
      ).toBe(409);
      const handed = await as('admin', `/review-sessions/${s.id}/control`, {
        method: 'POST',
        json: { to: 'cal' },
      });
      expect(((await handed.json()) as { driver: string }).driver).toBe('cal');
      expect(
        (await as('admin', `/review-sessions/${s.id}/state`, { method: 'PATCH', json: { frame: 5 } })).status,
      ).toBe(403);
      expect(
        (await as('cal', `/review-sessions/${s.id}/state`, { method: 'PATCH', json: { frame: 7 } })).status,
      ).toBe(200);
      // The owner takes control back.
      const back = await as('admin', `/review-sessions/${s.id}/control`, {
        method: 'POST',
        json: { to: 'admin' },
      });
      expect(((await back.json()) as { driver: string }).driver).toBe('admin');

      // Notes: on the shown item and frame by default, by their author, in the playlist.
      const n1 = await as('bea', `/review-sessions/${s.id}/notes`, {
        method: 'POST',
        json: { content: 'edge' },
      });
      expect(n1.status).toBe(201);
      expect(await n1.json()).toMatchObject({ mediaId: media[1], frame: 7, author: 'bea', playlistId });
      const n2 = await as('cal', `/review-sessions/${s.id}/notes`, {
        method: 'POST',
        json: { content: 'grain', mediaId: media[0], frame: 2 },
      });
      expect(await n2.json()).toMatchObject({ mediaId: media[0], frame: 2, author: 'cal' });
      expect(
        (
          await as('cal', `/review-sessions/${s.id}/notes`, {
            method: 'POST',
            json: { content: 'x', nope: 1 },
          })
        ).status,
      ).toBe(400);

      // Presence: bea and cal stop beating; after the timeout the next heartbeat sees them gone.
      clock += TTL + 1000;
      const beat = (await (
        await as('admin', `/review-sessions/${s.id}/heartbeat`, { method: 'POST' })
      ).json()) as {
        presence: Array<{ username: string }>;
      };
      expect(beat.presence.map((p) => p.username)).toEqual(['admin']);
      const expired = (await (
        await as('admin', `/review-sessions/${s.id}/updates?after=0`)
      ).json()) as Array<{
        type: string;
        data: { expired?: string[] };
      }>;
      expect(
        expired
          .filter((e) => e.type === 'presence')
          .at(-1)
          ?.data.expired?.sort(),
      ).toEqual(['bea', 'cal']);
      // Handing to someone who left is refused.
      expect(
        (await as('admin', `/review-sessions/${s.id}/control`, { method: 'POST', json: { to: 'bea' } }))
          .status,
      ).toBe(409);

      // End: only owner or driver; the summary lists the notes per item with the export links.
      expect((await as('bea', `/review-sessions/${s.id}/end`, { method: 'POST' })).status).toBe(403);
      const follower = await openSse(
        `${t.api}/review-sessions/${s.id}/events?after=${seq + 1}`,
        tokens['bea']!,
      );
      const ended = await as('admin', `/review-sessions/${s.id}/end`, { method: 'POST' });
      expect(ended.status).toBe(200);
      const summary = (await ended.json()) as {
        noteCount: number;
        playlistExport: string;
        items: Array<{
          mediaId: string;
          notesPackage: string;
          notes: Array<{ content: string; author: string }>;
        }>;
        session: { status: string };
      };
      expect(summary.session.status).toBe('ended');
      expect(summary.noteCount).toBe(2);
      expect(summary.items.map((i) => [i.mediaId, i.notes.map((n) => `${n.author}:${n.content}`)])).toEqual([
        [media[0], ['cal:grain']],
        [media[1], ['bea:edge']],
      ]);
      expect(summary.playlistExport).toBe(`/api/v1/playlists/${playlistId}/export.zip`);
      const pkg = await call(`${t.url}${summary.items[0]!.notesPackage}`, t.adminToken);
      expect(pkg.headers.get('content-type')).toBe('application/zip');
      await pkg.arrayBuffer();
      // The follower's stream ends with the `ended` event.
      const tail = await follower.until((e) => e.some((x) => x.event === 'ended'));
      expect(tail.at(-1)?.event).toBe('ended');
      follower.close();
      // A client holding the last event of an ended session is told to stop (204); a position
      // beyond the last event is refused.
      const last = Number(tail.at(-1)!.id);
      expect((await as('bea', `/review-sessions/${s.id}/events?after=${last}`)).status).toBe(204);
      const beyond = await call(`${t.api}/review-sessions/${s.id}/events`, tokens['bea']!, {
        headers: { 'last-event-id': String(last + 1) },
      });
      expect(beyond.status).toBe(400);
      expect(
        (
          await call(`${t.api}/review-sessions/${s.id}/events`, tokens['bea']!, {
            headers: { 'last-event-id': 'abc' },
          })
        ).status,
      ).toBe(400);
      // After the end nothing moves.
      expect(
        (await as('admin', `/review-sessions/${s.id}/state`, { method: 'PATCH', json: { frame: 1 } })).status,
      ).toBe(409);
      const list = (await (await as('bea', '/projects/SWA/review-sessions?status=ended')).json()) as Array<{
        id: string;
      }>;
      expect(list.map((l) => l.id)).toContain(s.id);
    });

    it('a session on a single version: items are that version; a follower cannot end it', async () => {
      const r = await as('bea', '/review-sessions', { method: 'POST', json: { mediaId: media[0] } });
      expect(r.status).toBe(201);
      const s = (await r.json()) as { id: string; items: string[]; owner: string; playlistId: null };
      expect(s).toMatchObject({ items: [media[0]], owner: 'bea', playlistId: null });
      const other = await as('bea', `/review-sessions/${s.id}/state`, {
        method: 'PATCH',
        json: { mediaId: media[1] },
      });
      expect(other.status).toBe(400);
      expect((await as('cal', `/review-sessions/${s.id}/end`, { method: 'POST' })).status).toBe(403);
      expect(
        (await as('dan', '/review-sessions', { method: 'POST', json: { mediaId: media[0] } })).status,
      ).toBe(404);
    });
    it("prunes an ended session's events after the retention window; a resume from before gets a snapshot", async () => {
      const s = (await (
        await as('bea', '/review-sessions', { method: 'POST', json: { mediaId: media[0] } })
      ).json()) as { id: string };
      await as('cal', `/review-sessions/${s.id}/join`, { method: 'POST' });
      for (const frame of [3, 4, 5])
        expect(
          (await as('bea', `/review-sessions/${s.id}/state`, { method: 'PATCH', json: { frame } })).status,
        ).toBe(200);
      expect(
        (await as('cal', `/review-sessions/${s.id}/notes`, { method: 'POST', json: { content: 'keep me' } }))
          .status,
      ).toBe(201);
      expect((await as('bea', `/review-sessions/${s.id}/end`, { method: 'POST' })).status).toBe(200);
      // Within the window every event is there: a resume replays them.
      const kept = (await (await as('cal', `/review-sessions/${s.id}/updates?after=1`)).json()) as Array<{
        type: string;
      }>;
      expect(kept.map((e) => e.type)).toEqual(['presence', 'state', 'state', 'state', 'note', 'ended']);
      // Eight days on, the next heartbeat (anyone's, any session) prunes it.
      clock += 8 * 24 * 60 * 60 * 1000;
      const other = (await (
        await as('bea', '/review-sessions', { method: 'POST', json: { mediaId: media[1] } })
      ).json()) as { id: string };
      expect((await as('bea', `/review-sessions/${other.id}/heartbeat`, { method: 'POST' })).status).toBe(
        200,
      );
      const stored = await t.montu.db
        .selectFrom('review_session_event')
        .select(['seq', 'type'])
        .where('session_id', '=', s.id)
        .orderBy('seq')
        .execute();
      expect(stored.map((e) => e.type)).toEqual(['note', 'ended']);
      // A poller behind the pruned events is told to start from the snapshot, not given a gap.
      const polled = await as('cal', `/review-sessions/${s.id}/updates?after=2`);
      expect(polled.status).toBe(409);
      expect(((await polled.json()) as { details: { reason: string; seq: number } }).details).toMatchObject({
        reason: 'pruned',
        seq: 7,
      });
      // After the last note only `ended` follows, and it is kept: that replay is whole.
      const tail = (await (await as('cal', `/review-sessions/${s.id}/updates?after=6`)).json()) as Array<{
        type: string;
      }>;
      expect(tail.map((e) => e.type)).toEqual(['ended']);
      // The stream resumed from a pruned seq starts with the snapshot (and ends: the session has).
      const resumed = await openSse(`${t.api}/review-sessions/${s.id}/events`, tokens['cal']!, {
        'last-event-id': '2',
      });
      const got = await resumed.until((ev) => ev.length >= 1);
      resumed.close();
      expect(got[0]).toMatchObject({ event: 'snapshot', id: '7' });
      expect(JSON.parse(got[0]!.data)).toMatchObject({ status: 'ended', state: { frame: 5 } });
      // The summary still has the note, with its author.
      const summary = (await (await as('cal', `/review-sessions/${s.id}/summary`)).json()) as {
        noteCount: number;
        items: Array<{ notes: Array<{ author: string; content: string; frame: number }> }>;
      };
      expect(summary.noteCount).toBe(1);
      expect(summary.items[0]!.notes[0]).toMatchObject({ author: 'cal', content: 'keep me', frame: 5 });
      // A live session's events are never pruned.
      const live = await as('bea', `/review-sessions/${other.id}/updates?after=0`);
      expect(live.status).toBe(200);
    });
  });
}

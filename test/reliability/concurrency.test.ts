/**
 * Concurrency through the HTTP API of a real server (processing on): 50 clients creating
 * versions of one task, 50 approve/reject requests racing on one item, and archiving while
 * processing. The final state must be one a serial order could give, and the history log must
 * account for every successful change exactly once (and for nothing that was refused).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  CORPUS,
  seedWorld,
  startTestServer,
  uploadForm,
  type TestServer,
  type World,
} from '../../packages/server/test/helpers.js';
import { DEFAULT_CONFIG } from '../../packages/server/src/index.js';

const PNG = fs.readFileSync(path.join(CORPUS, 'media/image/ExifTool.jpg'));
const TASK = 'ep01_sq010_sh010_comp';

interface History {
  action: string;
  from: string | null;
  to: string | null;
  actor: string;
  at: string;
  comment: string | null;
}
interface Media {
  id: string;
  version: string;
  versionNumber: number;
  status: string;
  archivedAt: string | null;
  processingState: string;
  processingError: string | null;
  files: Array<{ role: string; key: string }>;
}

describe('concurrency through the API (sqlite, processing on)', () => {
  let t: TestServer;
  let w: World;

  beforeAll(async () => {
    // 25 uploads per user at once: lift the per-user upload cap (8 by default) for this test.
    t = await startTestServer(
      'sqlite',
      { limits: { ...DEFAULT_CONFIG.limits, maxConcurrentUploadsPerUser: 0 } },
      { processing: true },
    );
    w = await seedWorld(t);
  });
  afterAll(async () => t?.close());

  const history = async (id: string) =>
    (await (await call(`${t.api}/media/${id}/history`, w.users.supervisor.token)).json()) as History[];
  const media = async (id: string) =>
    (await (await call(`${t.api}/media/${id}`, w.users.supervisor.token)).json()) as Media;

  it('gives 50 clients creating versions of one task 50 distinct versions, each in the history once', async () => {
    const first = await uploadForm(
      t.api,
      w.users.artist.token,
      { projectId: 'SWA', taskId: TASK },
      { name: 'v1.jpg', data: PNG },
    );
    expect(first.status, await first.clone().text()).toBe(201);
    const source = (await first.json()) as Media;

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        uploadForm(
          t.api,
          i % 2 ? w.users.artist.token : w.users.supervisor.token,
          {},
          { name: `c${i}.jpg`, data: PNG },
          `/media/${source.id}/versions`,
        ),
      ),
    );
    const bodies = await Promise.all(
      results.map(async (r) => ({ status: r.status, body: (await r.json()) as Media })),
    );
    expect(bodies.map((b) => b.status).filter((s) => s !== 201)).toEqual([]);
    const numbers = bodies.map((b) => b.body.versionNumber).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));

    // Each version has exactly one creation entry, naming its version; storage keys are distinct.
    for (const b of bodies) {
      const created = (await history(b.body.id)).filter((h) => h.action === 'media.created');
      expect(created.length, b.body.id).toBe(1);
      expect(created[0]!.to).toBe(b.body.version);
    }
    const keys = bodies.flatMap((b) => b.body.files.filter((f) => f.role === 'original').map((f) => f.key));
    expect(new Set(keys).size).toBe(50);
    const page = (await (
      await call(`${t.api}/media?projectId=SWA&taskId=${TASK}&limit=500`, w.users.artist.token)
    ).json()) as { items: Media[] };
    expect(page.items.length).toBe(51);
  });

  it('races 50 approve/reject requests on one item: every success is in the history once, refusals wrote nothing', async () => {
    const up = await uploadForm(
      t.api,
      w.users.artist.token,
      { projectId: 'SWA', taskId: 'ep01_sq010_sh020_comp' },
      { name: 'race.jpg', data: PNG },
    );
    const m = (await up.json()) as Media;
    expect(
      (await call(`${t.api}/media/${m.id}/submit`, w.users.artist.token, { method: 'POST', json: {} }))
        .status,
    ).toBe(200);
    const before = (await history(m.id)).filter((h) => h.action === 'media.status_changed').length;

    const actions = Array.from({ length: 50 }, (_, i) => (i % 2 ? 'approve' : 'reject'));
    const responses = await Promise.all(
      actions.map(async (a, i) => {
        const r = await call(`${t.api}/media/${m.id}/${a}`, w.users.supervisor.token, {
          method: 'POST',
          json: { comment: `race ${i}` },
        });
        return { action: a, i, status: r.status, body: (await r.json()) as Media & { code?: string } };
      }),
    );
    // Only success or a clean conflict (already in that state / changed meanwhile).
    expect(
      responses
        .filter((r) => r.status !== 200 && r.status !== 409)
        .map((r) => `${r.status} ${JSON.stringify(r.body)}`),
    ).toEqual([]);
    const ok = responses.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);

    const changes = (await history(m.id)).filter((h) => h.action === 'media.status_changed').slice(before);
    // One entry per success, none for a refusal.
    expect(changes.length).toBe(ok.length);
    const comments = new Set(changes.map((h) => h.comment));
    for (const r of responses)
      expect(comments.has(`race ${r.i}`), `request ${r.i} (${r.status})`).toBe(r.status === 200);
    // The entries form one chain from pending_review, and the final state is the chain's end.
    // (history comes back in commit order: ids are time-ordered UUIDv7)
    let state = 'pending_review';
    for (const h of changes) {
      expect(h.from).toBe(state);
      expect(h.to).not.toBe(h.from);
      state = h.to!;
    }
    const final = await media(m.id);
    expect(final.status).toBe(state);
    expect(['approved', 'rejected']).toContain(final.status);
  });

  it('archives while processing: the archive holds, processing finishes, both are recorded', async () => {
    const video = fs.readFileSync(
      path.join(
        CORPUS,
        'media',
        fs.readdirSync(path.join(CORPUS, 'media')).includes('video') ? 'video' : 'image',
        pickVideo(),
      ),
    );
    const up = await uploadForm(
      t.api,
      w.users.artist.token,
      { projectId: 'SWA', taskId: 'ep01_sq010_sh030_comp' },
      { name: pickVideo(), data: video },
    );
    expect(up.status, await up.clone().text()).toBe(201);
    const m = (await up.json()) as Media;
    // Archive (twice at once: one wins, the other is harmless) while the jobs run.
    const arch = await Promise.all(
      [0, 1].map(() => call(`${t.api}/media/${m.id}/archive`, w.users.supervisor.token, { method: 'POST' })),
    );
    expect(arch.map((r) => r.status).every((s) => s === 200 || s === 409)).toBe(true);

    let now = await media(m.id);
    for (
      let i = 0;
      i < 240 && (now.processingState === 'pending' || now.processingState === 'processing');
      i++
    ) {
      await new Promise((r) => setTimeout(r, 250));
      now = await media(m.id);
    }
    expect(['ready', 'failed']).toContain(now.processingState);
    if (now.processingState === 'failed') expect(now.processingError).toBeTruthy();
    expect(now.archivedAt, 'processing must not undo the archive').not.toBeNull();
    const h = await history(m.id);
    expect(h.filter((x) => x.action === 'media.archived').length).toBeGreaterThanOrEqual(1);
    // Archived items stay out of default searches, and appear with archived=include.
    const def = (await (
      await call(`${t.api}/media?projectId=SWA&taskId=ep01_sq010_sh030_comp`, w.users.artist.token)
    ).json()) as { items: Media[] };
    expect(def.items.map((x) => x.id)).not.toContain(m.id);
    const inc = (await (
      await call(
        `${t.api}/media?projectId=SWA&taskId=ep01_sq010_sh030_comp&archived=include`,
        w.users.artist.token,
      )
    ).json()) as { items: Media[] };
    expect(inc.items.map((x) => x.id)).toContain(m.id);
    // Renditions made while archived are recorded on the item (processing finished, not dropped).
    if (now.processingState === 'ready') expect(now.files.some((f) => f.role === 'thumbnail')).toBe(true);
  });
});

function pickVideo(): string {
  const dir = path.join(CORPUS, 'media', 'video');
  if (!fs.existsSync(dir)) return 'ExifTool.jpg';
  const names = fs.readdirSync(dir).filter((n) => /\.(mov|mp4)$/i.test(n));
  const sized = names
    .map((n) => ({ n, s: fs.statSync(path.join(dir, n)).size }))
    .filter((x) => x.s < 20e6)
    .sort((a, b) => b.s - a.s);
  return sized[0]?.n ?? 'ExifTool.jpg';
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPROVAL_STATUSES,
  DEFAULT_WORKFLOW,
  ROLES,
  findTransition,
  historyLabel,
  STATUS_LABELS,
  STATUS_ROUTES,
  TRUSTED_CALLER,
  parseWorkflow,
  transitionMatrix,
  type ApprovalStatus,
  type Role,
  type Workflow,
} from '../../src/index.js';
import { DATABASES } from '../helpers/env.js';
import { reviewFixture, TASK, type ReviewFixture } from './helpers.js';

/**
 * The default workflow written out by hand: from each status, the statuses each role may move
 * an item to. Checked against the data so a change to DEFAULT_WORKFLOW is a deliberate one.
 */
const EXPECTED: Record<Role, Record<ApprovalStatus, ApprovalStatus[]>> = {
  artist: {
    wip: ['pending_review'],
    pending_review: [],
    approved: [],
    changes_requested: ['pending_review'],
    rejected: ['pending_review'],
    on_hold: [],
  },
  supervisor: {
    wip: ['pending_review', 'approved', 'changes_requested', 'rejected', 'on_hold'],
    pending_review: ['wip', 'approved', 'changes_requested', 'rejected', 'on_hold'],
    approved: ['wip', 'changes_requested', 'rejected'],
    changes_requested: ['wip', 'pending_review', 'approved', 'rejected', 'on_hold'],
    rejected: ['wip', 'pending_review', 'approved'],
    on_hold: ['wip', 'approved', 'changes_requested', 'rejected'],
  },
  admin: {
    wip: ['pending_review', 'approved', 'changes_requested', 'rejected', 'on_hold'],
    pending_review: ['wip', 'approved', 'changes_requested', 'rejected', 'on_hold'],
    approved: ['wip', 'changes_requested', 'rejected'],
    changes_requested: ['wip', 'pending_review', 'approved', 'rejected', 'on_hold'],
    rejected: ['wip', 'pending_review', 'approved'],
    on_hold: ['wip', 'approved', 'changes_requested', 'rejected'],
  },
};

function expectedTriples(): string[] {
  const out: string[] = [];
  for (const role of ROLES)
    for (const from of APPROVAL_STATUSES)
      for (const to of EXPECTED[role][from]) out.push(`${role}:${from}->${to}`);
  return out.sort();
}

const ALL_PAIRS = APPROVAL_STATUSES.flatMap((from) =>
  APPROVAL_STATUSES.filter((to) => to !== from).map((to) => [from, to] as const),
);

describe('workflow data', () => {
  it('the default workflow is exactly the hand-written table', () => {
    const fromData = transitionMatrix(DEFAULT_WORKFLOW)
      .map((t) => `${t.role}:${t.from}->${t.to}`)
      .sort();
    expect(fromData).toEqual(expectedTriples());
  });

  it('parseWorkflow accepts the default and refuses bad data with clear errors', () => {
    expect(parseWorkflow(DEFAULT_WORKFLOW)).toEqual(DEFAULT_WORKFLOW);
    expect(() =>
      parseWorkflow({ transitions: [{ action: 'x', from: ['wip'], to: 'done', roles: ['artist'] }] }),
    ).toThrow(/to must be one of/);
    expect(() =>
      parseWorkflow({ transitions: [{ action: 'x', from: ['wip'], to: 'approved', roles: ['boss'] }] }),
    ).toThrow(/unknown role "boss"/);
    expect(() =>
      parseWorkflow({ transitions: [{ action: 'x', from: ['wip'], to: 'wip', roles: [] }] }),
    ).toThrow(/to itself/);
    expect(() => parseWorkflow({ transitions: [] })).toThrow(/non-empty/);
  });
});

for (const kind of DATABASES) {
  describe(`status workflow (${kind})`, () => {
    let fx: ReviewFixture;
    let id: string;
    beforeAll(async () => {
      fx = await reviewFixture(kind);
      id = await fx.upload();
    });
    afterAll(async () => fx.lib.cleanup());

    const setStatus = async (s: ApprovalStatus) => {
      await fx.lib.montu.db.updateTable('media').set({ status: s }).where('id', '=', id).execute();
    };
    const historyCount = async () => (await fx.lib.montu.review.getHistory(id)).length;

    it('allows every listed transition for every role and refuses every other one, writing nothing', async () => {
      const { review } = fx.lib.montu;
      let allowed = 0;
      let refused = 0;
      for (const role of ROLES) {
        for (const [from, to] of ALL_PAIRS) {
          await setStatus(from);
          const before = await historyCount();
          const expectOk = EXPECTED[role][from].includes(to);
          expect(Boolean(findTransition(DEFAULT_WORKFLOW, from, to, role))).toBe(expectOk);
          if (expectOk) {
            const m = await review.changeStatus(id, to, {
              actor: `${role}-user`,
              role,
              comment: `${from}->${to}`,
            });
            expect(m.status).toBe(to);
            const h = await review.getHistory(id);
            expect(h.length).toBe(before + 1);
            expect(h.at(-1)).toMatchObject({
              actor: `${role}-user`,
              action: 'media.status_changed',
              from,
              to,
              comment: `${from}->${to}`,
            });
            if (to === 'approved')
              expect(m.approval).toMatchObject({ by: `${role}-user`, comment: `${from}->${to}` });
            else expect(m.approval).toBeNull();
            allowed++;
          } else {
            const err = await review.changeStatus(id, to, { actor: 'x', role }).catch((e: unknown) => e);
            expect(err).toBeInstanceOf(Error);
            const e = err as { code: string; message: string };
            // Forbidden when another role may make it; Conflict when the workflow has no such step.
            const someoneMay = Boolean(findTransition(DEFAULT_WORKFLOW, from, to, TRUSTED_CALLER));
            expect(e.code).toBe(someoneMay ? 'forbidden' : 'conflict');
            expect(e.message).toMatch(
              someoneMay
                ? new RegExp(`A ${role} cannot move media from ${from} to ${to}`)
                : /cannot move from/,
            );
            expect((await fx.lib.montu.media.getMediaById(id)).status).toBe(from);
            expect(await historyCount()).toBe(before);
            refused++;
          }
        }
      }
      expect(allowed).toBe(expectedTriples().length);
      expect(allowed + refused).toBe(ROLES.length * ALL_PAIRS.length);
    });

    it('refuses a change to the current status', async () => {
      await setStatus('wip');
      await expect(
        fx.lib.montu.review.changeStatus(id, 'wip', { actor: 'x', role: 'admin' }),
      ).rejects.toMatchObject({ code: 'conflict' });
    });

    it('approval records who, when and the comment', async () => {
      await setStatus('pending_review');
      const t0 = new Date().toISOString();
      const m = await fx.lib.montu.review.approveMedia(id, 'sue', 'lovely', { role: 'supervisor' });
      expect(m.status).toBe('approved');
      expect(m.approval?.by).toBe('sue');
      expect(m.approval?.comment).toBe('lovely');
      expect(m.approval!.at >= t0).toBe(true);
    });

    it('uses the project workflow from settings, checked against its own data', async () => {
      const { review } = fx.lib.montu;
      const custom: Workflow = {
        initial: 'wip',
        transitions: [
          { action: 'submit', from: ['wip'], to: 'pending_review', roles: ['artist'] },
          { action: 'approve', from: ['pending_review'], to: 'approved', roles: ['artist', 'supervisor'] },
        ],
        reviewSelectRoles: ['supervisor'],
      };
      await expect(
        review.setWorkflow('SWA', custom, { actor: 'ann', role: 'supervisor' }),
      ).rejects.toMatchObject({ code: 'forbidden' });
      await expect(
        review.setWorkflow('SWA', { transitions: 'no' }, { actor: 'root', role: 'admin' }),
      ).rejects.toMatchObject({ code: 'validation_error' });
      await review.setWorkflow('SWA', custom, { actor: 'root', role: 'admin' });
      expect(await review.getWorkflow('SWA')).toEqual(custom);
      const matrix = transitionMatrix(custom);
      for (const role of ROLES) {
        for (const [from, to] of ALL_PAIRS) {
          await setStatus(from);
          const ok = matrix.some((t) => t.role === role && t.from === from && t.to === to);
          const before = await historyCount();
          const r = await review.changeStatus(id, to, { actor: 'u', role }).then(
            () => 'ok',
            (e: { code: string }) => e.code,
          );
          expect(r, `${role} ${from}->${to}`).toBe(ok ? 'ok' : r === 'ok' ? 'refused' : r);
          if (!ok) expect(await historyCount()).toBe(before);
        }
      }
      await setStatus('wip');
      const opts = await review.getStatusOptions(id, 'artist');
      expect(opts).toMatchObject({
        status: 'wip',
        targets: [{ to: 'pending_review', action: 'submit' }],
        canSelectForReview: false,
      });
      await expect(review.setReviewSelected(id, true, { actor: 'a', role: 'artist' })).rejects.toMatchObject({
        code: 'forbidden',
      });
      await review.setWorkflow('SWA', null, { actor: 'root', role: 'admin' });
      expect(await review.getWorkflow('SWA')).toEqual(DEFAULT_WORKFLOW);
    });

    it('reviewSelected marks one version per task and is in the history', async () => {
      const { review, media } = fx.lib.montu;
      const v2 = await fx.upload({ taskId: TASK });
      await review.setReviewSelected(id, true, { actor: 'ann', role: 'artist' });
      await review.setReviewSelected(v2, true, { actor: 'ann', role: 'artist' });
      expect((await media.getMediaById(id)).reviewSelected).toBe(false);
      expect((await media.getMediaById(v2)).reviewSelected).toBe(true);
      const h = await review.getHistory(v2);
      expect(h.some((e) => e.action === 'media.review_selected' && e.actor === 'ann')).toBe(true);
      const opts = await review.getStatusOptions(v2, 'supervisor');
      expect(opts.canSelectForReview).toBe(true);
      expect(opts.targets.map((t) => t.to).sort()).toEqual([...EXPECTED.supervisor.wip].sort());
    });
  });
}

describe('history labels', () => {
  it('names events and status changes in words, and spells out unknown events', () => {
    expect(historyLabel({ action: 'media.created' })).toBe('Version created');
    expect(historyLabel({ action: 'media.status_changed', data: { action: 'hold' } })).toBe('Put on hold');
    expect(historyLabel({ action: 'media.status_changed', data: { transition: 'reopen' } })).toBe('Reopened');
    expect(historyLabel({ action: 'media.status_changed', data: { action: 'custom_step' } })).toBe(
      'Status changed',
    );
    expect(historyLabel({ action: 'annotation.resolved' })).toBe('Note resolved');
    expect(historyLabel({ action: 'widget.frobbed_twice' })).toBe('Widget frobbed twice');
  });

  it('every status has an action route and a label', () => {
    for (const status of APPROVAL_STATUSES) {
      expect(STATUS_ROUTES[status]).toMatch(/^[a-z-]+$/);
      expect(STATUS_LABELS[status]).toBeTruthy();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { groupSequences, missingFrames } from '../src/lib/sequences.js';
import { reviewButtons, type StatusOptions, type Workflow } from '../src/lib/workflow.js';
import { allowedTargets, DEFAULT_WORKFLOW, findTransition, parseTaskId } from '@montu/domain';
import { buildRows, cardTitle, stackVersions } from '../src/lib/grouping.js';
import { RateMeter, formatBytes, formatDuration } from '../src/lib/format.js';
import type { Media } from '../src/api/index.js';

describe('sequence grouping', () => {
  it('groups numbered stills and keeps other files single', () => {
    const files = [
      ...[1001, 1002, 1003].map((f) => ({ name: `sh020.${f}.exr`, size: 10 })),
      { name: 'plate_0001.png', size: 1 },
      { name: 'plate_0002.png', size: 1 },
      { name: 'movie.mov', size: 100 },
      { name: 'lonely.0001.exr', size: 1 },
    ];
    const g = groupSequences(files);
    expect(g.map((i) => (i.kind === 'file' ? i.file.name : i.pattern))).toEqual([
      'lonely.0001.exr',
      'movie.mov',
      'plate_####.png',
      'sh020.####.exr',
    ]);
    const seq = g.find((i) => i.kind === 'sequence' && i.pattern.startsWith('sh020'));
    expect(seq && seq.kind === 'sequence' && seq.frames.map((f) => f.frame)).toEqual([1001, 1002, 1003]);
    expect(missingFrames([1, 2, 5])).toEqual([3, 4]);
  });
});

// The server's answers (GET /projects/:id/workflow, GET /media/:id/status-options) for the default workflow.
/** The real default workflow, and the status options the server computes from it (review.getStatusOptions). */
const WORKFLOW: Workflow = DEFAULT_WORKFLOW;
const serverOptions = (
  status: StatusOptions['status'],
  role: NonNullable<StatusOptions['role']>,
): StatusOptions => ({
  status,
  role,
  targets: allowedTargets(DEFAULT_WORKFLOW, status, role).map((to) => ({
    to,
    action: findTransition(DEFAULT_WORKFLOW, status, to, role)!.action,
  })),
  canSelectForReview: true,
});
const noTargets = (status: StatusOptions['status'], role: StatusOptions['role']): StatusOptions => ({
  status,
  role,
  targets: [],
  canSelectForReview: true,
});

describe("review buttons from the server's status options", () => {
  it('artists see submit only, approve is hidden with the reason', () => {
    const { buttons, hidden } = reviewButtons(serverOptions('wip', 'artist'), WORKFLOW);
    expect(buttons.map((b) => [b.action, b.enabled])).toEqual([['submit', true]]);
    expect(hidden.join(' ')).toMatch(/Approve needs the supervisor role \(you are an artist\)/);
  });
  it('supervisors see approve; submit is disabled with a reason when already pending', () => {
    const { buttons, hidden } = reviewButtons(serverOptions('pending_review', 'supervisor'), WORKFLOW);
    expect(buttons.map((b) => b.action)).toEqual([
      'submit',
      'approve',
      'request_changes',
      'reject',
      'hold',
      'reopen',
    ]);
    const submit = buttons.find((b) => b.action === 'submit')!;
    expect(submit.enabled).toBe(false);
    expect(submit.reason).toMatch(/pending review/);
    expect(buttons.find((b) => b.action === 'approve')?.enabled).toBe(true);
    expect(hidden).toEqual([]);
  });
  it('only what the server allows is enabled, even if the workflow would say otherwise', () => {
    const { buttons } = reviewButtons(noTargets('wip', 'supervisor'), WORKFLOW);
    expect(buttons.every((b) => !b.enabled)).toBe(true);
  });
  it("without the workflow, the server's targets alone", () => {
    const { buttons, hidden } = reviewButtons(serverOptions('wip', 'artist'), null);
    expect(buttons.map((b) => b.label)).toEqual(['Submit for review']);
    expect(hidden).toEqual([]);
  });
  it('admins may do everything', () => {
    expect(reviewButtons(serverOptions('wip', 'admin'), WORKFLOW).hidden).toEqual([]);
  });
});

const media = (taskId: string, versionNumber: number): Media =>
  ({
    id: `${taskId}-${versionNumber}`,
    projectId: 'P',
    taskId,
    versionNumber,
    version: `v${String(versionNumber).padStart(3, '0')}`,
  }) as Media;

describe('browser grouping', () => {
  it('parses task ids', () => {
    expect(parseTaskId('ep01_sq010_sh020_lighting')).toEqual({
      episode: 'ep01',
      sequence: 'sq010',
      shot: 'sh020',
      step: 'lighting',
    });
  });
  it('stacks the versions of a task, newest first, and fills rows by sequence', () => {
    const all = [
      media('ep01_sq010_sh020_comp', 1),
      media('ep01_sq010_sh020_comp', 3),
      media('ep01_sq010_sh010_comp', 1),
      media('ep01_sq020_sh010_comp', 2),
    ];
    const stacks = stackVersions(all, true);
    expect(stacks.map((s) => s.versions.map((m) => m.id))).toEqual([
      ['ep01_sq010_sh020_comp-3', 'ep01_sq010_sh020_comp-1'],
      ['ep01_sq010_sh010_comp-1'],
      ['ep01_sq020_sh010_comp-2'],
    ]);
    // Unstacked: one card per version.
    expect(stackVersions(all, false)).toHaveLength(4);
    // Two shots of sq010 share one row of two cards (no one-card row per shot).
    const rows = buildRows(stacks, new Map(), 2);
    expect(rows.map((r) => r.kind)).toEqual(['header', 'items', 'header', 'items']);
    expect(rows[0]).toMatchObject({ label: 'ep01 / sq010', count: 2 });
    expect(rows[1]?.kind === 'items' && rows[1].items.map((s) => s.versions[0]!.taskId)).toEqual([
      'ep01_sq010_sh010_comp',
      'ep01_sq010_sh020_comp',
    ]);
    expect(cardTitle(parseTaskId('ep01_sq010_sh020_comp'), 'ep01_sq010_sh020_comp')).toBe('sh020 · comp');
    expect(cardTitle(parseTaskId('hero'), 'hero')).toBe('hero');
  });
});

describe('formatting', () => {
  it('formats bytes, durations and rates', () => {
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatDuration(125)).toBe('2m 05s');
    const m = new RateMeter();
    m.add(0, 0);
    m.add(1_000_000, 1000);
    expect(m.rate()).toBe(1_000_000);
    expect(m.eta(3_000_000)).toBe(2);
  });
});

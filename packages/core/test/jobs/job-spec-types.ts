/**
 * Compiled (not run) by job-spec-types.test.ts: the jobs a caller cannot queue (decision 235).
 * Each `@ts-expect-error` fails the compile when the line it marks becomes valid, so a job map
 * that made a media job's item or project optional again fails the test.
 */
import type { JobSpec } from '../../src/jobs/types.js';

export const accepted: JobSpec[] = [
  { type: 'probe', mediaId: 'm1', projectId: 'SWA' },
  { type: 'thumbnail', mediaId: 'm1', projectId: 'SWA', payload: { timestamp: 2, regenerate: true } },
  { type: 'proxy', mediaId: 'm1', projectId: 'SWA', priority: 1 },
  { type: 'webhook.deliver', payload: { deliveryId: 'd1' } },
];

export const refused: JobSpec[] = [
  // @ts-expect-error -- a probe without its item's project would be seen by administrators only
  { type: 'probe', mediaId: 'm1' },
  // @ts-expect-error -- a project given as null is no project either
  { type: 'thumbnail', mediaId: 'm1', projectId: null },
  // @ts-expect-error -- a media job names its item
  { type: 'proxy', projectId: 'SWA' },
  // @ts-expect-error -- neither
  { type: 'thumbnail' },
  // @ts-expect-error -- a webhook delivery works on no media item
  { type: 'webhook.deliver', mediaId: 'm1', payload: { deliveryId: 'd1' } },
];

/** A follow-up computed with a type union (as the pipeline's next steps are) keeps the rule. */
export function followUps(
  types: Array<'thumbnail' | 'proxy'>,
  mediaId: string,
  projectId: string,
): JobSpec[] {
  // @ts-expect-error -- the union of media job types still needs the project
  const missing: JobSpec[] = types.map((type) => ({ type, mediaId }));
  void missing;
  return types.map((type) => ({ type, mediaId, projectId }));
}

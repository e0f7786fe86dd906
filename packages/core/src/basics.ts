/**
 * The parts of the core a client needs without opening a library: the vocabularies and the
 * sequence naming rules. Exported as `@montu/core/basics` so the CLI's remote commands can use
 * them without loading the whole library (database drivers, sharp, the AWS SDK: ~0.5 s of
 * start-up per invocation). Nothing here may import more than node built-ins and `errors`.
 */
export {
  MEDIA_TYPES,
  APPROVAL_STATUSES,
  STATUS_INPUTS,
  STATUS_WORDS,
  parseStatus,
  type ApprovalStatus,
  type StatusInput,
} from '@montu/domain';
export { JOB_STATES } from './jobs/types.js';
export { detectSequence, isSequencePattern, parseFrameFileName } from './processing/tools/sequence.js';

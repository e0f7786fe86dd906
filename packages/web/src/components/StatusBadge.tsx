import type { ApprovalStatus, ProcessingState } from '../api/index.js';
import { STATUS_LABELS } from '@montu/domain';

export function StatusBadge({ status }: { status: ApprovalStatus }) {
  return <span className={`badge status-${status}`}>{STATUS_LABELS[status] ?? status}</span>;
}

export function ProcessingBadge({ state, error }: { state: ProcessingState; error?: string | null }) {
  if (state === 'ready') return null;
  return (
    <span className={`badge proc-${state}`} title={error ?? undefined}>
      {state === 'failed' ? 'failed' : state === 'pending' ? 'queued' : 'processing'}
    </span>
  );
}

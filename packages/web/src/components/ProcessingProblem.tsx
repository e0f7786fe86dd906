/** A failed item's problem in words, the raw error behind a "details" disclosure (domain's processingProblem). */
import { processingProblem } from '@montu/domain';

export function ProcessingProblem({ error, compact = false }: { error: string | null; compact?: boolean }) {
  const { summary, detail } = processingProblem(error);
  return (
    <div className={compact ? 'problem compact' : 'problem'} role="status">
      <p className="problem-summary">{summary}</p>
      {detail && (
        <details className="problem-details">
          <summary>Details</summary>
          <pre>{detail}</pre>
        </details>
      )}
    </div>
  );
}

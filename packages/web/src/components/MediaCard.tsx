import { memo, useState } from 'react';
import { Thumb } from './Thumb.js';
import { formatDate } from '../lib/format.js';
import { Link } from '@tanstack/react-router';
import { links } from '../routes.js';
import { ProcessingBadge, StatusBadge } from './StatusBadge.js';
import { ProcessingProblem } from './ProcessingProblem.js';
import { cardTitle, parseTaskId, type Stack } from '../lib/grouping.js';
import { STATUS_LABELS } from '@montu/domain';

interface Props {
  stack: Stack;
  /** Files dropped on a card go to its task. */
  onDropTo: (e: React.DragEvent, taskId: string) => void;
}

/**
 * A task's card: the version shown (newest first) with, when the task has several, a stack look,
 * the count and a switcher. The link and the switcher are siblings (no control inside a link).
 */
export const MediaCard = memo(function MediaCard({ stack, onDropTo }: Props) {
  const [shown, setShown] = useState(0);
  const media = stack.versions[Math.min(shown, stack.versions.length - 1)]!;
  const count = stack.versions.length;
  const title = cardTitle(parseTaskId(media.taskId), media.taskId);
  return (
    <div
      className={count > 1 ? 'card media-card stacked' : 'card media-card'}
      role="listitem"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => onDropTo(e, media.taskId)}
    >
      <Link
        {...links.viewer(media.id)}
        className="card-link"
        aria-label={`${media.taskId} ${media.version}, ${STATUS_LABELS[media.status] ?? media.status}, by ${media.author}${count > 1 ? `, ${count} versions` : ''}`}
        data-media-id={media.id}
      >
        <Thumb media={media} width={218} height={112} />
        <div className="card-body">
          <div className="card-title">
            <span className="task" title={media.taskId}>
              {title}
            </span>
            <span className="version">{media.version}</span>
          </div>
          <div className="card-meta">
            <StatusBadge status={media.status} />
            <ProcessingBadge state={media.processingState} />
          </div>
          <div className="card-meta muted">
            <span>{media.author}</span>
            <span>{formatDate(media.createdAt)}</span>
          </div>
        </div>
      </Link>
      {count > 1 && (
        <div className="stack-switch">
          <span className="stack-count" aria-hidden="true">
            {count} versions
          </span>
          <select
            aria-label={`Version of ${media.taskId}`}
            value={media.id}
            onChange={(e) => setShown(stack.versions.findIndex((v) => v.id === e.target.value))}
          >
            {stack.versions.map((v) => (
              <option key={v.id} value={v.id}>
                {v.version} · {STATUS_LABELS[v.status] ?? v.status}
              </option>
            ))}
          </select>
        </div>
      )}
      {media.processingState === 'failed' && (
        <div className="card-problem">
          <ProcessingProblem error={media.processingError} compact />
        </div>
      )}
    </div>
  );
});

export const MediaRow = memo(function MediaRow({ stack, onDropTo }: Props) {
  const media = stack.versions[0]!;
  return (
    <Link
      {...links.viewer(media.id)}
      className="list-row"
      role="row"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => onDropTo(e, media.taskId)}
      data-media-id={media.id}
    >
      <span role="cell">
        <Thumb media={media} width={80} height={45} />
      </span>
      <span role="cell" className="task" title={media.taskId}>
        {media.taskId}
      </span>
      <span role="cell">
        {media.version}
        {stack.versions.length > 1 && <span className="muted"> of {stack.versions.length}</span>}
      </span>
      <span role="cell">{media.mediaType}</span>
      <span role="cell">
        <StatusBadge status={media.status} />{' '}
        <ProcessingBadge state={media.processingState} error={media.processingError} />
      </span>
      <span role="cell">{media.author}</span>
      <span role="cell" className="muted">
        {formatDate(media.createdAt)}
      </span>
    </Link>
  );
});

import { memo } from 'react';
import type { MediaSummary as Media } from '../api/index.js';
import { Thumb } from './Thumb.js';
import { formatDate } from '../lib/format.js';
import { linkClick } from '../lib/router.js';
import { ProcessingBadge, StatusBadge } from './StatusBadge.js';
import { parseTaskId } from '../lib/grouping.js';

interface Props {
  media: Media;
  /** Files dropped on a card go to its task. */
  onDropTo: (e: React.DragEvent, taskId: string) => void;
}

export const MediaCard = memo(function MediaCard({ media, onDropTo }: Props) {
  const step = parseTaskId(media.taskId).step;
  return (
    <a
      href={`/m/${encodeURIComponent(media.id)}`}
      onClick={linkClick}
      className="card media-card"
      role="listitem"
      aria-label={`${media.taskId} ${media.version}, ${media.status.replace('_', ' ')}, by ${media.author}`}
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => onDropTo(e, media.taskId)}
      data-media-id={media.id}
    >
      <Thumb media={media} width={218} height={112} />
      <div className="card-body">
        <div className="card-title">
          <span className="task" title={media.taskId}>
            {step ?? media.taskId}
          </span>
          <span className="version">{media.version}</span>
        </div>
        <div className="card-meta">
          <StatusBadge status={media.status} />
          <ProcessingBadge state={media.processingState} error={media.processingError} />
        </div>
        <div className="card-meta muted">
          <span>{media.author}</span>
          <span>{formatDate(media.createdAt)}</span>
        </div>
      </div>
    </a>
  );
});

export const MediaRow = memo(function MediaRow({ media, onDropTo }: Props) {
  return (
    <a
      href={`/m/${encodeURIComponent(media.id)}`}
      onClick={linkClick}
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
      <span role="cell">{media.version}</span>
      <span role="cell">{media.mediaType}</span>
      <span role="cell">
        <StatusBadge status={media.status} />{' '}
        <ProcessingBadge state={media.processingState} error={media.processingError} />
      </span>
      <span role="cell">{media.author}</span>
      <span role="cell" className="muted">
        {formatDate(media.createdAt)}
      </span>
    </a>
  );
});

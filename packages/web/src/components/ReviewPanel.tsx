/** Status buttons for the user's role, a comment, and the version history of the task. */
import { useEffect, useState } from 'react';
import { api, type HistoryEntry, type Media } from '../api/index.js';
import { formatDate } from '../lib/format.js';
import { Link, useSearch } from '@tanstack/react-router';
import { links } from '../routes.js';
import { STATUS_LABELS } from '@montu/domain';
import { STATUS_ROUTE, reviewButtons, type StatusOptions, type Workflow } from '../lib/workflow.js';
import { StatusBadge } from './StatusBadge.js';
import { historyLabel } from '@montu/domain';

/** A status in a history line in words; other values (not statuses) as they are. */
const statusWords = (s: string): string => STATUS_LABELS[s as keyof typeof STATUS_LABELS] ?? s;

interface Props {
  media: Media;
  onChanged: (m: Media) => void;
}

export function ReviewPanel({ media, onChanged }: Props) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [versions, setVersions] = useState<Media[]>([]);
  const [options, setOptions] = useState<StatusOptions | null>(null);
  const [workflow, setWorkflow] = useState<Workflow | null>(null);
  // The viewer's frame, from its address (written there whenever it is paused).
  const { frame } = useSearch({ strict: false });

  // The server decides which buttons are enabled (role-aware status options); the workflow only
  // explains the others. Asked again whenever the status changes.
  useEffect(() => {
    let live = true;
    setOptions(null);
    api.statusOptions(media.id).then(
      (o) => live && setOptions(o),
      (e: unknown) => live && setError(`Could not load the review actions: ${(e as Error).message}`),
    );
    return () => {
      live = false;
    };
  }, [media.id, media.status]);
  useEffect(() => {
    api.workflow(media.projectId).then(setWorkflow, () => setWorkflow(null));
  }, [media.projectId]);
  const { buttons, hidden } = options ? reviewButtons(options, workflow) : { buttons: [], hidden: [] };

  useEffect(() => {
    api.history(media.id).then(setHistory, () => setHistory([]));
    api.versions(media.taskId, media.projectId).then(setVersions, () => setVersions([]));
  }, [media.id, media.taskId, media.projectId, media.status]);

  async function act(to: keyof typeof STATUS_ROUTE) {
    const route = STATUS_ROUTE[to];
    if (!route) return;
    setBusy(true);
    setError(null);
    try {
      const m = await api.review(media.id, route, comment);
      setComment('');
      onChanged(m && (m as Media).id ? m : await api.media(media.id));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="review">
      <p>
        Status: <StatusBadge status={media.status} />
        {media.approval && (
          <span className="muted">
            {' '}
            approved by {media.approval.by} {formatDate(media.approval.at)}
          </span>
        )}
      </p>
      <label htmlFor="review-comment">Comment</label>
      <textarea
        id="review-comment"
        rows={2}
        value={comment}
        onChange={(e) => setComment(e.target.value)}
        onKeyDown={(e) => e.stopPropagation()}
      />
      <div className="review-buttons" aria-busy={options === null}>
        {buttons.map((b) => (
          <button
            key={b.action}
            type="button"
            className={b.action === 'approve' ? 'approve' : b.action === 'reject' ? 'danger' : ''}
            disabled={!b.enabled || busy}
            title={b.reason ?? `Set status to ${STATUS_LABELS[b.to]}`}
            aria-describedby={b.reason ? `why-${b.action}` : undefined}
            onClick={() => void act(b.to)}
          >
            {b.label}
          </button>
        ))}
      </div>
      {buttons
        .filter((b) => b.reason)
        .map((b) => (
          <p key={b.action} id={`why-${b.action}`} className="muted small">
            {b.label}: {b.reason}
          </p>
        ))}
      {hidden.length > 0 && <p className="muted small">{hidden.join(' ')}</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <h3>Versions of {media.taskId}</h3>
      <ol className="versions">
        {versions.map((v) => (
          <li key={v.id}>
            <Link {...links.viewer(v.id)} aria-current={v.id === media.id ? 'page' : undefined}>
              {v.version}
            </Link>{' '}
            <StatusBadge status={v.status} />{' '}
            <span className="muted">
              {v.author} · {formatDate(v.createdAt)}
            </span>
          </li>
        ))}
      </ol>
      {versions.length > 1 && (
        <Link
          className="button"
          {...links.compare(media.projectId, media.taskId, {
            a: versions.find((v) => v.id !== media.id)?.version,
            b: media.version,
            // Compare opens on the frame the viewer is on.
            ...(frame !== undefined ? { frame } : {}),
          })}
        >
          Compare versions…
        </Link>
      )}
      <h3>History</h3>
      <ol className="history" aria-label="History">
        {history.length === 0 && <li className="muted">No changes yet.</li>}
        {history.map((h) => (
          <li key={h.id}>
            <span className="muted">{formatDate(h.at)}</span> <strong>{h.actor}</strong>{' '}
            {h.label || historyLabel(h)}
            {h.from && h.to && h.from !== h.to ? (
              <span className="muted">
                {' '}
                ({statusWords(h.from)} → {statusWords(h.to)})
              </span>
            ) : null}
            {h.comment ? <q> {h.comment}</q> : null}
          </li>
        ))}
      </ol>
    </div>
  );
}

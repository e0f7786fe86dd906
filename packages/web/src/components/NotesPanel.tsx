/** Notes of a media item: threads with replies, resolve, mentions; click jumps to the frame. */
import { useState } from 'react';
import type { Annotation } from '../api/index.js';
import { formatDate } from '../lib/format.js';

export const mentionsIn = (text: string): string[] => [
  ...new Set([...text.matchAll(/(?:^|\s)@([\w.-]+)/g)].map((m) => m[1]!)),
];

interface Props {
  notes: Annotation[];
  selectedId: string | null;
  /** Names a stored frame (or a held range) by source frame and source timecode. */
  frameLabel: (frame: number | null, frameEnd?: number | null) => string;
  hasDrawing: boolean;
  composeFrameLabel: string;
  /** True when a new note may be held over a range of frames (movies and sequences). */
  canHold?: boolean;
  /** With strokes drawn and a note selected: add them to that note's drawing. */
  addToNote?: { label: string; save: () => Promise<void> } | null;
  /** What the last drawing save did, when worth telling (a merge). */
  saveInfo?: string | null;
  onSelect: (n: Annotation) => void;
  /** Saves a new note; `holdFrames` > 1 holds it (and its drawing) over that many frames. */
  onAdd: (content: string, holdFrames: number) => Promise<void>;
  onReply: (parent: Annotation, content: string) => Promise<void>;
  onResolve: (n: Annotation, resolved: boolean) => Promise<void>;
}

export function NotesPanel({
  notes,
  selectedId,
  frameLabel,
  hasDrawing,
  composeFrameLabel,
  canHold = false,
  addToNote = null,
  saveInfo = null,
  onSelect,
  onAdd,
  onReply,
  onResolve,
}: Props) {
  const [text, setText] = useState('');
  const [hold, setHold] = useState(1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const top = notes
    .filter((n) => !n.parentId)
    .sort((a, b) => (a.frame ?? -1) - (b.frame ?? -1) || a.createdAt.localeCompare(b.createdAt));
  const replies = (id: string) => notes.filter((n) => n.parentId === id);

  async function save() {
    if (!text.trim() && !hasDrawing) return;
    setBusy(true);
    setError(null);
    try {
      await onAdd(text.trim(), hold);
      setText('');
      setHold(1);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="notes">
      <form
        className="compose"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label htmlFor="note-text">
          New note at {composeFrameLabel} {hasDrawing && <span className="badge">with drawing</span>}
        </label>
        <textarea
          id="note-text"
          rows={3}
          value={text}
          placeholder="Write a note… @name to mention (Ctrl+Enter to save)"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            e.stopPropagation();
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void save();
          }}
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {canHold && (
          <label className="hold">
            Hold for{' '}
            <input
              type="number"
              min={1}
              max={100000}
              value={hold}
              onChange={(e) => setHold(Math.max(1, Math.floor(Number(e.target.value) || 1)))}
              onKeyDown={(e) => e.stopPropagation()}
              aria-label="Hold for frames"
            />{' '}
            frame{hold === 1 ? '' : 's'}
          </label>
        )}
        <div className="compose-actions">
          <button type="submit" className="primary" disabled={busy || (!text.trim() && !hasDrawing)}>
            Save note
          </button>
          {addToNote && (
            <button
              type="button"
              disabled={busy}
              onClick={() => {
                setBusy(true);
                setError(null);
                addToNote
                  .save()
                  .catch((e: Error) => setError(e.message))
                  .finally(() => setBusy(false));
              }}
            >
              Add drawing to note at {addToNote.label}
            </button>
          )}
        </div>
        {saveInfo && (
          <p className="muted" role="status">
            {saveInfo}
          </p>
        )}
      </form>
      <ol className="note-list" aria-label="Notes">
        {top.length === 0 && <li className="muted">No notes yet.</li>}
        {top.map((n) => (
          <Note
            key={n.id}
            note={n}
            replies={replies(n.id)}
            selected={n.id === selectedId}
            frameLabel={frameLabel}
            onSelect={onSelect}
            onReply={onReply}
            onResolve={onResolve}
          />
        ))}
      </ol>
    </div>
  );
}

function Note({
  note,
  replies,
  selected,
  frameLabel,
  onSelect,
  onReply,
  onResolve,
}: {
  note: Annotation;
  replies: Annotation[];
  selected: boolean;
  frameLabel: (frame: number | null, frameEnd?: number | null) => string;
  onSelect: (n: Annotation) => void;
  onReply: (parent: Annotation, content: string) => Promise<void>;
  onResolve: (n: Annotation, resolved: boolean) => Promise<void>;
}) {
  const [reply, setReply] = useState<string | null>(null);
  return (
    <li
      className={`note ${selected ? 'selected' : ''} ${note.resolved ? 'resolved' : ''}`}
      data-note-id={note.id}
    >
      <button type="button" className="note-head" onClick={() => onSelect(note)} aria-pressed={selected}>
        <span className="frame">{frameLabel(note.frame, note.frameEnd)}</span>
        <strong>{note.author}</strong>
        {note.drawing ? (
          <span className="badge">drawing</span>
        ) : note.frame !== null ? (
          <span className="badge">pinned</span>
        ) : null}
        {note.resolved && <span className="badge status-approved">resolved</span>}
        <span className="muted">{formatDate(note.createdAt)}</span>
      </button>
      {note.content && <p className="note-body">{highlight(note.content)}</p>}
      {replies.map((r) => (
        <div key={r.id} className="reply">
          <strong>{r.author}</strong> <span className="muted">{formatDate(r.createdAt)}</span>
          <p>{highlight(r.content)}</p>
        </div>
      ))}
      <div className="note-actions">
        <button type="button" onClick={() => setReply(reply === null ? '' : null)}>
          Reply
        </button>
        <button type="button" onClick={() => void onResolve(note, !note.resolved)}>
          {note.resolved ? 'Reopen' : 'Resolve'}
        </button>
      </div>
      {reply !== null && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (reply.trim()) void onReply(note, reply.trim()).then(() => setReply(null));
          }}
        >
          <textarea
            aria-label="Reply"
            rows={2}
            value={reply}
            autoFocus
            onChange={(e) => setReply(e.target.value)}
            onKeyDown={(e) => e.stopPropagation()}
          />
          <button type="submit">Send reply</button>
        </form>
      )}
    </li>
  );
}

function highlight(text: string) {
  return text.split(/(@[\w.-]+)/g).map((part, i) =>
    part.startsWith('@') ? (
      <mark key={i} className="mention">
        {part}
      </mark>
    ) : (
      part
    ),
  );
}

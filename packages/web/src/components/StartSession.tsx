/** "Start live review": starts a review session on a playlist or one version and opens it (its URL is the join link). */
import { useState } from 'react';
import { useNavigate } from '@tanstack/react-router';
import { api } from '../api/index.js';
import { links } from '../routes.js';

export function StartSession({ target }: { target: { playlistId: string } | { mediaId: string } }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  return (
    <>
      <button
        type="button"
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setError(null);
          api.startReviewSession(target).then(
            (s) => void navigate(links.session(s.id)),
            (e: Error) => {
              setBusy(false);
              setError(e.message);
            },
          );
        }}
      >
        Start live review
      </button>
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}

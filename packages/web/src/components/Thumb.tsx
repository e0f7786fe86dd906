import { useEffect, useState } from 'react';
import { api, type MediaSummary as Media } from '../api/index.js';
import { isScrollingFast, useScrollingFast } from '../lib/scrollSpeed.js';

/**
 * A card's thumbnail: fixed size (no layout shift), decoded off the main thread, and not requested
 * while the grid is scrolling fast (it appears once scrolling settles; thumbnails seen before are
 * revalidated with their ETag, so that is a 304 at most).
 */
export function Thumb({ media, width, height }: { media: Media; width: number; height: number }) {
  const url = api.fileUrl(media.id, 'thumbnail');
  const fast = useScrollingFast();
  const [failed, setFailed] = useState(false);
  const [wanted, setWanted] = useState(() => !isScrollingFast());
  useEffect(() => {
    if (!fast && !wanted) setWanted(true);
  }, [fast, wanted]);
  // Asked for only when the record says it was made (a failed item may still have its thumbnail):
  // never a request that can only 404.
  const made =
    media.processing?.['thumbnail'] !== undefined
      ? media.processing['thumbnail'].state === 'done'
      : media.processingState === 'ready';
  if (failed || !made || !wanted) {
    return (
      <div className="thumb thumb-empty" aria-hidden="true">
        {made && !failed ? '' : media.mediaType}
      </div>
    );
  }
  return (
    <img
      className="thumb"
      src={url}
      alt=""
      width={width}
      height={height}
      decoding="async"
      onError={() => setFailed(true)}
    />
  );
}

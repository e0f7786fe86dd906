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
  if (failed || media.processingState !== 'ready' || !wanted) {
    return (
      <div className="thumb thumb-empty" aria-hidden="true">
        {media.processingState === 'ready' && !failed ? '' : media.mediaType}
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

/** The picture of a media item: <img> for stills, <video> (the browser proxy) for movies and sequences. */
import { useState } from 'react';
import { api, type MediaSummary as Media } from '../api/index.js';

export const isMoving = (m: Media): boolean => m.mediaType === 'video' || m.mediaType === 'sequence';

const IMAGE_SOURCES = ['web', 'proxy', 'original', 'thumbnail'] as const;

export function MediaView({
  media,
  style,
  videoRef,
  onSize,
}: {
  media: Media;
  style: React.CSSProperties;
  videoRef?: (v: HTMLVideoElement | null) => void;
  onSize: (w: number, h: number) => void;
}) {
  const [src, setSrc] = useState(0);
  if (isMoving(media)) {
    return (
      <video
        ref={videoRef}
        src={api.fileUrl(media.id, 'proxy')}
        style={style}
        preload="auto"
        playsInline
        muted
        crossOrigin="use-credentials"
        onLoadedMetadata={(e) => onSize(e.currentTarget.videoWidth, e.currentTarget.videoHeight)}
        data-testid="video"
      />
    );
  }
  const kind = IMAGE_SOURCES[src] ?? 'thumbnail';
  return (
    <img
      src={api.fileUrl(media.id, kind)}
      style={style}
      alt={`${media.taskId} ${media.version}`}
      draggable={false}
      onLoad={(e) => onSize(e.currentTarget.naturalWidth, e.currentTarget.naturalHeight)}
      onError={() => setSrc((s) => Math.min(s + 1, IMAGE_SOURCES.length - 1))}
      data-testid="image"
    />
  );
}

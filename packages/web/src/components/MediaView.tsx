/** The picture of a media item: <img> for stills, <video> (the browser proxy) for movies and sequences. */
import { useState } from 'react';
import { api, type Media as FullMedia, type MediaSummary as Media } from '../api/index.js';

export const isMoving = (m: Media): boolean => m.mediaType === 'video' || m.mediaType === 'sequence';

const IMAGE_SOURCES = ['web', 'proxy', 'original', 'thumbnail'] as const;
type Source = (typeof IMAGE_SOURCES)[number];

/**
 * The renditions this item has, ready, from its record (`files`): only those are asked for, so a
 * failed item causes no 404s. Null when the record lists no files (a summary): then the usual order.
 */
export function readyRenditions(media: Media | FullMedia): Set<string> | null {
  const files = (media as Partial<FullMedia>).files;
  if (!files) return null;
  return new Set(files.filter((f) => f.state === 'ready').map((f) => f.role));
}

/** True when the item has a picture to show (movies: the proxy; stills: any displayable rendition). */
export function hasPicture(media: Media | FullMedia): boolean {
  const ready = readyRenditions(media);
  if (!ready) return true;
  return isMoving(media) ? ready.has('proxy') : IMAGE_SOURCES.some((k) => ready.has(k));
}

export function MediaView({
  media,
  style,
  videoRef,
  stillRef,
  onSize,
}: {
  media: Media | FullMedia;
  style: React.CSSProperties;
  videoRef?: (v: HTMLVideoElement | null) => void;
  /**
   * A canvas in the video's box, over it: the step screen paints decoded frames there while
   * paused (lib/stepFrames.ts, decision 205). Hidden until it holds the frame on screen.
   */
  stillRef?: (c: HTMLCanvasElement | null) => void;
  onSize: (w: number, h: number) => void;
}) {
  const [src, setSrc] = useState(0);
  const ready = readyRenditions(media);
  const sources: Source[] = IMAGE_SOURCES.filter((k) => !ready || ready.has(k));
  if (isMoving(media)) {
    const video = (
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
    if (!stillRef) return video;
    return (
      <>
        {video}
        <canvas ref={stillRef} className="still-frame" style={style} data-testid="still-frame" />
      </>
    );
  }
  const kind = sources[src] ?? sources[sources.length - 1] ?? 'thumbnail';
  return (
    <img
      src={api.fileUrl(media.id, kind)}
      style={style}
      alt={`${media.taskId} ${media.version}`}
      draggable={false}
      onLoad={(e) => onSize(e.currentTarget.naturalWidth, e.currentTarget.naturalHeight)}
      onError={() => setSrc((s) => Math.min(s + 1, sources.length - 1))}
      data-testid="image"
    />
  );
}

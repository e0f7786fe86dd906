import { Readable } from 'node:stream';
import { NotFound, ValidationError, type Media, type MediaFile } from '@montu/domain';
import type { ServiceContext } from '../context.js';
import { fileFromRow } from '../db/rows.js';
import { transaction } from '../db/connect.js';
import { withLocalFiles } from '../processing/local-files.js';
import { createFloatRendition, wantsFloatRendition } from '../processing/tools/float-rendition.js';
import type { MediaLimits } from '../processing/tools/limits.js';
import type { MediaMetadata } from '../processing/tools/metadata.js';
import { mediaKey } from '../storage/keys.js';
import { recordFrameFloat } from './frame-float-queries.js';

/**
 * Half-float renditions of single frames of a float image sequence (EXR, DPX with more than 8
 * bits), for the colour-managed viewer's paused frame (decision 217). Made on the first request
 * from that frame's file, exactly as a still's `web_float` is made, then stored (atomic put,
 * checksummed) and recorded as a `frame_float` file of the item, so later requests are served
 * from storage.
 */
export class FrameFloats {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly limits: MediaLimits,
  ) {}

  /** The frame's float rendition, made now when it does not exist yet. */
  async get(media: Media, frame: number): Promise<MediaFile> {
    if (media.mediaType !== 'sequence')
      throw new NotFound('This media item is not an image sequence: it has no frame renditions.', {
        mediaId: media.id,
      });
    const meta = media.metadata as unknown as MediaMetadata & { frameStart?: number; frameEnd?: number };
    const start = meta.frameStart;
    const end = meta.frameEnd;
    if (typeof start !== 'number' || typeof end !== 'number')
      throw new NotFound('This sequence has not been probed yet.', { mediaId: media.id });
    if (frame < start || frame > end)
      throw new ValidationError(`Frame ${frame} is outside this sequence (frames ${start}–${end}).`, {
        field: 'frame',
        frameStart: start,
        frameEnd: end,
      });
    const still = { ...meta, mediaType: 'image' as const };
    if (!wantsFloatRendition(still))
      throw new NotFound('The frames of this sequence are 8-bit: they have no float rendition.', {
        mediaId: media.id,
        format: meta.format,
      });
    const made = media.files.find(
      (f) => f.role === 'frame_float' && f.frame === frame && f.state === 'ready',
    );
    if (made) return made;
    const source = media.files.find((f) => f.role === 'frame' && f.frame === frame && f.state === 'ready');
    if (!source)
      throw new NotFound(`Frame ${frame} of this sequence does not exist.`, { mediaId: media.id, frame });
    const float = await withLocalFiles(this.ctx.storage, [source.key], ([p]) =>
      createFloatRendition(p!, still, { limits: this.limits, tools: this.ctx.tools }),
    );
    // One fixed key a frame: two first requests write the same bytes there, one record stays.
    const key = mediaKey({
      projectId: media.projectId,
      taskId: media.taskId,
      version: media.version,
      name: `_renditions/frames/float.${frame}.mf16`,
    });
    const stored = await this.ctx.storage.put(key, Readable.from([float.data]), {
      contentType: float.mimeType,
    });
    const row = await transaction(this.ctx.db, (trx) =>
      recordFrameFloat(trx, {
        mediaId: media.id,
        frame,
        backend: this.ctx.storage.name,
        key,
        size: stored.size,
        sha256: stored.sha256,
        contentType: float.mimeType,
        info: {
          width: float.header.width,
          height: float.header.height,
          values: float.header.values === 'scene_linear' ? 'scene_linear' : 'source',
        },
      }),
    );
    if (!row) {
      // The item was deleted meanwhile: do not leave the rendition behind.
      await this.ctx.storage.delete(key).catch(() => undefined);
      throw new NotFound('This media item no longer exists.', { mediaId: media.id });
    }
    return fileFromRow(row);
  }
}

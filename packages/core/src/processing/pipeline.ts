import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { NotFound, ProcessingError } from '../errors.js';
import { newId, nowIso } from '../ids.js';
import { parseJson } from '../db/rows.js';
import type { FileRole, MediaType } from '../domain/types.js';
import type { ServiceContext } from '../services/context.js';
import { mediaKey } from '../storage/keys.js';
import type { JobStore } from '../jobs/job-store.js';
import type { Job, JobContext, JobHandler, JobType } from '../jobs/types.js';
import { MediaProber } from '../media/probe.js';
import type { MediaMetadata } from '../media/metadata.js';
import { checkDecodeLimits, resolveLimits, type MediaLimits } from '../media/limits.js';
import { createThumbnail } from '../media/thumbnail.js';
import {
  createAudioPreview,
  createSequenceProxy,
  createVideoProxy,
  createWebImage,
  DEFAULT_SEQUENCE_FPS,
} from '../media/proxy.js';
import type { ImageSequence } from '../media/sequence.js';
import { normaliseRational, rationalToNumber } from '../media/rational.js';
import { withLocalFiles, withTempDir } from './local-files.js';

export interface ProcessingOptions {
  /** Long edge of thumbnails in pixels (default 256). */
  thumbnailSize?: number;
  thumbnailFormat?: 'jpeg' | 'webp';
  /** Display transform for scene-linear stills: plain sRGB (default) or a filmic tone map. */
  toneMap?: 'srgb' | 'filmic';
  limits?: Partial<MediaLimits>;
  /**
   * Full-resolution web images for stills: `always` (default), or `needed`: only for formats
   * browsers cannot show (EXR, DPX, TIFF, TGA, BMP, HDR, linear data) — a JPEG, PNG, WebP or GIF
   * original is then viewed as it is, which saves an encode per still.
   */
  webImages?: 'needed' | 'always';
}

/** Still formats every browser shows as they are: their original is the web image. */
const BROWSER_STILLS = new Set(['jpg', 'png', 'webp', 'gif']);

interface MediaRow {
  id: string;
  project_id: string;
  task_id: string;
  version: string;
  media_type: string;
  file_name: string;
  sha256: string;
  metadata: string;
}

/**
 * Turns a stored media item into something people can look at: metadata (probe), thumbnail and
 * proxy (browser movie, web still or audio preview). Each step is a job; each writes its
 * rendition atomically at a fixed key and replaces the previous record, so running a job twice
 * leaves the same result.
 */
export class MediaPipeline {
  readonly prober: MediaProber;
  private readonly limits: MediaLimits;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly store: JobStore,
    private readonly options: ProcessingOptions = {},
  ) {
    this.limits = resolveLimits(options.limits);
    this.prober = new MediaProber({ limits: this.limits });
  }

  handlers(): Record<JobType, JobHandler> {
    return {
      probe: (c) => this.probe(c),
      thumbnail: (c) => this.thumbnail(c),
      proxy: (c) => this.proxy(c),
      cleanup: async () => undefined,
    };
  }

  async close(): Promise<void> {
    await this.prober.close();
  }

  // ------------------------------------------------------------------ jobs

  private async probe({ job, progress }: JobContext): Promise<void> {
    const media = await this.load(job);
    await this.setState(media.id, 'processing');
    const recorded = parseJson<Record<string, unknown>>(media.metadata, {});
    let meta: MediaMetadata;
    let mediaType: MediaType;
    if (media.media_type === 'sequence') {
      const frames = await this.frames(media.id);
      const first = frames[0];
      if (!first) throw new ProcessingError('The sequence has no frames.', { details: { permanent: true } });
      meta = await withLocalFiles(this.ctx.storage, [first.key], ([p]) =>
        this.prober.probe(p!, { name: path.basename(first.key), sha256: first.sha256 }),
      );
      mediaType = 'sequence';
    } else {
      const original = await this.original(media.id);
      meta = await withLocalFiles(this.ctx.storage, [original.key], ([p]) =>
        this.prober.probe(p!, { name: media.file_name, sha256: original.sha256 }),
      );
      mediaType = meta.mediaType;
    }
    progress(60);
    let metadata: Record<string, unknown> = { ...recorded, ...meta } as Record<string, unknown>;
    if (mediaType === 'sequence') metadata = await this.sequenceMetadata(media, recorded, meta);
    // Refuse decompression bombs and endless files before any decoder touches them.
    checkDecodeLimits(meta, this.limits);
    await this.ctx.db
      .updateTable('media')
      .set({ metadata: JSON.stringify(metadata), media_type: mediaType, updated_at: nowIso() })
      .where('id', '=', media.id)
      .execute();
    const needsProxy =
      mediaType !== 'image' ||
      (this.options.webImages ?? 'always') === 'always' ||
      !BROWSER_STILLS.has(meta.format) ||
      meta.linear;
    await this.enqueueOnce(media.id, needsProxy ? ['thumbnail', 'proxy'] : ['thumbnail']);
  }

  private async thumbnail({ job, signal }: JobContext): Promise<void> {
    const media = await this.load(job);
    const meta = this.metadataOf(media);
    const timestamp = typeof job.payload['timestamp'] === 'number' ? job.payload['timestamp'] : undefined;
    const source =
      media.media_type === 'sequence' ? await this.middleFrame(media.id) : await this.original(media.id);
    const image = await withLocalFiles(this.ctx.storage, [source.key], ([p]) =>
      createThumbnail(p!, media.media_type === 'sequence' ? { ...meta, mediaType: 'image' } : meta, {
        size: this.options.thumbnailSize ?? 256,
        format: this.options.thumbnailFormat ?? 'jpeg',
        ...(this.options.toneMap ? { toneMap: this.options.toneMap } : {}),
        ...(timestamp !== undefined ? { timestamp } : {}),
        limits: this.limits,
        signal,
      }),
    );
    const ext = image.format === 'webp' ? 'webp' : 'jpg';
    await this.storeRendition(
      media,
      'thumbnail',
      `thumbnail.${ext}`,
      Readable.from([image.data]),
      image.mimeType,
      {
        width: image.width,
        height: image.height,
        transform: image.transform,
        ...(timestamp !== undefined ? { timestamp } : {}),
      },
    );
  }

  private async proxy({ job, progress, signal }: JobContext): Promise<void> {
    const media = await this.load(job);
    const meta = this.metadataOf(media);
    const onProgress = (p: number) => progress(p);
    if (media.media_type === 'image') {
      const original = await this.original(media.id);
      const web = await withLocalFiles(this.ctx.storage, [original.key], ([p]) =>
        createWebImage(p!, meta, {
          ...(this.options.toneMap ? { toneMap: this.options.toneMap } : {}),
          limits: this.limits,
          signal,
        }),
      );
      const ext = web.format === 'webp' ? 'webp' : 'jpg';
      await this.storeRendition(media, 'web', `web.${ext}`, Readable.from([web.data]), web.mimeType, {
        width: web.width,
        height: web.height,
        transform: web.transform,
      });
      return;
    }
    await withTempDir(async (dir) => {
      if (media.media_type === 'video') {
        const original = await this.original(media.id);
        const out = path.join(dir, 'proxy.mp4');
        const r = await withLocalFiles(this.ctx.storage, [original.key], ([p]) =>
          createVideoProxy(p!, meta, out, { onProgress, limits: this.limits, signal }),
        );
        await this.storeRendition(media, 'proxy', 'proxy.mp4', fs.createReadStream(out), r.mimeType, {
          width: r.width,
          height: r.height,
          fps: r.fps,
          duration: r.duration,
        });
      } else if (media.media_type === 'audio') {
        const original = await this.original(media.id);
        const out = path.join(dir, 'audio.m4a');
        const r = await withLocalFiles(this.ctx.storage, [original.key], ([p]) =>
          createAudioPreview(p!, meta, out, { onProgress, limits: this.limits, signal }),
        );
        await this.storeRendition(media, 'audio_preview', 'audio.m4a', fs.createReadStream(out), r.mimeType, {
          duration: r.duration,
        });
      } else if (media.media_type === 'sequence') {
        const frames = await this.frames(media.id);
        const out = path.join(dir, 'proxy.mp4');
        const fps = typeof meta.fps === 'string' ? meta.fps : DEFAULT_SEQUENCE_FPS;
        const r = await withLocalFiles(
          this.ctx.storage,
          frames.map((f) => f.key),
          (paths) =>
            createSequenceProxy(sequenceOf(frames, paths), { ...meta, mediaType: 'image' }, out, {
              fps,
              onProgress,
              limits: this.limits,
              signal,
            }),
        );
        await this.storeRendition(media, 'proxy', 'proxy.mp4', fs.createReadStream(out), r.mimeType, {
          width: r.width,
          height: r.height,
          fps: r.fps,
          duration: r.duration,
        });
      }
    });
  }

  // ------------------------------------------------------------------ state

  /**
   * After a job settles: the media item is `failed` (with the reason) when any of its latest
   * jobs failed, `ready` when none is open, otherwise still `processing`.
   */
  async settle(job: Job): Promise<void> {
    if (!job.mediaId) return;
    await this.settleMedia(job.mediaId);
  }

  /**
   * Items still `pending`/`processing` with no open job: their last job finished but the process
   * died before recording the outcome. Settling them again puts them right.
   */
  async settleStuck(): Promise<number> {
    const stuck = await this.ctx.db
      .selectFrom('media')
      .select('media.id')
      .where('media.processing_state', 'in', ['pending', 'processing'])
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('job')
              .select('job.id')
              .whereRef('job.media_id', '=', 'media.id')
              .where('job.state', 'in', ['queued', 'running']),
          ),
        ),
      )
      .limit(1000)
      .execute();
    for (const m of stuck) await this.settleMedia(m.id);
    return stuck.length;
  }

  private async settleMedia(mediaId: string): Promise<void> {
    // One transaction that first write-locks the media row: two jobs of one item settling at
    // once (on two workers) are serialised, so a stale "processing" computed before the other
    // job finished can never overwrite the final state.
    const outcome = await this.ctx.db.transaction().execute(async (trx) => {
      const locked = await trx
        .updateTable('media')
        .set((eb) => ({ processing_state: eb.ref('processing_state') }))
        .where('id', '=', mediaId)
        .executeTakeFirst();
      if (Number(locked.numUpdatedRows) !== 1) return null;
      const jobs = await trx
        .selectFrom('job')
        .select(['type', 'state', 'error', 'created_at', 'id'])
        .where('media_id', '=', mediaId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      const latest = new Map<string, (typeof jobs)[number]>();
      for (const j of jobs) latest.set(j.type, j);
      const open = [...latest.values()].some((j) => j.state === 'queued' || j.state === 'running');
      const failed = [...latest.values()].filter((j) => j.state === 'failed');
      const media = await trx
        .selectFrom('media')
        .select(['project_id'])
        .where('id', '=', mediaId)
        .executeTakeFirst();
      if (!media) return null;
      const state = failed.length ? 'failed' : open ? 'processing' : 'ready';
      const error = failed.length
        ? failed.map((j) => `${labelOf(j.type)}: ${j.error ?? 'failed'}`).join('; ')
        : null;
      // Guarded: only the settle that changes the state announces it.
      const changed = await trx
        .updateTable('media')
        .set({ processing_state: state, processing_error: error, updated_at: nowIso() })
        .where('id', '=', mediaId)
        .where((eb) =>
          eb.or([
            eb('processing_state', '!=', state),
            error === null ? eb('processing_error', 'is not', null) : eb('processing_error', 'is', null),
          ]),
        )
        .executeTakeFirst();
      return { changed: Number(changed.numUpdatedRows) === 1, state, error, projectId: media.project_id };
    });
    if (outcome?.changed && outcome.state !== 'processing') {
      this.ctx.events.publish({
        type: outcome.state === 'ready' ? 'processing.finished' : 'processing.failed',
        projectId: outcome.projectId,
        mediaId,
        data: { state: outcome.state, ...(outcome.error ? { error: outcome.error } : {}) },
      });
    }
  }

  private async setState(mediaId: string, state: 'processing'): Promise<void> {
    await this.ctx.db
      .updateTable('media')
      .set({ processing_state: state, updated_at: nowIso() })
      .where('id', '=', mediaId)
      .where('processing_state', '!=', 'failed')
      .execute();
  }

  /** Queues the given steps unless one of the same kind is already waiting for this item. */
  async enqueueOnce(
    mediaId: string,
    types: JobType[],
    payload: Record<string, unknown> = {},
  ): Promise<Job[]> {
    const open = await this.ctx.db
      .selectFrom('job')
      .select('type')
      .where('media_id', '=', mediaId)
      .where('state', '=', 'queued')
      .execute();
    const waiting = new Set(open.map((j) => j.type));
    const specs = types.filter((t) => !waiting.has(t)).map((type) => ({ type, mediaId, payload }));
    return this.enqueue(specs);
  }

  /** Set by the processing wiring: where new jobs go (embedded queue or BullMQ). */
  enqueue: (
    specs: Array<{ type: JobType; mediaId: string; payload?: Record<string, unknown> }>,
  ) => Promise<Job[]> = (specs) => this.store.create(specs);

  // ------------------------------------------------------------------ helpers

  private async load(job: Job): Promise<MediaRow> {
    if (!job.mediaId)
      throw new ProcessingError(`Job ${job.id} has no media item.`, { details: { permanent: true } });
    const row = await this.ctx.db
      .selectFrom('media')
      .select(['id', 'project_id', 'task_id', 'version', 'media_type', 'file_name', 'sha256', 'metadata'])
      .where('id', '=', job.mediaId)
      .executeTakeFirst();
    if (!row) throw new NotFound(`Media ${job.mediaId} was deleted before it was processed.`);
    return row;
  }

  private metadataOf(media: MediaRow): MediaMetadata {
    const meta = parseJson<Record<string, unknown>>(media.metadata, {});
    if (meta['schema'] !== 1) {
      throw new ProcessingError('The media item has not been probed yet.', { details: { transient: true } });
    }
    return meta as unknown as MediaMetadata;
  }

  private async original(mediaId: string): Promise<{ key: string; sha256: string }> {
    const f = await this.ctx.db
      .selectFrom('media_file')
      .select(['storage_key', 'sha256'])
      .where('media_id', '=', mediaId)
      .where('role', '=', 'original')
      .executeTakeFirst();
    if (!f)
      throw new ProcessingError('The original file of this media item is not recorded.', {
        details: { permanent: true },
      });
    return { key: f.storage_key, sha256: f.sha256 };
  }

  private async frames(mediaId: string): Promise<Array<{ frame: number; key: string; sha256: string }>> {
    const rows = await this.ctx.db
      .selectFrom('media_file')
      .select(['frame', 'storage_key', 'sha256'])
      .where('media_id', '=', mediaId)
      .where('role', '=', 'frame')
      .orderBy('frame')
      .execute();
    return rows.map((r) => ({ frame: Number(r.frame), key: r.storage_key, sha256: r.sha256 }));
  }

  private async middleFrame(mediaId: string): Promise<{ key: string; sha256: string }> {
    const frames = await this.frames(mediaId);
    const mid = frames[Math.floor((frames.length - 1) / 2)];
    if (!mid) throw new ProcessingError('The sequence has no frames.', { details: { permanent: true } });
    return mid;
  }

  private async sequenceMetadata(
    media: MediaRow,
    recorded: Record<string, unknown>,
    first: MediaMetadata,
  ): Promise<Record<string, unknown>> {
    const project = await this.ctx.db
      .selectFrom('project')
      .select('settings')
      .where('id', '=', media.project_id)
      .executeTakeFirst();
    const settings = parseJson<Record<string, unknown>>(project?.settings ?? '{}', {});
    const fps =
      normaliseRational(recorded['fps'] as string | undefined) ??
      normaliseRational(settings['defaultFps'] as string | undefined) ??
      DEFAULT_SEQUENCE_FPS;
    const start = Number(recorded['frameStart']);
    const end = Number(recorded['frameEnd']);
    const span = end - start + 1;
    return {
      ...recorded,
      ...first,
      mediaType: 'sequence',
      format: first.format,
      frameStart: start,
      frameEnd: end,
      frameCount: recorded['frameCount'],
      missingFrames: recorded['missingFrames'],
      fps,
      duration: Math.round((span / rationalToNumber(fps)) * 1000) / 1000,
      frameCountSource: 'container',
      sha256: media.sha256,
      fileSize: recorded['size'],
      firstFrame: { fileSize: first.fileSize, sha256: first.sha256 },
    };
  }

  /**
   * Stores a rendition at its fixed key (atomic put) and swaps the file record in one
   * transaction; an earlier rendition at another key is removed after the commit.
   */
  private async storeRendition(
    media: MediaRow,
    role: FileRole,
    name: string,
    body: Readable,
    contentType: string,
    info: Record<string, unknown>,
  ): Promise<void> {
    const key = mediaKey({
      projectId: media.project_id,
      taskId: media.task_id,
      version: media.version,
      name: `_renditions/${name}`,
    });
    const stored = await this.ctx.storage.put(key, body, { contentType });
    const previous = await this.ctx.db.transaction().execute(async (trx) => {
      const old = await trx
        .selectFrom('media_file')
        .select(['storage_key', 'backend'])
        .where('media_id', '=', media.id)
        .where('role', '=', role)
        .execute();
      await trx.deleteFrom('media_file').where('media_id', '=', media.id).where('role', '=', role).execute();
      const exists = await trx.selectFrom('media').select('id').where('id', '=', media.id).executeTakeFirst();
      if (!exists) return null;
      await trx
        .insertInto('media_file')
        .values({
          id: newId(),
          media_id: media.id,
          role,
          frame: null,
          backend: this.ctx.storage.name,
          storage_key: key,
          size: stored.size,
          sha256: stored.sha256,
          content_type: contentType,
          state: 'ready',
          error: null,
          created_at: nowIso(),
        })
        .execute();
      return old;
    });
    if (previous === null) {
      // The item was deleted meanwhile: do not leave the rendition behind.
      await this.ctx.storage.delete(key).catch(() => undefined);
      return;
    }
    for (const o of previous) {
      if (o.storage_key !== key && o.backend === this.ctx.storage.name)
        await this.ctx.storage.delete(o.storage_key).catch(() => undefined);
    }
    this.ctx.events.publish({
      type: 'rendition.ready',
      projectId: media.project_id,
      mediaId: media.id,
      data: { role, ...info },
    });
  }
}

function sequenceOf(frames: Array<{ frame: number }>, paths: string[]): ImageSequence {
  const start = frames[0]!.frame;
  const end = frames[frames.length - 1]!.frame;
  const have = new Set(frames.map((f) => f.frame));
  const missing: number[] = [];
  for (let f = start; f <= end; f++) if (!have.has(f)) missing.push(f);
  const first = paths[0]!;
  return {
    dir: path.dirname(first),
    base: '',
    padding: 0,
    ext: path.extname(first),
    pattern: path.basename(first),
    frames: frames.map((f, i) => ({ frame: f.frame, path: paths[i]! })),
    start,
    end,
    missing,
  };
}

function labelOf(type: string): string {
  return type === 'probe' ? 'metadata' : type;
}

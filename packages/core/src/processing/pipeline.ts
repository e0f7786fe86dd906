import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { NotFound, ProcessingError } from '@montu/domain';
import { parseJson } from '../db/rows.js';
import type { FileRole, MediaType, RenditionInfo } from '@montu/domain';
import type { ServiceContext } from '../context.js';
import { mediaKey } from '../storage/keys.js';
import type { JobStore } from '../jobs/job-store.js';
import type { Job, JobContext, JobHandlers, JobResult, JobSpec } from '../jobs/types.js';
import type { Db } from '../context.js';
import { settleItem, stuckItems, type SettleOutcome } from './media-state.js';
import {
  filesOf,
  mediaToProcess,
  projectSettingsText,
  queuedStepTypes,
  recordProbe,
  swapRendition,
  type MediaRow,
} from './pipeline-queries.js';
import { MediaProber } from './tools/probe.js';
import type { MediaMetadata } from './tools/metadata.js';
import { createSpriteSheet } from './tools/sprite.js';
import { createWaveformPeaks, WAVEFORM_PEAKS_PER_SECOND } from './tools/waveform-peaks.js';
import type { SniffResult } from './tools/sniff.js';
import { checkDecodeLimits, resolveLimits, type MediaLimits } from './tools/limits.js';
import { createThumbnail } from './tools/thumbnail.js';
import { createFloatRendition, wantsFloatRendition, type FloatRendition } from './tools/float-rendition.js';
import {
  createAudioPreview,
  createSequenceProxy,
  createVideoProxy,
  createWebImage,
  DEFAULT_SEQUENCE_FPS,
} from './tools/proxy.js';
import type { ImageSequence } from './tools/sequence.js';
import { normaliseRational, rationalToNumber } from '@montu/domain';
import { withLocalFiles, withTempDir } from './local-files.js';
import type { OcioSettings } from '../config/environment.js';

export interface ProcessingOptions {
  /** Long edge of thumbnails in pixels (default 256). */
  thumbnailSize?: number;
  thumbnailFormat?: 'jpeg' | 'webp';
  /** Display transform for scene-linear stills: plain sRGB (default) or a filmic tone map. */
  toneMap?: 'srgb' | 'filmic';
  /**
   * The studio display transform (an OpenColorIO config), which replaces `toneMap` where it
   * applies. openMontu fills it from the environment (`$OCIO`, config/environment.ts).
   */
  ocio?: OcioSettings;
  limits?: Partial<MediaLimits>;
  /**
   * Full-resolution web images for stills: `needed` (default): only for formats browsers cannot
   * show as they are (EXR, DPX, TIFF, TGA, BMP, HDR, linear data) — a JPEG, PNG, WebP or GIF
   * original IS its full-resolution web image (nothing to transform), so it gets no `web` file
   * and no proxy job, and is served for the `web` rendition. `always`: encode one for every
   * still anyway (a second full-resolution decode and encode per still).
   */
  webImages?: 'needed' | 'always';
}

/** Still formats every browser shows as they are: their original is the web image. */
export const BROWSER_STILLS = new Set(['jpg', 'png', 'webp', 'gif']);

/**
 * True when a still's original serves as its full-resolution web image (`webImages: 'needed'`):
 * a format browsers show, not scene-linear data. Such items have no `web` file of their own.
 */
export function originalIsWebImage(meta: {
  mediaType?: unknown;
  format?: unknown;
  linear?: unknown;
}): boolean {
  return (
    meta.mediaType === 'image' &&
    typeof meta.format === 'string' &&
    BROWSER_STILLS.has(meta.format) &&
    meta.linear !== true
  );
}

/** A 1×1 grey PNG: the smallest still every reader takes, to start the tools before real work. */
const WARM_UP_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAgAAAQABAAD/2wBDAAgEBAQEBAUFBQUFBQYGBgYGBgYGBgYGBgYHBwcICAgHBwcGBgcHCAgICAkJCQgICAgJCQoKCgwMCwsODg4RERT/xABKAAEAAAAAAAAAAAAAAAAAAAAAAQEAAAAAAAAAAAAAAAAAAAAAEAEAAAAAAAAAAAAAAAAAAAAAEQEAAAAAAAAAAAAAAAAAAAAA/8AAEQgACAAIAwEiAAIRAAMRAP/aAAwDAQACEQMRAD8AAA//2Q==',
  'base64',
);

/**
 * Turns a stored media item into something people can look at: metadata (probe), thumbnail and
 * proxy (browser movie, web still or audio preview). Each step is a job; each writes its
 * rendition atomically at a fixed key and replaces the previous record, so running a job twice
 * leaves the same result. A step's records, the jobs that follow it and the item's state commit
 * with the job's completion (JobResult), in one transaction.
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
    this.prober = new MediaProber({ limits: this.limits, tools: ctx.tools });
  }

  handlers(): JobHandlers {
    return {
      probe: (c) => this.probe(c),
      thumbnail: (c) => this.thumbnail(c),
      proxy: (c) => this.proxy(c),
    };
  }

  async close(): Promise<void> {
    await this.prober.close();
  }

  /**
   * Starts the image decoder processes, which load for a tenth of a second before their first
   * thumbnail, and runs the probe's in-process path once (sniffing, header readers) on a tiny JPEG
   * without metadata, before the first upload needs them (the decoders were started by the first
   * still's probe before, decision 230; this is the one place now). It starts no exiftool: renders
   * (OpenEXR, plain JPEG) need none, and the first file that does starts one (decision 250).
   * A process that works jobs decodes stills; since one decoder process serves two cores
   * (decision 251) starting it at open costs one start-up. Failures are ignored here (a real
   * probe reports them).
   */
  async warmUp(): Promise<void> {
    this.ctx.tools.decoders(this.limits).start();
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'montu-warm-'));
    try {
      const file = path.join(dir, 'warm-up.jpg');
      await fsp.writeFile(file, WARM_UP_JPEG);
      await this.prober.probe(file).catch(() => undefined);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  // ------------------------------------------------------------------ jobs

  private async probe({ job, progress }: JobContext<'probe'>): Promise<JobResult> {
    const media = await this.load(job);
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
      const format = recorded['format'];
      const original = await this.original(media.id);
      // The upload recognised the file (its content, checksummed since): no need to read its head again.
      const sniff =
        typeof format === 'string' && media.media_type !== 'sequence'
          ? { mediaType: media.media_type as SniffResult['mediaType'], format, mimeType: media.mime_type }
          : undefined;
      meta = await withLocalFiles(this.ctx.storage, [original.key], ([p]) =>
        this.prober.probe(p!, {
          name: media.file_name,
          sha256: original.sha256,
          ...(sniff ? { sniff } : {}),
        }),
      );
      mediaType = meta.mediaType;
    }
    progress(60);
    let metadata: Record<string, unknown> = { ...recorded, ...meta } as Record<string, unknown>;
    if (mediaType === 'sequence') metadata = await this.sequenceMetadata(media, recorded, meta);
    // Refuse decompression bombs and endless files before any decoder touches them.
    checkDecodeLimits(meta, this.limits);
    // A browser-native still needs no web image, but one with more than 8 bits a sample (16-bit
    // PNG) still gets its half-float rendition from the proxy step (decision 187).
    const needsProxy =
      (this.options.webImages ?? 'needed') === 'always' ||
      !originalIsWebImage({ ...meta, mediaType }) ||
      wantsFloatRendition(meta);
    return {
      // The metadata and the next steps commit with the probe's completion.
      record: async (trx) => {
        await recordProbe(trx, media, metadata, mediaType);
        return this.nextSteps(trx, media, needsProxy ? ['thumbnail', 'proxy'] : ['thumbnail']);
      },
    };
  }

  private async thumbnail({ job, signal }: JobContext<'thumbnail'>): Promise<JobResult> {
    const media = await this.load(job);
    const meta = this.metadataOf(media);
    const timestamp = job.payload.timestamp;
    const source =
      media.media_type === 'sequence' ? await this.middleFrame(media.id) : await this.original(media.id);
    const image = await withLocalFiles(this.ctx.storage, [source.key], ([p]) =>
      createThumbnail(p!, media.media_type === 'sequence' ? { ...meta, mediaType: 'image' } : meta, {
        size: this.options.thumbnailSize ?? 256,
        format: this.options.thumbnailFormat ?? 'jpeg',
        ...(this.options.toneMap ? { toneMap: this.options.toneMap } : {}),
        ...(this.options.ocio ? { ocio: this.options.ocio } : {}),
        ...(timestamp !== undefined ? { timestamp } : {}),
        limits: this.limits,
        signal,
        tools: this.ctx.tools,
      }),
    );
    const ext = image.format === 'webp' ? 'webp' : 'jpg';
    // A regeneration writes a file of its own: two quick ones overwrote one fixed key, and the
    // record of one described the other's bytes. The newest request's record wins (decision 124).
    return this.storeRendition(
      media,
      'thumbnail',
      job.payload.regenerate ? `thumbnail-${job.id}.${ext}` : `thumbnail.${ext}`,
      Readable.from([image.data]),
      image.mimeType,
      {
        width: image.width,
        height: image.height,
        transform: image.transform,
        ...(image.ocio ? { ocio: image.ocio } : {}),
        ...(timestamp !== undefined ? { timestamp } : {}),
      },
      job,
    );
  }

  private async proxy({ job, progress, signal }: JobContext<'proxy'>): Promise<JobResult> {
    const media = await this.load(job);
    const meta = this.metadataOf(media);
    const onProgress = (p: number) => progress(p);
    if (media.media_type === 'image') {
      const original = await this.original(media.id);
      // Float and high-bit-depth stills: their values for the colour-managed viewer (decision 147).
      // A file that cannot be decoded as float still gets its web image; the reason is recorded
      // with it (`floatError`) instead of failing the step.
      let float: FloatRendition | null = null;
      let floatError: string | null = null;
      if (wantsFloatRendition(meta)) {
        try {
          float = await withLocalFiles(this.ctx.storage, [original.key], ([p]) =>
            createFloatRendition(p!, meta, { limits: this.limits, signal, tools: this.ctx.tools }),
          );
        } catch (e) {
          if (!(e instanceof ProcessingError) || signal?.aborted) throw e;
          floatError = e.message;
        }
      }
      const floatStored = float
        ? await this.storeRendition(
            media,
            'web_float',
            'web.mf16',
            Readable.from([float.data]),
            float.mimeType,
            {
              width: float.header.width,
              height: float.header.height,
              values: float.header.values === 'scene_linear' ? 'scene_linear' : 'source',
            },
          )
        : null;
      // A browser-native still (16-bit PNG) is its own web image: only its float rendition is new.
      if (floatStored && originalIsWebImage(meta) && (this.options.webImages ?? 'needed') !== 'always')
        return floatStored;
      const web = await withLocalFiles(this.ctx.storage, [original.key], ([p]) =>
        createWebImage(p!, meta, {
          ...(this.options.toneMap ? { toneMap: this.options.toneMap } : {}),
          ...(this.options.ocio ? { ocio: this.options.ocio } : {}),
          limits: this.limits,
          signal,
          tools: this.ctx.tools,
        }),
      );
      const ext = web.format === 'webp' ? 'webp' : 'jpg';
      const stored = await this.storeRendition(
        media,
        'web',
        `web.${ext}`,
        Readable.from([web.data]),
        web.mimeType,
        {
          width: web.width,
          height: web.height,
          transform: web.transform,
          ...(web.ocio ? { ocio: web.ocio } : {}),
          ...(floatError !== null ? { floatError } : {}),
        },
      );
      return floatStored ? bothRenditions(stored, floatStored) : stored;
    }
    return withTempDir(async (dir): Promise<JobResult> => {
      if (media.media_type === 'video') {
        const original = await this.original(media.id);
        const out = path.join(dir, 'proxy.mp4');
        const r = await withLocalFiles(this.ctx.storage, [original.key], ([p]) =>
          createVideoProxy(p!, meta, out, { onProgress, limits: this.limits, signal, tools: this.ctx.tools }),
        );
        return this.proxyAndSprite(media, dir, out, r, signal);
      } else if (media.media_type === 'audio') {
        const original = await this.original(media.id);
        const out = path.join(dir, 'audio.m4a');
        const r = await withLocalFiles(this.ctx.storage, [original.key], ([p]) =>
          createAudioPreview(p!, meta, out, {
            onProgress,
            limits: this.limits,
            signal,
            tools: this.ctx.tools,
          }),
        );
        return this.storeRendition(
          media,
          'audio_preview',
          'audio.m4a',
          fs.createReadStream(out),
          r.mimeType,
          {
            duration: r.duration,
          },
        );
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
              tools: this.ctx.tools,
            }),
        );
        return this.proxyAndSprite(media, dir, out, r, signal);
      }
      return {};
    });
  }

  /**
   * Stores a movie's or sequence's proxy and the thumbnail sprite sheet made from it (issue 21),
   * and for a movie with sound the waveform peaks of the proxy's audio: one job, every rendition
   * recorded in its completing transaction.
   */
  private async proxyAndSprite(
    media: MediaRow,
    dir: string,
    proxyFile: string,
    r: { mimeType: string; width: number; height: number; fps: string; duration: number | null },
    signal: AbortSignal | undefined,
  ): Promise<JobResult> {
    const spriteFile = path.join(dir, 'sprite.jpg');
    const sprite = await createSpriteSheet(proxyFile, spriteFile, {
      limits: this.limits,
      ...(signal ? { signal } : {}),
      tools: this.ctx.tools,
    });
    // The proxy keeps the movie's first audio track (tools/proxy.ts): measure the peaks there.
    const hasAudio = media.media_type === 'video' && this.metadataOf(media).audio != null;
    const waveformFile = path.join(dir, 'waveform.json');
    const peaks = hasAudio
      ? await createWaveformPeaks(proxyFile, waveformFile, {
          limits: this.limits,
          ...(signal ? { signal } : {}),
          tools: this.ctx.tools,
        })
      : null;
    const proxy = await this.storeRendition(
      media,
      'proxy',
      'proxy.mp4',
      fs.createReadStream(proxyFile),
      r.mimeType,
      {
        width: r.width,
        height: r.height,
        fps: r.fps,
        duration: r.duration,
      },
    );
    const sheet = await this.storeRendition(
      media,
      'sprite',
      'sprite.jpg',
      fs.createReadStream(spriteFile),
      'image/jpeg',
      {
        ...sprite,
        fps: r.fps,
      },
    );
    const wave = peaks
      ? await this.storeRendition(
          media,
          'waveform',
          'waveform.json',
          fs.createReadStream(waveformFile),
          'application/json',
          { peaksPerSecond: WAVEFORM_PEAKS_PER_SECOND, duration: peaks.duration },
        )
      : null;
    return {
      durable: (proxy.durable ?? false) || (sheet.durable ?? false) || (wave?.durable ?? false),
      record: async (trx) => {
        await sheet.record?.(trx);
        await wave?.record?.(trx);
        return proxy.record?.(trx);
      },
      after: async () => {
        await sheet.after?.();
        await wave?.after?.();
        await proxy.after?.();
      },
    };
  }

  // ------------------------------------------------------------------ state

  /**
   * Settles a job's media item inside the transaction that records the job's outcome (the
   * queues call it through RunnerOptions.settleIn); returns the announcement to make after the
   * commit.
   */
  async settleIn(trx: Db, job: Job): Promise<(() => void) | void> {
    if (!job.mediaId) return;
    const outcome = await settleItem(trx, job.mediaId, job.projectId);
    return () => this.announce(job.mediaId!, outcome);
  }

  /**
   * Items still `pending`/`processing` with no open job: their last job finished but the process
   * died before recording the outcome. Settling them again puts them right.
   */
  async settleStuck(): Promise<number> {
    const stuck = await stuckItems(this.ctx.db, 1000);
    for (const id of stuck) {
      const outcome = await this.store.settle((trx) => settleItem(trx, id));
      this.announce(id, outcome);
    }
    return stuck.length;
  }

  private announce(mediaId: string, outcome: SettleOutcome | null): void {
    if (outcome?.changed && outcome.state !== 'processing') {
      this.ctx.events.publish({
        type: outcome.state === 'ready' ? 'processing.finished' : 'processing.failed',
        projectId: outcome.projectId,
        mediaId,
        data: { state: outcome.state, ...(outcome.error ? { error: outcome.error } : {}) },
      });
    }
  }

  /** The given steps, less those of a kind already waiting for this item. */
  private async nextSteps(
    trx: Db,
    media: { id: string; project_id: string },
    types: Array<'thumbnail' | 'proxy'>,
  ): Promise<JobSpec[]> {
    const waiting = await queuedStepTypes(trx, media.id);
    return types
      .filter((t) => !waiting.has(t))
      .map((type) => ({ type, mediaId: media.id, projectId: media.project_id }));
  }

  // ------------------------------------------------------------------ helpers

  private async load(job: Job): Promise<MediaRow> {
    if (!job.mediaId)
      throw new ProcessingError(`Job ${job.id} has no media item.`, { details: { permanent: true } });
    const row = await mediaToProcess(this.ctx.db, job.mediaId);
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
    const [f] = await filesOf(this.ctx.db, mediaId, 'original');
    if (!f)
      throw new ProcessingError('The original file of this media item is not recorded.', {
        details: { permanent: true },
      });
    return { key: f.storage_key, sha256: f.sha256 };
  }

  private async frames(mediaId: string): Promise<Array<{ frame: number; key: string; sha256: string }>> {
    const rows = await filesOf(this.ctx.db, mediaId, 'frame');
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
    const settings = parseJson<Record<string, unknown>>(
      (await projectSettingsText(this.ctx.db, media.project_id)) ?? '{}',
      {},
    );
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
   * Stores a rendition at its fixed key (atomic put); the file record is swapped in the job's
   * completing transaction (JobResult.record). An earlier rendition at another key (another
   * format) is removed after that commit — which is then made durable first, so a power failure
   * can never bring back a record of a removed file.
   */
  private async storeRendition(
    media: MediaRow,
    role: FileRole,
    name: string,
    body: Readable,
    contentType: string,
    info: RenditionInfo,
    /** A job whose record must not replace the one of a newer job of its kind for the item. */
    supersedable?: Job,
  ): Promise<JobResult> {
    const key = mediaKey({
      projectId: media.project_id,
      taskId: media.task_id,
      version: media.version,
      name: `_renditions/${name}`,
    });
    const stored = await this.ctx.storage.put(key, body, { contentType });
    const elsewhere = (rows: Array<{ storage_key: string; backend: string }>) =>
      rows
        .filter((o) => o.storage_key !== key && o.backend === this.ctx.storage.name)
        .map((o) => o.storage_key);
    const before = elsewhere(await filesOf(this.ctx.db, media.id, role));
    const durable = before.length > 0;
    let gone = false;
    let replaced: string[] = [];
    return {
      durable,
      record: async (trx) => {
        const old = await swapRendition(
          trx,
          {
            mediaId: media.id,
            role,
            backend: this.ctx.storage.name,
            key,
            size: stored.size,
            sha256: stored.sha256,
            contentType,
            info,
          },
          supersedable,
        );
        if (!Array.isArray(old)) {
          // The item was deleted meanwhile, or a later request's rendition is recorded: this one
          // is not wanted.
          gone = true;
          return;
        }
        // Only what this commit durably stops pointing at may go (another file that appeared
        // meanwhile stays, for the orphan sweep, rather than risk a record of a removed file).
        replaced = durable ? elsewhere(old) : [];
      },
      after: async () => {
        if (gone) {
          // The item was deleted meanwhile, or a newer request recorded its own: do not leave this
          // rendition behind.
          await this.ctx.storage.delete(key).catch(() => undefined);
          return;
        }
        for (const k of replaced) await this.ctx.storage.delete(k).catch(() => undefined);
        this.ctx.events.publish({
          type: 'rendition.ready',
          projectId: media.project_id,
          mediaId: media.id,
          data: { role, ...info },
        });
      },
    };
  }
}

/** Two renditions recorded by one job, in its completing transaction. */
function bothRenditions(a: JobResult, b: JobResult): JobResult {
  return {
    durable: (a.durable ?? false) || (b.durable ?? false),
    record: async (trx) => {
      await b.record?.(trx);
      return a.record?.(trx);
    },
    after: async () => {
      await b.after?.();
      await a.after?.();
    },
  };
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

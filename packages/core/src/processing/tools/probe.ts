import fsp from 'node:fs/promises';
import os from 'node:os';
import { ExifTool } from 'exiftool-vendored';
import { ProcessingError, errorMessage } from '@montu/domain';
import {
  cameraInfo,
  descriptiveTags,
  documentGroups,
  documentTags,
  exrPart,
  num,
  str,
  type RawTags,
} from './exif.js';
import { ExifReader } from './exif-reader.js';
import { readExrTags } from './exr-header.js';
import { Avprobe } from './avprobe.js';
import { decoderFailure } from './decoder-pool.js';
import type { MediaTools } from './media-tools.js';
import { ffprobe, pixelFormats, type FfprobeResult, type FfprobeStream, type PixFmtInfo } from './ffprobe.js';
import type { ImageHeader } from './image-ops.mjs';
import { readJpegFacts, readJpegPngHeader } from './jpeg-png-header.js';
import {
  bmpLayout,
  DPX_HEADER_BYTES,
  dpxLayout,
  HEADER_PIX_FMTS,
  readHeader,
  tgaLayout,
  type HeaderLayout,
} from './image-header.js';
import { checkFileSize, resolveLimits, type MediaLimits } from './limits.js';
import { emptyMetadata, type MediaMetadata, type StreamSummary } from './metadata.js';
import { multiplyRational, normaliseRational, parseRational, rationalToNumber, roundMs } from '@montu/domain';
import { sniffFile, type SniffResult } from './sniff.js';
import { probeIsobmff } from './isobmff.js';
import { probeWav } from './wav.js';
import { probeFlac } from './flac.js';
import { probeAiff } from './aiff.js';
import { probeMp3 } from './mp3.js';
import { probeOgg } from './ogg.js';
import { probeMatroska } from './matroska.js';

/** Image formats whose headers sharp (libvips) reads. */
export const SHARP_FORMATS = new Set(['jpg', 'png', 'apng', 'webp', 'gif', 'tif', 'avif', 'heic']);
/** Image formats whose size and pixel format come from ffprobe. */
const FFPROBE_IMAGE_FORMATS = new Set(['tga', 'bmp', 'dpx', 'psd']);
/** Containers read in-process (sniffed format → reader answering as ffprobe, or null to run it). */
const CONTAINER_READERS: Record<string, (file: string) => Promise<FfprobeResult | null>> = {
  mov: probeIsobmff,
  mp4: probeIsobmff,
  m4v: probeIsobmff,
  m4a: probeIsobmff,
  wav: probeWav,
  flac: probeFlac,
  aif: probeAiff,
  mp3: probeMp3,
  ogg: probeOgg,
  opus: probeOgg,
  oga: probeOgg,
  ogv: probeOgg,
  mkv: probeMatroska,
  webm: probeMatroska,
};
/** Scene-linear formats: shown through a display transform. */
export const LINEAR_FORMATS = new Set(['exr', 'hdr']);

export interface ProbeOptions {
  /** Original file name (only used to tell apart formats without a signature, such as TGA). */
  name?: string;
  /** The sniff result, when the caller already has it. */
  sniff?: SniffResult;
  /** sha256 computed by the caller while storing the file; copied into the metadata. */
  sha256?: string;
}

export interface MediaProberOptions {
  limits?: Partial<MediaLimits>;
  /** exiftool processes kept alive (default: the number of CPU cores, at most 8). */
  maxProcs?: number;
  /** Read MOV/MP4/M4V/M4A movie boxes, WAV and FLAC headers in-process instead of starting ffprobe (default true). */
  containerReader?: boolean;
  /** Read JPEG and PNG header facts in-process instead of asking a decoder process, and OpenEXR headers instead of asking exiftool (default true; jpeg-png-header.ts, exr-header.ts). */
  headerReader?: boolean;
  /** The library's tools and decoder processes (media-tools.ts). */
  tools: MediaTools;
  /**
   * Ask the stay-open prober (avprobe.ts) instead of starting ffprobe per file, when the tools
   * have one (default true).
   */
  avprobe?: boolean;
}

/**
 * Files of one `probeFiles` call in progress at once, per exiftool process. A file holds its
 * place until its exiftool batch answers; with 32 the files needing ffprobe later in a list
 * entered only as batches returned, so ffprobe (the longest chain in a mixed set) started late
 * and ran after exiftool instead of beside it (decision 229). A waiting file holds only promises;
 * container reads, the part that holds buffers, have their own limit (READS_AT_ONCE).
 */
const FILES_IN_PROGRESS_PER_PROCESS = 128;
/** In-process container reads at once: each holds up to 16 MiB (a whole MP3, mp3.ts). */
const READS_AT_ONCE = 8;
/** Default exiftool processes: one per core (exiftool is CPU bound), at most 8 (~25 MB of Perl each). */
export function defaultExiftoolProcs(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(8, cores));
}

const SHARP_DEPTH: Record<string, [string, number]> = {
  uchar: ['uint8', 8],
  char: ['int8', 8],
  ushort: ['uint16', 16],
  short: ['int16', 16],
  uint: ['uint32', 32],
  int: ['int32', 32],
  float: ['float', 32],
  double: ['double', 64],
};

const TIFF_COMPRESSION: Record<number, string> = {
  1: 'none',
  2: 'ccittrle',
  3: 'ccittfax3',
  4: 'ccittfax4',
  5: 'lzw',
  6: 'ojpeg',
  7: 'jpeg',
  8: 'zip',
  32773: 'packbits',
  32946: 'zip',
  34712: 'jpeg2000',
  50000: 'zstd',
  34925: 'lzma',
  50001: 'webp',
};

/**
 * Extracts technical metadata by combining ffprobe, exiftool and sharp. Holds one long-lived,
 * batched exiftool (exiftool-vendored); create one per process and `close()` it at shutdown.
 * Never crashes the process: every tool failure becomes a ProcessingError or a warning.
 */
export class MediaProber {
  readonly limits: MediaLimits;
  /** exiftool processes (and batches in flight). */
  readonly maxProcs: number;
  private readonly reader: ExifReader;
  /** ffprobe processes of this prober running at once (they are CPU bound while starting). */
  private readonly toolGate: Gate;
  /** In-process container reads of this prober running at once (READS_AT_ONCE). */
  private readonly readGate: Gate = limiter(READS_AT_ONCE);
  private closed = false;
  private readonly containerReader: boolean;
  private readonly headerReader: boolean;
  private readonly tools: MediaTools;
  /** ffprobe's facts from one long-lived process per core in use (null: ffprobe per file). */
  private readonly avprobe: Avprobe | null;

  constructor(opts: MediaProberOptions) {
    this.tools = opts.tools;
    this.limits = resolveLimits(opts.limits);
    this.maxProcs = Math.max(1, Math.floor(opts.maxProcs ?? defaultExiftoolProcs()));
    const probeTimeoutMs = this.limits.probeTimeoutMs;
    // One ExifTool per process, so that ExifReader chooses the process each format goes to.
    this.reader = new ExifReader(
      () =>
        new ExifTool({
          maxProcs: 1,
          // batch-cluster waits 1.5 s between spawns by default; the reader decides when to start one.
          minDelayBetweenSpawnMillis: 0,
          taskTimeoutMillis: probeTimeoutMs,
          // Don't look up time zones from GPS: we report dates as written.
          geoTz: () => undefined,
        }),
      this.maxProcs,
    );
    this.containerReader = opts.containerReader ?? true;
    this.headerReader = opts.headerReader ?? true;
    this.toolGate = limiter(2 * defaultExiftoolProcs());
    const avprobe = opts.avprobe === false ? null : this.tools.avprobeBinary();
    this.avprobe = avprobe
      ? new Avprobe(avprobe, { maxProcs: this.maxProcs, memoryBytes: this.limits.toolMemoryBytes })
      : null;
  }

  /** Metadata of one file. Throws ProcessingError when the file is unreadable or not media. */
  probe(file: string, opts: ProbeOptions = {}): Promise<MediaMetadata> {
    return this.probeWith(file, opts, this.toolGate);
  }

  /**
   * Metadata of many files. Each entry is the metadata or the ProcessingError for that file.
   * Up to `128 × maxProcs` files are in progress at once, so their exiftool reads are batched
   * (many files per exiftool `-execute`, spread over the exiftool processes); at most
   * `concurrency` ffprobe processes run at a time (default: one per exiftool process, i.e. per core).
   */
  async probeFiles(
    files: readonly string[],
    concurrency?: number,
  ): Promise<Array<MediaMetadata | ProcessingError>> {
    const out: Array<MediaMetadata | ProcessingError> = new Array<MediaMetadata | ProcessingError>(
      files.length,
    );
    const outer = limiter(Math.max(1, Math.floor(concurrency ?? this.maxProcs)));
    const gate: Gate = (fn) => outer(() => this.toolGate(fn));
    const inProgress = Math.max(concurrency ?? 1, FILES_IN_PROGRESS_PER_PROCESS * this.maxProcs);
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const i = next++;
        try {
          out[i] = await this.probeWith(files[i]!, {}, gate);
        } catch (e) {
          out[i] = e instanceof ProcessingError ? e : new ProcessingError(errorMessage(e), { cause: e });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(inProgress, files.length) }, worker));
    return out;
  }

  private async probeWith(file: string, opts: ProbeOptions, gate: Gate): Promise<MediaMetadata> {
    if (this.closed) throw new ProcessingError('the media prober has been closed');
    let stat;
    try {
      stat = await fsp.stat(file);
    } catch (e) {
      throw new ProcessingError(`cannot read ${file}: ${errorMessage(e)}`, { cause: e });
    }
    if (!stat.isFile()) throw new ProcessingError(`${file} is not a file`);
    checkFileSize(stat.size, this.limits);
    let sniff: SniffResult | null | undefined = opts.sniff;
    if (!sniff) {
      try {
        sniff = await sniffFile(file, opts.name ?? file);
      } catch (e) {
        throw new ProcessingError(`cannot read ${file}: ${errorMessage(e)}`, { cause: e });
      }
    }
    if (!sniff)
      throw new ProcessingError('not a recognised image, video or audio file', {
        details: { reason: 'unrecognised' },
      });
    const meta = emptyMetadata(sniff.mediaType, sniff.format, sniff.mimeType, stat.size);
    if (opts.sha256) meta.sha256 = opts.sha256;
    const timeoutMs = this.limits.probeTimeoutMs;
    // The stay-open prober keeps its own queue; ffprobe processes are limited by the gate.
    const runFfprobe = this.avprobe
      ? () => ffprobe(this.tools, file, meta.format, timeoutMs, this.avprobe)
      : () => gate(() => ffprobe(this.tools, file, meta.format, timeoutMs));
    try {
      if (sniff.mediaType === 'image') await this.probeImage(file, meta, runFfprobe);
      else await this.probeAudioVideo(file, meta, runFfprobe);
    } catch (e) {
      if (e instanceof ProcessingError) throw e;
      throw new ProcessingError(`metadata extraction failed: ${errorMessage(e)}`, { cause: e });
    }
    // The tools run side by side and record themselves as they finish: one order for every run.
    meta.sources.sort();
    return meta;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.reader.end(), this.avprobe?.close()]);
  }

  /** exiftool tags (`-n -G3`), or null with a warning when exiftool cannot parse the file. */
  private async exif(file: string, meta: MediaMetadata, extraArgs: string[] = []): Promise<RawTags | null> {
    try {
      const raw = await this.reader.read(
        file,
        ['-fast', '-n', '-G3', '-api', 'LargeFileSupport=1', ...extraArgs],
        meta.format,
      );
      const err = str(raw['Main:Error'] ?? raw['Error']);
      if (err) {
        meta.warnings.push(`exiftool: ${err}`);
        return null;
      }
      meta.sources.push('exiftool');
      return raw;
    } catch (e) {
      meta.warnings.push(`exiftool: ${errorMessage(e).slice(0, 300)}`);
      return null;
    }
  }

  /** libvips' header facts: JPEG/PNG from their first bytes when plain, else read in a decoder process (decoder-pool.ts). */
  private async sharpMetadata(
    file: string,
    format: string,
    meta: MediaMetadata,
    /** A JPEG's header already read (readJpegFacts); undefined: read it here. */
    known?: ImageHeader | null,
  ): Promise<ImageHeader> {
    if (this.headerReader && (format === 'jpg' || format === 'png')) {
      const header = known !== undefined ? known : await readJpegPngHeader(file, format).catch(() => null);
      if (header) {
        meta.sources.push('sniff');
        return header;
      }
    }
    try {
      const header = await this.tools
        .decoders(this.limits)
        .metadata(file, { maxPixels: false, failOn: 'none' }, { timeoutMs: this.limits.probeTimeoutMs });
      meta.sources.push('sharp');
      return header;
    } catch (e) {
      if (decoderFailure(e)) throw e;
      throw new ProcessingError(`cannot read the image header: ${errorMessage(e)}`, { cause: e });
    }
  }

  private async probeImage(
    file: string,
    meta: MediaMetadata,
    runFfprobe: () => Promise<FfprobeResult>,
  ): Promise<void> {
    const f = meta.format;
    // OpenEXR headers are read in-process as exiftool would read them (exr-header.ts); exiftool
    // reads those the reader declines.
    const exr = f === 'exr' && this.headerReader ? await readExrTags(file).catch(() => null) : null;
    // A JPEG's header, and its size and comment as exiftool gives them when it has no metadata
    // (jpeg-png-header.ts), from one read.
    const jpeg = f === 'jpg' && this.headerReader ? await readJpegFacts(file).catch(() => null) : null;
    const inProcess = exr ?? jpeg?.tags ?? null;
    // exiftool does not read TGA (it answers "Unknown file type" or mistakes it for another format).
    const exifP: Promise<RawTags | null> =
      f === 'tga'
        ? Promise.resolve(null)
        : inProcess
          ? Promise.resolve(inProcess)
          : this.exif(file, meta, f === 'exr' ? ['-ee'] : []);
    // TGA/BMP/DPX: size and pix_fmt from the header when ffmpeg decides them from the header alone.
    const layout =
      f === 'tga' || f === 'bmp' || f === 'dpx' ? await headerLayout(file, f, meta.fileSize) : null;
    if (layout) {
      const raw = await exifP;
      applyHeaderLayout(meta, layout);
      if (raw) applyImageExif(meta, documentTags(raw));
    } else if (f === 'exr') {
      if (exr) meta.sources.push('sniff');
      const raw = await exifP;
      if (!raw) throw new ProcessingError(`cannot read the OpenEXR header: ${meta.warnings.join('; ')}`);
      applyExr(meta, raw);
    } else if (SHARP_FORMATS.has(f)) {
      const [raw, sm] = await Promise.all([
        exifP,
        this.sharpMetadata(file, f, meta, jpeg?.header).catch((e: unknown) => e as ProcessingError),
      ]);
      // A decoder that crashed or hung on the header is not trusted with the pixels either.
      if (sm instanceof Error && decoderFailure(sm)) throw sm;
      if (sm instanceof Error) {
        // libvips refuses some valid files (e.g. 64-bit float TIFF); fall back to exiftool's header facts.
        if (!raw) throw sm;
        meta.warnings.push(sm.message);
        applyExifPixels(meta, documentTags(raw));
      } else {
        applySharp(meta, sm);
      }
      if (raw) applyImageExif(meta, documentTags(raw));
    } else if (FFPROBE_IMAGE_FORMATS.has(f)) {
      const [raw, fp] = await Promise.all([exifP, runFfprobe()]);
      await applyFfprobeImage(this.tools, meta, fp);
      if (raw) applyImageExif(meta, documentTags(raw));
    } else if (f === 'hdr') {
      const raw = await exifP;
      const t = raw ? documentTags(raw) : {};
      meta.width = num(t['ImageWidth']);
      meta.height = num(t['ImageHeight']);
      Object.assign(meta, {
        channels: 3,
        channelNames: ['R', 'G', 'B'],
        pixelType: 'float',
        bitDepth: 32,
        colourSpace: 'linear',
        linear: true,
        subimages: 1,
        container: 'hdr',
        compression: 'rle',
      });
      meta.pixelAspect = 1;
    } else {
      const raw = await exifP;
      if (raw) applyImageExif(meta, documentTags(raw));
    }
    if (meta.width === null || meta.height === null || meta.width <= 0 || meta.height <= 0) {
      throw new ProcessingError(
        `cannot read the image size${meta.warnings.length ? ': ' + meta.warnings.join('; ') : ''}`,
      );
    }
  }

  private async probeAudioVideo(
    file: string,
    meta: MediaMetadata,
    runFfprobe: () => Promise<FfprobeResult>,
  ): Promise<void> {
    const exifP = this.exif(file, meta);
    // QuickTime/MP4 movie boxes, WAV, FLAC, AIFF and MP3 (Xing) headers are read in-process (isobmff.ts, wav.ts, flac.ts, aiff.ts, mp3.ts answer as
    // ffprobe would, or decline); ffprobe reads the rest and whatever a reader declines.
    let fp: FfprobeResult | null = null;
    const reader = this.containerReader ? CONTAINER_READERS[meta.format] : undefined;
    if (reader) {
      fp = await this.readGate(() => reader(file)).catch((e: unknown) => {
        meta.warnings.push(`container reader: ${errorMessage(e).slice(0, 300)}`);
        return null;
      });
      if (fp) meta.sources.push('container');
    }
    if (!fp) {
      fp = await runFfprobe();
      meta.sources.push('ffprobe');
    }
    const raw = await exifP;
    applyFfprobeAv(meta, fp);
    if (raw) {
      const t = documentTags(raw);
      meta.camera = cameraInfo(t);
      Object.assign(meta.tags, descriptiveTags(t), meta.tags);
    }
  }
}

type Gate = <T>(fn: () => Promise<T>) => Promise<T>;

/** Runs at most `n` of the functions given to it at a time, in call order. */
function limiter(n: number): Gate {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

function applySharp(meta: MediaMetadata, m: ImageHeader): void {
  meta.container = m.format ?? meta.format;
  meta.width = m.width ?? null;
  meta.height = m.height ?? null;
  if (m.pages && m.pages > 1 && m.pageHeight && meta.height === m.pageHeight * m.pages)
    meta.height = m.pageHeight;
  meta.channels = m.channels ?? null;
  const d = m.depth ? SHARP_DEPTH[m.depth] : undefined;
  if (d) [meta.pixelType, meta.bitDepth] = d;
  // GIF frames decode to RGBA (any frame may be transparent), as oiiotool reports them.
  if (meta.format === 'gif') meta.channels = 4;
  if (meta.format === 'tif' && m.bitsPerSample && m.bitsPerSample < 8) {
    meta.bitDepth = m.bitsPerSample;
    meta.pixelType = `uint${m.bitsPerSample}`;
  }
  meta.subimages = m.pages ?? 1;
  meta.orientation = m.orientation ?? null;
  meta.colourSpace = m.space ?? null;
  meta.pixelAspect = 1;
  meta.linear = m.depth === 'float' || m.depth === 'double';
  if (meta.linear) meta.colourSpace = 'linear';
  const names =
    meta.channels === 1
      ? ['Y']
      : meta.channels === 2
        ? ['Y', 'A']
        : meta.channels === 3
          ? ['R', 'G', 'B']
          : meta.channels === 4
            ? m.space === 'cmyk'
              ? ['C', 'M', 'Y', 'K']
              : ['R', 'G', 'B', 'A']
            : null;
  meta.channelNames = names;
  if (m.compression) meta.compression = m.compression;
}

/** Pixel layout from exiftool's TIFF-style tags, when no decoder library could read the header. */
function applyExifPixels(meta: MediaMetadata, t: Record<string, unknown>): void {
  meta.width = num(t['ImageWidth']);
  meta.height = num(t['ImageHeight']);
  meta.channels = num(t['SamplesPerPixel']);
  const bps = t['BitsPerSample'];
  const bits = typeof bps === 'string' ? Number(bps.split(/\s+/)[0]) : num(bps);
  meta.bitDepth = bits !== null && Number.isFinite(bits) ? bits : null;
  const sf =
    num(t['SampleFormat']) ??
    (typeof t['SampleFormat'] === 'string' ? Number(String(t['SampleFormat']).split(/\s+/)[0]) : 1);
  if (meta.bitDepth)
    meta.pixelType =
      sf === 3
        ? meta.bitDepth === 64
          ? 'double'
          : 'float'
        : sf === 2
          ? `int${meta.bitDepth}`
          : `uint${meta.bitDepth}`;
  meta.linear = sf === 3;
  if (meta.linear) meta.colourSpace = 'linear';
  meta.subimages = 1;
  meta.pixelAspect = 1;
}

function applyImageExif(meta: MediaMetadata, t: Record<string, unknown>): void {
  meta.width ??= num(t['ImageWidth']);
  meta.height ??= num(t['ImageHeight']);
  const orientation = num(t['Orientation']);
  if (orientation !== null && orientation >= 1 && orientation <= 8) meta.orientation ??= orientation;
  if (meta.orientation !== null)
    meta.rotation = { 3: 180, 4: 180, 5: 90, 6: 90, 7: 270, 8: 270 }[meta.orientation] ?? 0;
  const icc = str(t['ProfileDescription']);
  const exifSpace = num(t['ColorSpace']);
  if (icc) meta.colourSpace = icc;
  else if (exifSpace === 1 && !meta.linear) meta.colourSpace = 'sRGB';
  const comp = num(t['Compression']);
  if (comp !== null && meta.format === 'tif') meta.compression = TIFF_COMPRESSION[comp] ?? `code ${comp}`;
  if (meta.format === 'dpx') {
    meta.bitDepth = num(t['BitDepth']) ?? meta.bitDepth;
    if (meta.bitDepth) meta.pixelType = `uint${meta.bitDepth}`;
    meta.compression = 'none';
  }
  if (meta.format === 'bmp')
    meta.compression =
      { 0: 'none', 1: 'rle8', 2: 'rle4', 3: 'bitfields', 6: 'bitfields' }[num(t['Compression']) ?? 0] ?? null;
  meta.camera = cameraInfo(t);
  Object.assign(meta.tags, descriptiveTags(t));
}

function applyExr(meta: MediaMetadata, raw: RawTags): void {
  const groups = ['Main', ...documentGroups(raw)];
  const parts = groups
    .map((g, i) => exrPart(documentTags(raw, g), i))
    .filter((p) => p.dataWindow !== null || p.width !== null);
  const first = parts[0];
  if (!first) throw new ProcessingError('cannot read the OpenEXR header (no data window)');
  const t = documentTags(raw);
  meta.container = 'openexr';
  meta.parts = parts;
  meta.subimages = parts.length;
  meta.width = first.width;
  meta.height = first.height;
  meta.dataWindow = first.dataWindow;
  meta.displayWindow = first.displayWindow;
  meta.channels = first.channelNames.length;
  meta.channelNames = first.channelNames;
  const types = first.channelTypes;
  meta.pixelType =
    types.length === 0 ? null : types.every((x) => x === types[0]) ? types[0]! : types.join('/');
  const bits = types.map((x) => (x === 'half' ? 16 : 32));
  meta.bitDepth = bits.length ? Math.max(...bits) : null;
  meta.compression = first.compression;
  meta.pixelAspect = num(t['PixelAspectRatio']) ?? 1;
  meta.colourSpace = 'linear';
  meta.linear = true;
  if (first.type?.startsWith('deep'))
    meta.warnings.push('deep OpenEXR: no thumbnail without a deep-capable reader');
  meta.camera = cameraInfo(t);
  Object.assign(meta.tags, descriptiveTags(t));
  const chroma = str(t['Chromaticities']);
  if (chroma) meta.tags['chromaticities'] = chroma;
}

async function headerLayout(
  file: string,
  format: 'tga' | 'bmp' | 'dpx',
  fileSize: number,
): Promise<HeaderLayout | null> {
  try {
    if (format === 'dpx') return dpxLayout(await readHeader(file, DPX_HEADER_BYTES), fileSize);
    const head = await readHeader(file);
    return format === 'tga' ? tgaLayout(head, fileSize) : bmpLayout(head, fileSize);
  } catch {
    return null; // ffprobe will report the problem
  }
}

/** What ffprobe would have said about a TGA/BMP/DPX, from the header (see image-header.ts). */
function applyHeaderLayout(meta: MediaMetadata, l: HeaderLayout): void {
  meta.sources.push('sniff');
  meta.container = l.container;
  meta.width = l.width;
  meta.height = l.height;
  meta.subimages = 1;
  // ffmpeg's BMP and TGA decoders set no sample aspect ratio; DPX's comes from its header.
  meta.pixelAspect = l.sar ? l.sar[0] / l.sar[1] : 1;
  applyPixFmt(meta, l.pixFmt, HEADER_PIX_FMTS[l.pixFmt]);
}

async function applyFfprobeImage(tools: MediaTools, meta: MediaMetadata, fp: FfprobeResult): Promise<void> {
  meta.sources.push('ffprobe');
  const v = fp.streams.find((s) => s.codec_type === 'video');
  if (!v) throw new ProcessingError('ffprobe found no picture in the file');
  meta.container = fp.format.format_name ?? meta.format;
  meta.width = v.width || null;
  meta.height = v.height || null;
  meta.subimages = 1;
  meta.pixelAspect = sarToNumber(v.sample_aspect_ratio) ?? 1;
  meta.pixelFormat = v.pix_fmt ?? null;
  if (v.pix_fmt) applyPixFmt(meta, v.pix_fmt, (await pixelFormats(tools)).get(v.pix_fmt));
}

/** Channels and sample type from ffmpeg's pixel format. */
function applyPixFmt(meta: MediaMetadata, pixFmt: string, info: PixFmtInfo | undefined): void {
  meta.pixelFormat = pixFmt;
  if (!info) return;
  meta.channels = info.palette ? 3 : info.components;
  meta.bitDepth = info.bits || null;
  meta.pixelType = info.float ? 'float' : info.bits ? `uint${info.bits}` : null;
  meta.channelNames =
    meta.channels === 1
      ? ['Y']
      : meta.channels === 2
        ? ['Y', 'A']
        : meta.channels === 3
          ? ['R', 'G', 'B']
          : meta.channels === 4
            ? ['R', 'G', 'B', 'A']
            : null;
}

function sarToNumber(sar: string | undefined): number | null {
  const r = parseRational(sar);
  return r ? r.num / r.den : null;
}

function streamType(s: FfprobeStream): StreamSummary['type'] {
  const t = s.codec_type;
  return t === 'video' || t === 'audio' || t === 'subtitle' || t === 'data' || t === 'attachment'
    ? t
    : 'unknown';
}

function applyFfprobeAv(meta: MediaMetadata, fp: FfprobeResult): void {
  const f = fp.format;
  meta.container = f.format_name ?? null;
  const isPicture = (s: FfprobeStream) => s.disposition?.['attached_pic'] === 1;
  meta.streams = fp.streams.map((s) => {
    const sum: StreamSummary = { index: s.index, type: streamType(s), codec: s.codec_name ?? null };
    if (isPicture(s)) sum.attachedPicture = true;
    if (s.tags?.['language']) sum.language = s.tags['language'];
    if (s.codec_type === 'video')
      Object.assign(sum, {
        width: s.width ?? null,
        height: s.height ?? null,
        fps: normaliseRational(s.avg_frame_rate),
      });
    if (s.codec_type === 'audio')
      Object.assign(sum, { sampleRate: num(s.sample_rate), channels: s.channels ?? null });
    return sum;
  });
  const v = fp.streams.find((s) => s.codec_type === 'video' && !isPicture(s));
  const a = fp.streams.find((s) => s.codec_type === 'audio');
  if (!v && !a) throw new ProcessingError('ffprobe found no video or audio stream in the file');
  // The sniffed type is refined: an MP4/Ogg/ASF/FLV without video is audio, an "audio" Ogg with Theora is video.
  meta.mediaType = v ? 'video' : 'audio';
  if (meta.mediaType === 'audio' && meta.mimeType.startsWith('video/'))
    meta.mimeType = meta.mimeType.replace('video/', 'audio/');

  const dur = num(f.duration);
  meta.duration = dur !== null && dur > 0 ? roundMs(dur) : null;
  meta.bitRate = num(f.bit_rate);
  const main = v ?? a!;
  const tb = parseRational(main.time_base);
  if (tb && typeof main.duration_ts === 'number' && main.duration_ts > 0)
    meta.durationRational = multiplyRational(main.duration_ts, tb);
  else if (dur !== null && dur > 0 && f.duration) meta.durationRational = microRational(f.duration);
  if (meta.duration === null && meta.durationRational)
    meta.duration = roundMs(rationalToNumber(meta.durationRational));

  if (v) {
    meta.videoCodec = v.codec_name ?? null;
    meta.videoProfile = v.profile ?? null;
    meta.width = v.width || null;
    meta.height = v.height || null;
    meta.pixelAspect = sarToNumber(v.sample_aspect_ratio) ?? 1;
    meta.pixelFormat = v.pix_fmt ?? null;
    meta.colourMatrix = v.color_space ?? null;
    meta.colourTransfer = v.color_transfer ?? null;
    meta.colourPrimaries = v.color_primaries ?? null;
    meta.colourRange = v.color_range ?? null;
    meta.colourSpace = v.color_space ?? null;
    meta.fps = normaliseRational(v.avg_frame_rate) ?? normaliseRational(v.r_frame_rate);
    meta.baseFps = normaliseRational(v.r_frame_rate);
    const bits = num(v.bits_per_raw_sample);
    meta.bitDepth = bits && bits > 0 ? bits : null;
    const nb = num(v.nb_frames);
    if (nb !== null && nb > 0) {
      meta.frameCount = nb;
      meta.frameCountSource = 'container';
    } else if (meta.fps && meta.duration) {
      meta.frameCount = Math.round(meta.duration * rationalToNumber(meta.fps));
      meta.frameCountSource = 'estimated';
    }
    const dm = v.side_data_list?.find(
      (d) => d.side_data_type === 'Display Matrix' && typeof d.rotation === 'number',
    );
    const rot = dm?.rotation ?? num(v.tags?.['rotate']);
    // ffprobe gives the display matrix angle counter-clockwise; Montu stores the clockwise display rotation.
    meta.rotation = rot === null || rot === undefined ? 0 : (((-rot % 360) + 360) % 360) + 0;
    if (meta.rotation === 0 && typeof v.tags?.['rotate'] === 'string' && dm === undefined)
      meta.rotation = ((Number(v.tags['rotate']) % 360) + 360) % 360;
  }
  meta.timecode =
    v?.tags?.['timecode'] ??
    fp.streams.find((s) => s.tags?.['timecode'])?.tags?.['timecode'] ??
    f.tags?.['timecode'] ??
    null;
  if (a) {
    const rawBits = num(a.bits_per_raw_sample);
    const bits =
      rawBits && rawBits > 0
        ? rawBits
        : a.bits_per_sample && a.bits_per_sample > 0
          ? a.bits_per_sample
          : null;
    meta.audio = {
      codec: a.codec_name ?? null,
      profile: a.profile ?? null,
      sampleRate: num(a.sample_rate),
      channels: a.channels ?? null,
      channelLayout: a.channel_layout ?? null,
      bitDepth: bits,
      sampleFormat: a.sample_fmt ?? null,
    };
    if (!v) meta.bitDepth = bits;
  }
  for (const [k, val] of Object.entries(f.tags ?? {})) {
    const key = k.toLowerCase();
    if (
      ['title', 'artist', 'album', 'comment', 'encoder', 'creation_time', 'date'].includes(key) &&
      typeof val === 'string'
    )
      meta.tags[key] = val.slice(0, 2000);
  }
}

/** ffprobe prints container durations with 6 decimals: an exact rational of microseconds. */
function microRational(s: string): string | null {
  const m = /^(\d+)\.(\d{1,6})$/.exec(s.trim());
  if (!m) return null;
  const us = Number(m[1]) * 1_000_000 + Number(m[2]!.padEnd(6, '0'));
  return multiplyRational(us, { num: 1, den: 1_000_000 });
}

import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ProcessingError, errorMessage } from '@montu/domain';
import { gbrpf32ToRgb8, grayf32ToRgb8, type ToneMap } from './colour.mjs';
import { decoderFailure } from './decoder-pool.js';
import { exrLayout, placeRgb, withDisplayWindow } from './exr-window.js';
import { ffmpegInputArgs, withToolExtension } from './ffmpeg-input.js';
import {
  encodeRaw as encodePixels,
  type EncodedImage,
  type EncodeParams,
  type FailOn,
} from './image-ops.mjs';
import { checkDecodeLimits, type MediaLimits } from './limits.js';
import type { MediaMetadata } from './metadata.js';
import { SHARP_FORMATS } from './probe.js';
import { runTool, stderrTail } from './tools.js';
import type { MediaTools } from './media-tools.js';
import type { OcioSettings } from '../../config/environment.js';

export type ImageFormat = 'jpeg' | 'webp';

/** A rendered picture (thumbnail, web image, video frame, waveform), returned as bytes for the caller to store. */
export interface RenderedImage {
  data: Buffer;
  width: number;
  height: number;
  format: ImageFormat;
  mimeType: string;
  /** The display transform applied: none (display-referred source), srgb, filmic, or ocio (oiiotool). */
  transform: 'none' | 'srgb' | 'filmic' | 'ocio';
  /** With `transform: 'ocio'`: the config ($OCIO, its file name) and the display and view rendered with. */
  ocio?: { config: string; display: string; view: string };
}

export interface EncodeOptions {
  format?: ImageFormat;
  /** 1–100, default 80 (thumbnails) / 90 (web images). */
  quality?: number;
}

export interface StillOptions extends EncodeOptions {
  /** Longest edge in pixels; null keeps the full resolution. Never enlarges. */
  maxEdge: number | null;
  toneMap?: ToneMap;
  limits: MediaLimits;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The studio display transform for linear images (none: the built-in transform). */
  ocio?: OcioSettings;
  /** The library's tools and decoder processes. */
  tools: MediaTools;
}

/** Fits w × h inside a square of `maxEdge` keeping the aspect ratio (never enlarging); at least 1 px. */
export function fitInside(w: number, h: number, maxEdge: number | null): { width: number; height: number } {
  if (maxEdge === null || (w <= maxEdge && h <= maxEdge))
    return { width: Math.max(1, Math.round(w)), height: Math.max(1, Math.round(h)) };
  const s = maxEdge / Math.max(w, h);
  return { width: Math.max(1, Math.round(w * s)), height: Math.max(1, Math.round(h * s)) };
}

/**
 * Encodes pixels Montu already holds (raw output of ffmpeg, a waveform) in this process: they
 * are pixels, not a file, so no decoder that could be attacked is involved.
 */
export async function encodeRaw(
  raw: Buffer,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  opts: EncodeOptions,
  transform: RenderedImage['transform'],
): Promise<RenderedImage> {
  const params = encodeParams(opts);
  try {
    return rendered(await encodePixels(raw, width, height, channels, params), params.format, transform);
  } catch (e) {
    throw new ProcessingError(`image encoding failed: ${errorMessage(e)}`, { cause: e });
  }
}

function encodeParams(opts: EncodeOptions): EncodeParams & { format: ImageFormat } {
  return { format: opts.format ?? 'jpeg', quality: opts.quality ?? 80 };
}

function rendered(
  img: EncodedImage,
  format: ImageFormat,
  transform: RenderedImage['transform'],
): RenderedImage {
  const mimeType = format === 'webp' ? 'image/webp' : 'image/jpeg';
  return { data: img.data, width: img.width, height: img.height, format, mimeType, transform };
}

/** Size of the picture as displayed: EXR display window, pixel aspect applied, EXIF rotation applied. */
export function displaySize(meta: MediaMetadata): { width: number; height: number } {
  const w = meta.displayWindow?.width ?? meta.width ?? 0;
  const h = meta.displayWindow?.height ?? meta.height ?? 0;
  const pa = meta.pixelAspect && meta.pixelAspect > 0 ? meta.pixelAspect : 1;
  const sw = Math.round(w * pa);
  return meta.rotation === 90 || meta.rotation === 270 ? { width: h, height: sw } : { width: sw, height: h };
}

/**
 * Renders a still image (or the first frame/page/part of one) at a bounded size. Limits are
 * checked from the probed header before anything is decoded. libvips decodes run in the decoder
 * processes (decoder-pool.ts), the other decoders are external tools.
 */
export async function renderStill(
  file: string,
  meta: MediaMetadata,
  opts: StillOptions,
): Promise<RenderedImage> {
  checkDecodeLimits(meta, opts.limits);
  const toneMap = opts.toneMap ?? 'srgb';
  if (meta.linear && opts.ocio?.config && opts.tools.find('oiiotool')) {
    return renderWithOiio(file, meta, opts, opts.ocio, opts.ocio.config);
  }
  if (meta.format === 'jpg') {
    // libjpeg-turbo gives up on some valid files (UltraHDR with gain maps fill grey after a
    // "premature end" warning) that ffmpeg's decoder reads; damaged JPEGs still show what decodes.
    try {
      return await renderWithSharp(file, meta, opts, toneMap, 'warning');
    } catch (e) {
      // A decoder that crashed or ran out of time on this file is not given it again.
      if (decoderFailure(e)) throw e;
      try {
        return await renderWithFfmpeg(file, meta, opts, toneMap, true);
      } catch {
        return renderWithSharp(file, meta, opts, toneMap, 'none');
      }
    }
  }
  if (
    SHARP_FORMATS.has(meta.format) &&
    !meta.warnings.some((w) => w.startsWith('cannot read the image header'))
  ) {
    // Truncated PNG/GIF/WebP data is only a warning to their decoders: refuse it. libtiff warns
    // about much that is valid (old-style LZW, unknown tags): TIFF fails on errors only.
    return renderWithSharp(file, meta, opts, toneMap, meta.format === 'tif' ? 'error' : 'warning');
  }
  if (meta.format === 'hdr') return renderHdrWithVips(file, meta, opts, toneMap);
  return renderWithFfmpeg(file, meta, opts, toneMap);
}

/**
 * sharp (libvips) decodes, in a decoder process; `label` names the file in errors, `transform`
 * is recorded for pictures that are already display-referred (oiiotool's output).
 */
async function renderWithSharp(
  file: string,
  meta: MediaMetadata,
  opts: StillOptions,
  toneMap: ToneMap,
  failOn: FailOn,
  label = path.basename(file),
  transform: RenderedImage['transform'] = meta.linear ? toneMap : 'none',
): Promise<RenderedImage> {
  const params = encodeParams(opts);
  try {
    const img = await opts.tools.decoders(opts.limits).render(
      {
        file: path.resolve(file),
        maxEdge: opts.maxEdge,
        linear: meta.linear,
        toneMap,
        failOn,
        maxPixels: opts.limits.maxPixels,
        ...params,
      },
      { timeoutMs: opts.timeoutMs, label, ...(opts.signal ? { signal: opts.signal } : {}) },
    );
    return rendered(img, params.format, transform);
  } catch (e) {
    if (decoderFailure(e)) throw e;
    throw new ProcessingError(`cannot decode the image: ${errorMessage(e)}`, { cause: e });
  }
}

/** ffmpeg decodes EXR, DPX, TGA, BMP, …; it scales, and linear data comes out as float for our transform. */
async function renderWithFfmpeg(
  file: string,
  meta: MediaMetadata,
  opts: StillOptions,
  toneMap: ToneMap,
  tolerant = false,
): Promise<RenderedImage> {
  const src = displaySize(meta);
  const { width, height } = fitInside(src.width, src.height, opts.maxEdge);
  // EXR display windows that do not start at (0,0) need help (exr-window.ts); linear data only,
  // which every EXR is.
  const layout = meta.linear ? exrLayout(meta, width, height) : null;
  if (layout && !layout.place) {
    // No pixel of the display window can hold data that ffmpeg decodes: black, as OpenEXR defines it.
    return encodeRaw(Buffer.alloc(width * height * 3), width, height, 3, opts, toneMap);
  }
  const place = layout?.place ?? { x: 0, y: 0, width, height };
  const grey = meta.linear && meta.format === 'exr' && exrGreyOnly(meta.channelNames);
  const pixFmt = !meta.linear ? 'rgba' : grey ? 'grayf32le' : 'gbrpf32le';
  const bytesPerPixel = !meta.linear ? 4 : grey ? 4 : 12;
  const crop = layout?.crop;
  const input = layout?.headerWindow
    ? await withDisplayWindow(file, layout.headerWindow)
    : await withToolExtension(file, meta.format);
  try {
    const args = [
      '-v',
      'error',
      '-nostdin',
      '-hide_banner',
      ...ffmpegInputArgs(input.path, meta.format),
      '-map',
      '0:v:0',
      '-frames:v',
      '1',
      '-vf',
      (crop ? `crop=${crop.width}:${crop.height}:${crop.x}:${crop.y}:exact=1,` : '') +
        `scale=${place.width}:${place.height}:flags=area`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      pixFmt,
      'pipe:1',
    ];
    const expected = place.width * place.height * bytesPerPixel;
    const { stdout, stderr } = await runTool(opts.tools.paths.ffmpeg, args, {
      timeoutMs: opts.timeoutMs,
      maxStdoutBytes: expected + 1,
      signal: opts.signal,
      memoryBytes: opts.limits.toolMemoryBytes,
    });
    // A still that decodes with errors (ffmpeg fills the damaged blocks) is not shown half-broken.
    if (stdout.length !== expected || (!tolerant && stderr.trim() !== '')) {
      throw new ProcessingError(
        `ffmpeg could not decode the picture${stderr.trim() ? ': ' + stderrTail(stderr) : ''}`,
      );
    }
    if (meta.linear) {
      const rgb = grey
        ? grayf32ToRgb8(stdout, place.width, place.height, toneMap)
        : gbrpf32ToRgb8(stdout, place.width, place.height, toneMap);
      const full = layout ? placeRgb(rgb, place, width, height) : rgb;
      return await encodeRaw(full, width, height, 3, opts, toneMap);
    }
    // TGA/BMP writers often leave the alpha channel at zero: a fully transparent picture is shown opaque.
    let transparent = true;
    for (let i = 3; i < stdout.length && transparent; i += 4) if (stdout[i] !== 0) transparent = false;
    if (transparent) for (let i = 3; i < stdout.length; i += 4) stdout[i] = 255;
    return await encodeRaw(stdout, width, height, 4, opts, 'none');
  } finally {
    await input.cleanup();
  }
}

/**
 * True when ffmpeg decodes an EXR as one grey plane: a `Y` channel among the unlayered channels
 * (the only ones its decoder reads by default) and no R, G, B or A. With A, ffmpeg itself
 * copies Y into R, G and B (gbrapf32), which renders right.
 */
export function exrGreyOnly(names: readonly string[] | null): boolean {
  if (!names) return false;
  const bare = names.filter((n) => !n.includes('.'));
  return bare.includes('Y') && !['R', 'G', 'B', 'A'].some((c) => bare.includes(c));
}

/** Radiance HDR: neither sharp's libvips build nor ffmpeg 5.1 decode it; the system `vips` CLI does. */
async function renderHdrWithVips(
  file: string,
  meta: MediaMetadata,
  opts: StillOptions,
  toneMap: ToneMap,
): Promise<RenderedImage> {
  if (!opts.tools.find('vips'))
    throw new ProcessingError('Radiance HDR needs the `vips` command (libvips-tools) to be decoded');
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'montu-hdr-'));
  try {
    const tmp = path.join(dir, 'float.v');
    await runTool(opts.tools.paths.vips, ['rad2float', path.resolve(file), tmp], {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      memoryBytes: opts.limits.toolMemoryBytes,
    });
    return await renderWithSharp(
      tmp,
      { ...meta, format: 'vips', linear: true },
      opts,
      toneMap,
      'error',
      path.basename(file),
    );
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Studio colour management (decision 074): with `$OCIO` naming an OpenColorIO config and `oiiotool`
 * installed, linear images are rendered through one of the config's display/view pairs instead of
 * the built-in transform: MONTU_OCIO_DISPLAY / MONTU_OCIO_VIEW when set, else the config's default
 * display and that display's default view. The pixels are taken to be in the config's
 * `scene_linear` role (studio configs rarely call their working space "linear"). Once this path
 * is chosen every problem (config that does not load, unknown display or view, missing LUT) is a
 * ProcessingError: a silent fallback would give part of a show a different look than the rest.
 */
async function renderWithOiio(
  file: string,
  meta: MediaMetadata,
  opts: StillOptions,
  ocio: OcioSettings,
  config: string,
): Promise<RenderedImage> {
  const ext = OIIO_EXTENSIONS[meta.format];
  if (!ext) throw new ProcessingError(`oiiotool is not used for ${meta.format} files`);
  const channels = oiioChannels(meta.channelNames);
  if (!channels)
    throw new ProcessingError(
      `no R,G,B or single grey channel to display (channels: ${(meta.channelNames ?? []).join(', ')})`,
    );
  const src = displaySize(meta);
  const { width, height } = fitInside(src.width, src.height, opts.maxEdge);
  const { display, view } = await ocioDisplayView(ocio, config, opts);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'montu-oiio-'));
  try {
    // oiiotool picks its reader by extension (stored files may have none, or a misleading one):
    // a link named for the sniffed format, which is also a name free of wildcard characters.
    const input = path.join(dir, `input${ext}`);
    await fsp.symlink(path.resolve(file), input);
    const out = path.join(dir, 'display.png');
    const args = [
      ...oiioSafetyArgs(config),
      '-i',
      input,
      '--ch',
      channels,
      // One NaN would spread through the resize filter into a black blotch.
      '--fixnan',
      'black',
      // Display window, orientation and pixel aspect as displaySize() reports them; resized while
      // still linear (highlight compensation keeps specular highlights from ringing, so the
      // thumbnail looks like the full picture). The display window becomes the pixels at (0,0):
      // resize keeps a window's origin, and the PNG writer would cut off what lies left of or above it.
      '--croptofull',
      '--origin',
      '+0+0',
      '--fullpixels',
      '--reorient',
      '--resize:highlightcomp=1',
      `${width}x${height}`,
      '--ociodisplay:from=scene_linear',
      display,
      view,
      '-d',
      'uint8',
      '-o',
      out,
    ];
    try {
      await runTool(opts.tools.paths.oiiotool, args, {
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
        memoryBytes: opts.limits.toolMemoryBytes,
      });
    } catch (e) {
      if (e instanceof ProcessingError && opts.signal?.aborted) throw e;
      throw new ProcessingError(
        `OCIO display "${display}" / view "${view}" of ${config}: ${errorMessage(e)}`,
        {
          cause: e,
          details: e instanceof ProcessingError ? e.details : undefined,
        },
      );
    }
    const img = await renderWithSharp(
      out,
      { ...meta, linear: false },
      { ...opts, maxEdge: null },
      'srgb',
      'warning',
      path.basename(file),
      'ocio',
    );
    if (img.width !== width || img.height !== height)
      throw new ProcessingError(`oiiotool rendered ${img.width}×${img.height} instead of ${width}×${height}`);
    // The config by file name only: a server path is not for every API user to read.
    return { ...img, ocio: { config: path.basename(config), display, view } };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** Sniffed linear formats → the extension that makes oiiotool use the matching reader. */
const OIIO_EXTENSIONS: Record<string, string> = { exr: '.exr', hdr: '.hdr', tif: '.tif' };

/**
 * Arguments every oiiotool run starts with: no frame wildcards or `{expression}` evaluation in
 * any later argument (paths, display and view names are taken literally), only the reader named
 * by the extension (never a fallback to the ffmpeg, raw, DICOM, … readers), the config given
 * explicitly, and a few threads (each thread's stack and malloc arena count against the memory cap).
 */
export function oiioSafetyArgs(config: string): string[] {
  const threads = Math.max(1, Math.min(4, os.availableParallelism()));
  return [
    '--wildcardoff',
    '--evaloff',
    '--oiioattrib',
    'try_all_readers',
    '0',
    '--threads',
    String(threads),
    '--colorconfig',
    config,
  ];
}

/**
 * The `--ch` argument giving three colour channels: R,G,B; else the first layer that has all
 * three (AOV-only EXRs: `diffuse.R`, …); else one grey channel (Y, or the only one) repeated.
 * Names that would not survive oiiotool's `a=b,c` syntax are not used.
 */
function oiioChannels(names: readonly string[] | null): string | null {
  if (!names) return 'R,G,B';
  const usable = names.filter((n) => n !== '' && !/[,=]/.test(n));
  const has = (n: string) => usable.includes(n);
  if (has('R') && has('G') && has('B')) return 'R,G,B';
  for (const n of usable) {
    const layer = n.endsWith('.R') ? n.slice(0, -1) : null;
    if (layer !== null && has(`${layer}G`) && has(`${layer}B`)) return `R=${layer}R,G=${layer}G,B=${layer}B`;
  }
  const grey = has('Y') ? 'Y' : names.length === 1 && usable.length === 1 ? usable[0]! : null;
  return grey === null ? null : `R=${grey},G=${grey},B=${grey}`;
}

/** What running oiiotool needs from the caller's options. */
export type ToolRunOptions = Pick<StillOptions, 'timeoutMs' | 'signal' | 'limits' | 'tools'>;

export interface OcioDisplay {
  name: string;
  isDefault: boolean;
  views: { name: string; isDefault: boolean }[];
}

/** Displays of a config, per config path + file version + OCIO_ACTIVE_* (asking oiiotool takes ~0.2 s). */
const ocioDisplayCache = new Map<string, { stamp: string; displays: OcioDisplay[] }>();

/** The display and view to render with: MONTU_OCIO_DISPLAY / MONTU_OCIO_VIEW, else the config's defaults. */
export async function ocioDisplayView(
  ocio: OcioSettings,
  config: string,
  opts: ToolRunOptions,
): Promise<{ display: string; view: string }> {
  const displays = await ocioDisplays(ocio, config, opts);
  const list = (items: { name: string }[]) => items.map((i) => `"${i.name}"`).join(', ');
  const wantDisplay = ocio.display;
  const wantView = ocio.view;
  const d = wantDisplay
    ? displays.find((x) => x.name === wantDisplay)
    : (displays.find((x) => x.isDefault) ?? displays[0]);
  if (!d)
    throw new ProcessingError(
      wantDisplay
        ? `MONTU_OCIO_DISPLAY "${wantDisplay}" is not a display of the OCIO config ${config} (it has ${list(displays)})`
        : `the OCIO config ${config} has no displays`,
    );
  const v = wantView
    ? d.views.find((x) => x.name === wantView)
    : (d.views.find((x) => x.isDefault) ?? d.views[0]);
  if (!v)
    throw new ProcessingError(
      wantView
        ? `MONTU_OCIO_VIEW "${wantView}" is not a view of display "${d.name}" in the OCIO config ${config} (it has ${list(d.views)})`
        : `display "${d.name}" of the OCIO config ${config} has no views`,
    );
  return { display: d.name, view: v.name };
}

/**
 * The config's displays and views as OpenColorIO itself resolves them (active lists, defaults),
 * read from `oiiotool --help`: OIIO 2.4 cannot be told "the default view" on its command line,
 * and its help is the only place the linked OCIO reports them without extra packages.
 */
export async function ocioDisplays(
  ocio: OcioSettings,
  config: string,
  opts: ToolRunOptions,
): Promise<OcioDisplay[]> {
  const key = [opts.tools.paths.oiiotool, config, ocio.activeDisplays, ocio.activeViews].join('\0');
  const stamp = await fsp.stat(config).then(
    (s) => `${s.mtimeMs}:${s.size}`,
    () => null,
  );
  const cached = ocioDisplayCache.get(key);
  if (stamp !== null && cached?.stamp === stamp) return cached.displays;
  let help: string;
  try {
    help = (
      await runTool(opts.tools.paths.oiiotool, [...oiioSafetyArgs(config), '--help'], {
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
        memoryBytes: opts.limits.toolMemoryBytes,
      })
    ).stdout.toString('utf8');
  } catch (e) {
    if (e instanceof ProcessingError && opts.signal?.aborted) throw e;
    throw new ProcessingError(`the OCIO config ${config} cannot be used: ${errorMessage(e)}`, {
      cause: e,
      details: e instanceof ProcessingError ? e.details : undefined,
    });
  }
  const loaded = /^OpenColorIO [^,]*, color config: (.*)$/m.exec(help)?.[1];
  if (loaded === undefined || loaded === 'built-in')
    throw new ProcessingError(
      `the OCIO config ${config} was not loaded by oiiotool (OpenColorIO support missing?)`,
    );
  const displays = parseOiioDisplays(help);
  if (stamp !== null) ocioDisplayCache.set(key, { stamp, displays });
  return displays;
}

/** `Known displays: "sRGB"* (views: "Standard"*, "Film"), "P3" (views: …) (* = default)` → displays. */
function parseOiioDisplays(help: string): OcioDisplay[] {
  const line = help.split('\n').find((l) => l.startsWith('Known displays:')) ?? '';
  const displays: OcioDisplay[] = [];
  let inViews = false;
  // Quoted names first, so a ")" inside a name is never taken for the end of a view list.
  for (const m of line.matchAll(/"([^"]*)"(\*?)|\(views: |\)/g)) {
    if (m[1] !== undefined) {
      const item = { name: m[1], isDefault: m[2] === '*' };
      if (inViews) displays[displays.length - 1]?.views.push(item);
      else displays.push({ ...item, views: [] });
    } else {
      inViews = m[0] === '(views: ';
    }
  }
  return displays;
}

/**
 * Display/view choice and baked 3D LUTs for the colour-managed viewer (decision 148). The
 * thumbnails and web images (processing/tools/still.ts) and the LUTs come from the same choice:
 * `$OCIO` + oiiotool → the config's displays and views, with MONTU_OCIO_DISPLAY / MONTU_OCIO_VIEW
 * (or the config's defaults) as the default; otherwise the built-in transform, whose one display
 * "sRGB" has the views "Standard" (srgb) and "Filmic", the default being the configured tone map.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import {
  ValidationError,
  ProcessingError,
  errorMessage,
  floatImagePrefix,
  floatToHalf,
  type FloatImageHeader,
  type LutShaper,
} from '@montu/domain';
import type { OcioSettings } from '../config/environment.js';
import { toDisplay, type ToneMap } from '../processing/tools/colour.mjs';
import { resolveLimits, type MediaLimits } from '../processing/tools/limits.js';
import {
  ocioDisplays,
  ocioDisplayView,
  oiioSafetyArgs,
  type OcioDisplay,
  type ToolRunOptions,
} from '../processing/tools/still.js';
import { runTool, stderrTail } from '../processing/tools/tools.js';
import type { MediaTools } from '../processing/tools/media-tools.js';

const deflate = promisify(zlib.deflate);

/** LUT edge: 65 entries per axis (the usual size for a display LUT; 1.6 MB as half floats). */
export const LUT_SIZE = 65;

/**
 * The shaper's offset: below it the lattice is spaced evenly in linear (dark values, sRGB's linear
 * toe). 1/960 (not 2^-10) puts linear 1/32 exactly on entry 20 while 1.0 stays on entry 40
 * (offset × (31² − 1) = 1, offset × (31 − 1) = 1/32): 1/32 is the first knot of a 33-entry 1D LUT
 * over 0–1, where a power curve's steepest segment ends; between entries that kink cost 2.2/255
 * (decision 216).
 */
const SHAPER_OFFSET = 1 / 960;
/** Lattice entry that is exactly linear 1.0, where most views clip: a kink between entries would blur. */
const ENTRY_OF_ONE = 40;

/**
 * Lattice input range: `linear = offset × (2^(u × stops) − 1)` for u in 0–1, chosen so that
 * entry 40 of 65 is exactly 1.0 (and entry 20 1/32) and u = 1 is about 62 (six stops over 1.0,
 * 8.4 over mid-grey). Near 0 the spacing is even (≈ 1.8e-4 linear); around 0.18 entries are
 * ~0.17 stop apart.
 */
export const LUT_SHAPER: LutShaper = (() => {
  const stops = (Math.log2(1 / SHAPER_OFFSET + 1) * (LUT_SIZE - 1)) / ENTRY_OF_ONE;
  return { type: 'log2-offset', offset: SHAPER_OFFSET, stops, maxLinear: SHAPER_OFFSET * (2 ** stops - 1) };
})();

/** Lattice coordinate u (0–1) → the scene-linear value it stands for. */
export function shaperToLinear(u: number, shaper: LutShaper = LUT_SHAPER): number {
  return shaper.offset * (2 ** (u * shaper.stops) - 1);
}

/** Scene-linear value → lattice coordinate u, clamped to 0–1 (what the viewer's shader does). */
export function linearToShaper(v: number, shaper: LutShaper = LUT_SHAPER): number {
  const x = Math.min(Math.max(Number.isNaN(v) ? 0 : v, 0), shaper.maxLinear);
  return Math.log2(x / shaper.offset + 1) / shaper.stops;
}

export interface ColourSettings {
  ocio?: OcioSettings;
  /** The built-in transform's tone map when no OCIO config is used (ProcessingOptions.toneMap). */
  toneMap?: ToneMap;
  limits?: Partial<MediaLimits>;
  /** Where baked LUTs are kept; default `<tmpdir>/montu-luts`. */
  cacheDir?: string;
  /** The library's tools (oiiotool and ffmpeg bake the OCIO LUTs). */
  tools: MediaTools;
}

export interface ColourViews {
  transform: 'ocio' | 'builtin';
  /** The OCIO config's file name (never its server path), or null for the built-in transform. */
  config: string | null;
  displays: OcioDisplay[];
  /** The display and view thumbnails and web images are rendered with. */
  default: { display: string; view: string };
}

/** The built-in transform as a display with views: what `toneMap` each view name means. */
const BUILTIN_VIEWS: Record<string, ToneMap> = { Standard: 'srgb', Filmic: 'filmic' };
const BUILTIN_DISPLAY = 'sRGB';

/** True when thumbnails use the OCIO config (decision 074): `$OCIO` set and oiiotool found. */
function ocioConfig(settings: ColourSettings): string | null {
  const config = settings.ocio?.config;
  return config && settings.tools.find('oiiotool') ? config : null;
}

function toolOptions(settings: ColourSettings): ToolRunOptions {
  return { limits: resolveLimits(settings.limits), timeoutMs: 60_000, tools: settings.tools };
}

/** The displays and views a viewer may pick from, and the one the thumbnails use. */
export async function colourViews(settings: ColourSettings): Promise<ColourViews> {
  const config = ocioConfig(settings);
  if (config) {
    const opts = toolOptions(settings);
    const [displays, chosen] = await Promise.all([
      ocioDisplays(settings.ocio!, config, opts),
      ocioDisplayView(settings.ocio!, config, opts),
    ]);
    return { transform: 'ocio', config: path.basename(config), displays, default: chosen };
  }
  const toneMap = settings.toneMap ?? 'srgb';
  return {
    transform: 'builtin',
    config: null,
    displays: [
      {
        name: BUILTIN_DISPLAY,
        isDefault: true,
        views: Object.entries(BUILTIN_VIEWS).map(([name, t]) => ({ name, isDefault: t === toneMap })),
      },
    ],
    default: { display: BUILTIN_DISPLAY, view: toneMap === 'filmic' ? 'Filmic' : 'Standard' },
  };
}

/** Baked LUTs being made, so concurrent requests for one share the work. */
const baking = new Map<string, Promise<Buffer>>();

/**
 * The MF16 LUT (float-image.ts) for a display/view (default: the thumbnails' own), baked once
 * per config content + display + view and kept on disk. An unknown display or view is a 400.
 */
export async function bakedLut(
  settings: ColourSettings,
  want: { display?: string | undefined; view?: string | undefined },
): Promise<{ data: Buffer; header: FloatImageHeader }> {
  const views = await colourViews(settings);
  const display = want.display ?? views.default.display;
  const d = views.displays.find((x) => x.name === display);
  if (!d)
    throw new ValidationError(
      `"${display}" is not a display here; the displays are ${views.displays.map((x) => `"${x.name}"`).join(', ')}`,
    );
  const view =
    want.view ??
    (display === views.default.display
      ? views.default.view
      : (d.views.find((v) => v.isDefault) ?? d.views[0])?.name);
  if (!view || !d.views.some((v) => v.name === view))
    throw new ValidationError(
      `"${want.view ?? ''}" is not a view of display "${display}"; its views are ${d.views.map((v) => `"${v.name}"`).join(', ')}`,
    );
  const config = ocioConfig(settings);
  const header: FloatImageHeader = {
    kind: 'lut3d',
    width: LUT_SIZE,
    height: LUT_SIZE,
    depth: LUT_SIZE,
    channels: 3,
    compression: 'deflate',
    values: 'display',
    shaper: LUT_SHAPER,
    ...(config
      ? { transform: 'ocio' as const, config: path.basename(config), display, view }
      : { transform: BUILTIN_VIEWS[view]!, display, view }),
  };
  const key = await cacheKey(settings, config, header);
  const cacheDir = settings.cacheDir ?? path.join(os.tmpdir(), 'montu-luts');
  const file = path.join(cacheDir, `${key}.mf16`);
  let pending = baking.get(key);
  if (!pending) {
    pending = (async () => {
      const cached = await fsp.readFile(file).catch(() => null);
      if (cached) return cached;
      const rgb = config
        ? await bakeOcio(settings, config, display, view)
        : bakeBuiltin(BUILTIN_VIEWS[view]!);
      const halves = new Uint16Array(rgb.length);
      for (let i = 0; i < rgb.length; i++) halves[i] = floatToHalf(rgb[i]!);
      const data = Buffer.concat([
        floatImagePrefix(header),
        await deflate(Buffer.from(halves.buffer, halves.byteOffset, halves.byteLength)),
      ]);
      // Atomic: a reader sees the whole LUT or none.
      await fsp.mkdir(cacheDir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.${crypto.randomUUID()}.tmp`;
      await fsp.writeFile(tmp, data, { mode: 0o600 });
      await fsp.rename(tmp, file);
      return data;
    })().finally(() => baking.delete(key));
    baking.set(key, pending);
  }
  return { data: await pending, header };
}

/**
 * Cache key: the LUT's header (display, view, shaper, size) and, for OCIO, the config's bytes,
 * the name, size and mtime of every file beside it (LUT files it loads) and OCIO_ACTIVE_*.
 */
async function cacheKey(
  settings: ColourSettings,
  config: string | null,
  header: FloatImageHeader,
): Promise<string> {
  const h = crypto.createHash('sha256').update(JSON.stringify(header));
  if (config) {
    h.update(await fsp.readFile(config));
    const dir = path.dirname(config);
    for (const name of (await fsp.readdir(dir)).sort()) {
      const s = await fsp.stat(path.join(dir, name)).catch(() => null);
      if (s) h.update(`\0${name}:${s.size}:${s.mtimeMs}`);
    }
    h.update(`\0${settings.ocio?.activeDisplays ?? ''}\0${settings.ocio?.activeViews ?? ''}`);
  }
  return h.digest('hex');
}

/** Lattice index (red fastest, then green, then blue) → scene-linear input RGB. */
function latticeInput(size: number): Float32Array {
  const axis = Array.from({ length: size }, (_, i) => shaperToLinear(i / (size - 1)));
  const out = new Float32Array(size * size * size * 3);
  let o = 0;
  for (let b = 0; b < size; b++)
    for (let g = 0; g < size; g++)
      for (let r = 0; r < size; r++) {
        out[o++] = axis[r]!;
        out[o++] = axis[g]!;
        out[o++] = axis[b]!;
      }
  return out;
}

/** The built-in views, from the very function the thumbnails are encoded with. */
function bakeBuiltin(toneMap: ToneMap): Float32Array {
  const lattice = latticeInput(LUT_SIZE);
  for (let i = 0; i < lattice.length; i++) lattice[i] = toDisplay(lattice[i]!, toneMap);
  return lattice;
}

/**
 * An OCIO display/view, baked by oiiotool itself: the lattice written as a float PFM image
 * (size² × size, red fastest along a row, one row per blue step), run once through
 * `--ociodisplay:from=scene_linear` as the thumbnails are, written as float EXR and read back
 * through ffmpeg. No OCIO bake tool is needed (OCIO 2.1 on Debian ships none).
 */
async function bakeOcio(
  settings: ColourSettings,
  config: string,
  display: string,
  view: string,
): Promise<Float32Array> {
  const n = LUT_SIZE;
  const width = n * n;
  const height = n;
  const lattice = latticeInput(n);
  const opts = toolOptions(settings);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'montu-lut-'));
  try {
    const pfm = path.join(dir, 'lattice.pfm');
    const exr = path.join(dir, 'baked.exr');
    // PFM rows run bottom to top: write row `height - 1` first so image row y holds blue step y.
    const head = Buffer.from(`PF\n${width} ${height}\n-1.0\n`, 'ascii');
    const body = Buffer.alloc(width * height * 12);
    const rowBytes = width * 12;
    for (let y = 0; y < height; y++) {
      const src = Buffer.from(lattice.buffer, y * rowBytes, rowBytes);
      src.copy(body, (height - 1 - y) * rowBytes);
    }
    await fsp.writeFile(pfm, Buffer.concat([head, body]));
    try {
      await runTool(
        settings.tools.paths.oiiotool,
        [
          ...oiioSafetyArgs(config),
          '-i',
          pfm,
          '--ociodisplay:from=scene_linear',
          display,
          view,
          '-d',
          'float',
          '-o',
          exr,
        ],
        { timeoutMs: opts.timeoutMs, memoryBytes: opts.limits.toolMemoryBytes },
      );
    } catch (e) {
      throw new ProcessingError(
        `OCIO display "${display}" / view "${view}" of ${config}: ${errorMessage(e)}`,
        {
          cause: e,
        },
      );
    }
    const { stdout, stderr } = await runTool(
      settings.tools.paths.ffmpeg,
      ['-v', 'error', '-nostdin', '-i', exr, '-f', 'rawvideo', '-pix_fmt', 'gbrpf32le', 'pipe:1'],
      {
        timeoutMs: opts.timeoutMs,
        maxStdoutBytes: width * height * 12 + 1,
        memoryBytes: opts.limits.toolMemoryBytes,
      },
    );
    if (stdout.length !== width * height * 12)
      throw new ProcessingError(`cannot read the baked LUT back: ${stderrTail(stderr)}`);
    const planes = new Float32Array(
      stdout.buffer.slice(stdout.byteOffset, stdout.byteOffset + stdout.length),
    );
    const count = width * height;
    const out = new Float32Array(count * 3);
    for (let i = 0; i < count; i++) {
      out[i * 3] = planes[2 * count + i]!;
      out[i * 3 + 1] = planes[i]!;
      out[i * 3 + 2] = planes[count + i]!;
    }
    return out;
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

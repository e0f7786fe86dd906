/**
 * Studio colour management through a real oiiotool and a small OCIO config
 * (test/fixtures/ocio/config.ocio): the config's display/view must be what renders linear
 * pictures when `$OCIO` is set, MONTU_OCIO_DISPLAY / MONTU_OCIO_VIEW must pick among them, a bad
 * config must fail clearly, and without `$OCIO` (or without oiiotool) the built-in transform runs.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProcessingError } from '@montu/domain';
import type { MediaMetadata } from '../../src/processing/tools/metadata.js';
import { MediaProber } from '../../src/processing/tools/probe.js';
import { createWebImage } from '../../src/processing/tools/proxy.js';
import { createThumbnail } from '../../src/processing/tools/thumbnail.js';
import { readEnvironment, type OcioSettings } from '../../src/config/environment.js';
import { findTool, PRLIMIT, type RunToolOptions } from '../../src/processing/tools/tools.js';
import { MediaTools } from '../../src/processing/tools/media-tools.js';
import { constantExrArgs, exec, tmpDir, TOOLS, writeFlatExr } from './helpers.js';

/** Every external tool run, so the tests can check how oiiotool is called. */
const calls = vi.hoisted(() => [] as { cmd: string; args: readonly string[]; opts: RunToolOptions }[]);
vi.mock('../../src/processing/tools/tools.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/processing/tools/tools.js')>();
  return {
    ...real,
    runTool: (cmd: string, args: readonly string[], opts: RunToolOptions) => {
      calls.push({ cmd, args, opts });
      return real.runTool(cmd, args, opts);
    },
  };
});

const FIXTURES = fileURLToPath(new URL('../fixtures/ocio/', import.meta.url));
const CONFIG = path.join(FIXTURES, 'config.ocio');
const OIIOTOOL = TOOLS.find('oiiotool');

/** The tools a test renders with: the environment's, or (withOiiotool) another oiiotool. */
let tools = TOOLS;
function withOiiotool(oiiotool: string): void {
  const env = readEnvironment();
  tools = new MediaTools({ ...env, tools: { ...env.tools, oiiotool } });
}

/** What the fixture's views make of scene-linear mid-grey 0.18, in 8-bit code values. */
const GREY = 0.18;
const EXPECT = {
  standard: (1.055 * Math.pow(GREY, 1 / 2.4) - 0.055) * 255, // sRGB/Standard: the sRGB OETF, ≈118
  quarterPower: Math.pow(GREY, 0.25) * 255, // sRGB/Quarter Power: the LUT y = x^(1/4), ≈166
  raw: GREY * 255, // Raw/Linear: no encoding at all, ≈46
};

// The OCIO settings a library reads from this environment (config/environment.ts) and passes to
// the renderers: each test says which environment it renders under.
type EnvKey = 'OCIO' | 'MONTU_OCIO_DISPLAY' | 'MONTU_OCIO_VIEW';
let ocio: OcioSettings = readEnvironment({}).ocio;
function setEnv(vars: Partial<Record<EnvKey, string>>): void {
  ocio = readEnvironment(vars).ocio;
}
function restoreEnv(): void {
  ocio = readEnvironment({}).ocio;
}

let dir: string;
let grey: string;
let greyMeta: MediaMetadata;
const prober = new MediaProber({ tools: TOOLS });

beforeAll(async () => {
  dir = await tmpDir('montu-ocio-test-');
  grey = path.join(dir, 'grey.exr');
  await writeFlatExr(grey, GREY, 96, 64);
  greyMeta = await prober.probe(grey);
});
afterAll(async () => {
  restoreEnv();
  await prober.close();
  await fsp.rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  calls.length = 0;
});
afterEach(async () => {
  restoreEnv();
  if (tools !== TOOLS) await tools.close();
  tools = TOOLS;
});

async function means(data: Buffer): Promise<number[]> {
  const { channels } = await sharp(data).stats();
  return channels.slice(0, 3).map((c) => c.mean);
}
function expectNear(values: number[], expected: number, tolerance = 8): void {
  for (const v of values) expect(Math.abs(v - expected)).toBeLessThanOrEqual(tolerance);
}
async function oiiotool(args: string[]): Promise<void> {
  await exec(OIIOTOOL!, args);
}

describe('OCIO unset, or oiiotool missing: the built-in transform', () => {
  it('without $OCIO a linear EXR gets the built-in sRGB transform', async () => {
    setEnv({});
    const t = await createThumbnail(grey, greyMeta, { tools, ocio });
    expect(t.transform).toBe('srgb');
    expectNear(await means(t.data), EXPECT.standard);
    expect(calls.filter((c) => c.cmd === tools.paths.oiiotool)).toEqual([]);
  });

  it('with $OCIO set but no oiiotool, the built-in transform (recorded as such) is used', async () => {
    setEnv({ OCIO: CONFIG, MONTU_OCIO_VIEW: 'Quarter Power' });
    withOiiotool(path.join(dir, 'no-such-dir', 'oiiotool'));
    const t = await createThumbnail(grey, greyMeta, { tools, ocio, toneMap: 'filmic' });
    expect(t.transform).toBe('filmic');
    expect(calls.filter((c) => c.cmd === tools.paths.oiiotool)).toEqual([]);
  });
});

if (!OIIOTOOL)
  console.warn(
    'ocio.test.ts: SKIPPING the OCIO rendering tests, oiiotool is not installed ' +
      '(scripts/bootstrap.sh installs the Debian package openimageio-tools)',
  );

describe.skipIf(!OIIOTOOL)('OCIO display/view through oiiotool', () => {
  it("renders with the config's default display and view", async () => {
    setEnv({ OCIO: CONFIG });
    const t = await createThumbnail(grey, greyMeta, { tools, ocio });
    expect(t.transform).toBe('ocio');
    expect([t.width, t.height]).toEqual([96, 64]);
    expectNear(await means(t.data), EXPECT.standard);
  });

  it('MONTU_OCIO_VIEW picks another view of the display: the LUT view renders, not our sRGB', async () => {
    setEnv({ OCIO: CONFIG, MONTU_OCIO_VIEW: 'Quarter Power' });
    const t = await createThumbnail(grey, greyMeta, { tools, ocio });
    expect(t.transform).toBe('ocio');
    expectNear(await means(t.data), EXPECT.quarterPower);
    // Recorded with the rendition, so a studio can tell which display/view made it; the config
    // by file name only (no server path in what API users read).
    expect(t.ocio).toEqual({ config: 'config.ocio', display: 'sRGB', view: 'Quarter Power' });
  });

  it("MONTU_OCIO_DISPLAY picks another display (with that display's default view)", async () => {
    setEnv({ OCIO: CONFIG, MONTU_OCIO_DISPLAY: 'Raw' });
    const t = await createThumbnail(grey, greyMeta, { tools, ocio, format: 'webp' });
    expect(t.transform).toBe('ocio');
    expectNear(await means(t.data), EXPECT.raw);
    expect(t.ocio).toEqual({ config: 'config.ocio', display: 'Raw', view: 'Linear' });
  });

  it('the web image goes through the same display/view, at full size', async () => {
    setEnv({ OCIO: CONFIG, MONTU_OCIO_VIEW: 'Quarter Power' });
    const web = await createWebImage(grey, greyMeta, { tools, ocio });
    expect(web.transform).toBe('ocio');
    expect([web.width, web.height]).toEqual([96, 64]);
    expectNear(await means(web.data), EXPECT.quarterPower);
  });

  it('the toneMap option does not override the studio view', async () => {
    setEnv({ OCIO: CONFIG });
    const t = await createThumbnail(grey, greyMeta, { tools, ocio, toneMap: 'filmic' });
    expect(t.transform).toBe('ocio');
    expectNear(await means(t.data), EXPECT.standard);
  });

  it('runs oiiotool without a shell, with the timeout and memory cap, taking every argument literally', async () => {
    setEnv({ OCIO: CONFIG });
    await createThumbnail(grey, greyMeta, { tools, ocio, limits: { thumbnailTimeoutMs: 45_000 } });
    const runs = calls.filter((c) => c.cmd === tools.paths.oiiotool);
    expect(runs.length).toBeGreaterThan(0);
    for (const r of runs) {
      expect(r.opts.timeoutMs).toBe(45_000);
      expect(r.opts.memoryBytes).toBe(8 * 1024 ** 3);
      expect(r.args.slice(0, 5)).toEqual([
        '--wildcardoff',
        '--evaloff',
        '--oiioattrib',
        'try_all_readers',
        '0',
      ]);
      expect(r.args).toContain('--colorconfig');
      expect(r.args[r.args.indexOf('--colorconfig') + 1]).toBe(CONFIG);
    }
    const render = runs.find((r) => r.args.includes('-i'))!;
    const input = render.args[render.args.indexOf('-i') + 1]!;
    // The input is a link of our own with the sniffed format's extension, not the caller's name.
    expect(path.basename(input)).toBe('input.exr');
    expect(render.args).toContain('--ociodisplay:from=scene_linear');
  });

  it('a file name with shell, wildcard and expression characters is rendered and nothing else happens', async () => {
    setEnv({ OCIO: CONFIG });
    const sub = path.join(dir, 'hostile');
    await fsp.mkdir(sub);
    const file = path.join(sub, '-shot $(touch PWNED) `touch PWNED` {TOP.width} #%04d@.exr');
    await fsp.copyFile(grey, file);
    const t = await createThumbnail(file, greyMeta, { tools, ocio });
    expect(t.transform).toBe('ocio');
    expectNear(await means(t.data), EXPECT.standard);
    expect(await fsp.readdir(sub)).toEqual([path.basename(file)]);
    expect(fs.existsSync('PWNED')).toBe(false);
  });

  it('reads a file only as its sniffed format: PNG bytes in an EXR are refused, not decoded as PNG', async () => {
    setEnv({ OCIO: CONFIG });
    const fake = path.join(dir, 'fake.exr');
    await sharp({ create: { width: 96, height: 64, channels: 3, background: '#808080' } })
      .png()
      .toFile(fake);
    const err = await createThumbnail(fake, greyMeta, { tools, ocio }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessingError);
    expect((err as Error).message).toMatch(/is not an OpenEXR file/);
  });

  it.skipIf(!fs.existsSync(PRLIMIT))('oiiotool runs under the memory cap', async () => {
    setEnv({ OCIO: CONFIG });
    const cap = 16 * 1024 * 1024;
    const err = await createThumbnail(grey, greyMeta, {
      tools,
      ocio,
      limits: { toolMemoryBytes: cap },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessingError);
    expect((err as Error).message).toContain(`memory cap ${cap} bytes`);
  });

  it.skipIf(!findTool('strace', readEnvironment().path))(
    'opens only the picture, the config and its LUT; no network',
    async () => {
      setEnv({ OCIO: CONFIG, MONTU_OCIO_VIEW: 'Quarter Power' });
      const traceDir = path.join(dir, 'strace');
      await fsp.mkdir(traceDir);
      // A wrapper in place of oiiotool that runs the real one under strace (test only).
      const wrapper = path.join(traceDir, 'oiiotool-traced');
      await fsp.writeFile(
        wrapper,
        `#!/bin/sh\nexec strace -f -qq -o "${traceDir}/trace.$$" -e trace=%file,%network "${OIIOTOOL}" "$@"\n`,
        { mode: 0o755 },
      );
      withOiiotool(wrapper);
      const file = path.join(dir, 'traced.exr');
      await fsp.copyFile(grey, file);
      const t = await createThumbnail(file, greyMeta, { tools, ocio });
      expect(t.transform).toBe('ocio');
      expectNear(await means(t.data), EXPECT.quarterPower);
      const logs = (await fsp.readdir(traceDir)).filter((f) => f.startsWith('trace.'));
      expect(logs.length).toBeGreaterThanOrEqual(1);
      const trace = (await Promise.all(logs.map((f) => fsp.readFile(path.join(traceDir, f), 'utf8')))).join(
        '\n',
      );
      expect(trace).not.toMatch(/\b(socket|connect|bind|sendto|sendmsg)\(/);
      const opened = new Set<string>();
      for (const m of trace.matchAll(/\bopen(?:at)?\((?:AT_FDCWD, )?"([^"]+)", [^)]*\) = \d+/g))
        opened.add(m[1]!);
      const outside = [...opened].filter((p) => !/^\/(usr|lib|lib64|etc|proc|sys|dev)\//.test(p));
      // oiiotool writes display.<hash>.temp.png and renames it to display.png.
      const ours = outside.filter((p) =>
        /\/montu-oiio-[^/]+\/(input\.exr|display\.png|display\.[0-9a-f]+\.temp\.png)$/.test(p),
      );
      expect(outside.filter((p) => !ours.includes(p)).sort()).toEqual(
        [CONFIG, path.join(FIXTURES, 'montu-test-curve.spi1d')].sort(),
      );
      expect(ours.some((p) => p.endsWith('/input.exr'))).toBe(true);
    },
  );
});

describe.skipIf(!OIIOTOOL)('OCIO with a bad config or choice: a clear processing error, no fallback', () => {
  it('a config that does not parse', async () => {
    const broken = path.join(dir, 'broken.ocio');
    await fsp.writeFile(broken, 'ocio_profile_version: 2\nroles: [unterminated\n');
    setEnv({ OCIO: broken });
    const err = await createThumbnail(grey, greyMeta, { tools, ocio }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessingError);
    expect((err as Error).message).toContain(`the OCIO config ${broken} cannot be used`);
    expect((err as Error).message).toMatch(/Error reading OCIO config/);
  });

  it('a config file that does not exist', async () => {
    const missing = path.join(dir, 'nowhere', 'config.ocio');
    setEnv({ OCIO: missing });
    const err = await createThumbnail(grey, greyMeta, { tools, ocio }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessingError);
    expect((err as Error).message).toMatch(/non-existent OCIO config/);
  });

  it('a display or view the config does not have names what it does have', async () => {
    setEnv({ OCIO: CONFIG, MONTU_OCIO_DISPLAY: 'P3' });
    await expect(createThumbnail(grey, greyMeta, { tools, ocio })).rejects.toThrow(
      /MONTU_OCIO_DISPLAY "P3" is not a display .* \(it has "sRGB", "Raw"\)/,
    );
    setEnv({ OCIO: CONFIG, MONTU_OCIO_VIEW: 'Film' });
    await expect(createThumbnail(grey, greyMeta, { tools, ocio })).rejects.toThrow(
      /MONTU_OCIO_VIEW "Film" is not a view of display "sRGB" .* \(it has "Standard", "Quarter Power"\)/,
    );
  });

  it("a view whose LUT file is missing fails when rendering, naming oiiotool's reason", async () => {
    const noLut = path.join(dir, 'no-lut');
    await fsp.mkdir(noLut);
    await fsp.copyFile(CONFIG, path.join(noLut, 'config.ocio'));
    setEnv({ OCIO: path.join(noLut, 'config.ocio') });
    expect((await createThumbnail(grey, greyMeta, { tools, ocio })).transform).toBe('ocio');
    setEnv({ OCIO: path.join(noLut, 'config.ocio'), MONTU_OCIO_VIEW: 'Quarter Power' });
    const err = await createThumbnail(grey, greyMeta, { tools, ocio }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessingError);
    expect((err as Error).message).toContain('OCIO display "sRGB" / view "Quarter Power"');
    expect((err as Error).message).toMatch(/montu-test-curve\.spi1d/);
  });
});

describe.skipIf(!OIIOTOOL)('OCIO with other linear layouts', () => {
  async function ocioAndBuiltIn(file: string) {
    const meta = await prober.probe(file);
    expect(meta.linear).toBe(true);
    setEnv({ OCIO: CONFIG });
    const viaOcio = await createThumbnail(file, meta, { tools, ocio });
    setEnv({});
    const builtIn = await createThumbnail(file, meta, { tools, ocio }).catch(() => null);
    return { meta, ocio: viaOcio, builtIn };
  }

  it('a single-channel (Y) EXR shows grey, not black or tinted', async () => {
    const file = path.join(dir, 'luminance.exr');
    await oiiotool(constantExrArgs([GREY], ['Y'], file));
    const { ocio } = await ocioAndBuiltIn(file);
    expect(ocio.transform).toBe('ocio');
    expectNear(await means(ocio.data), EXPECT.standard);
  });

  it('an EXR holding only layered channels (diffuse.R, …) shows that layer', async () => {
    const file = path.join(dir, 'aov.exr');
    await oiiotool(constantExrArgs([GREY, GREY, GREY], ['diffuse.R', 'diffuse.G', 'diffuse.B'], file));
    const { ocio } = await ocioAndBuiltIn(file);
    expectNear(await means(ocio.data), EXPECT.standard);
  });

  it('display window and pixel aspect give the same size as the built-in path', async () => {
    const windowed = path.join(dir, 'window.exr');
    // 32×24 pixels of data at (10,5) inside a 64×48 display window.
    await oiiotool([
      '--pattern',
      `constant:color=${GREY},${GREY},${GREY}`,
      '32x24',
      '3',
      '--origin',
      '+10+5',
      '--fullsize',
      '64x48+0+0',
      '-d',
      'half',
      '-o',
      windowed,
    ]);
    const w = await ocioAndBuiltIn(windowed);
    expect([w.ocio.width, w.ocio.height]).toEqual([64, 48]);
    expect([w.builtIn!.width, w.builtIn!.height]).toEqual([64, 48]);
    // A quarter of the picture is grey, the rest black.
    expectNear(await means(w.ocio.data), EXPECT.standard / 4, 3);

    // A display window with a negative origin: the data fills its top-left quarter.
    const shifted = path.join(dir, 'shifted.exr');
    await oiiotool([
      '--pattern',
      `constant:color=${GREY},${GREY},${GREY}`,
      '32x24',
      '3',
      '--origin',
      '-16-12',
      '--fullsize',
      '64x48-16-12',
      '-d',
      'half',
      '-o',
      shifted,
    ]);
    const s = await ocioAndBuiltIn(shifted);
    expect([s.ocio.width, s.ocio.height]).toEqual([64, 48]);
    const { data } = await sharp(s.ocio.data).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => data[(y * 64 + x) * 3]!;
    expectNear([at(8, 6), at(24, 18)], EXPECT.standard);
    expectNear([at(40, 6), at(8, 30), at(56, 40)], 0);

    const anamorphic = path.join(dir, 'anamorphic.exr');
    await oiiotool([grey, '--attrib', 'PixelAspectRatio', '2.0', '-o', anamorphic]);
    const a = await ocioAndBuiltIn(anamorphic);
    expect([a.ocio.width, a.ocio.height]).toEqual([192, 64]);
    expect([a.builtIn!.width, a.builtIn!.height]).toEqual([192, 64]);
  });

  it.each(['hdr', 'tif'])('a linear .%s goes through the config too', async (ext) => {
    const file = path.join(dir, `grey-linear.${ext}`);
    await oiiotool([grey, '-d', 'float', '-o', file]);
    const { ocio } = await ocioAndBuiltIn(file);
    expect(ocio.transform).toBe('ocio');
    expectNear(await means(ocio.data), EXPECT.standard);
  });
});

/**
 * The colour-managed viewer (issue 22 item 2, decision 185) in chromium against `montu serve` with
 * the test OCIO config: for EXRs made with oiiotool (a linear ramp with alpha, a ColorChecker-style
 * chart with a highlight) and one from the corpus, the viewer's canvas — read back pixel for
 * pixel — equals `oiiotool --ociodisplay` of the same file for every display/view of the config;
 * exposure +1 doubles the probed linear value (and equals oiiotool's `--mulc 2`); channel and
 * luminance isolation show the channel in grey (equal to oiiotool's channel copy through the
 * view); alpha is shown as it is. The viewer starts on the thumbnails' own display/view.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT,
  e2eReady,
  ffmpeg,
  launchChromium,
  seedProject,
  shot,
  signedInPage,
  startServe,
  uploadFile,
  waitProcessed,
  type Served,
  type WatchedPage,
} from './harness.js';
import { writeChartExr, writeHalfExr } from '../packages/core/test/helpers/float-images.js';
import {
  OCIO_CONFIG,
  OIIOTOOL,
  floatCanvasPixels,
  hasOiiotool,
  maxError,
  oiioDisplay,
} from './float-canvas.js';

const CORPUS_EXR = path.join(ROOT, 'test/corpus/media/image/GammaChart.exr');
const PROJECT = 'COL';
const ready = e2eReady && hasOiiotool;

const PATCH = 16;

interface Item {
  name: string;
  file: string;
  id: string;
}

let served: Served;
let browser: Browser;
let w: WatchedPage;
const items: Item[] = [];
let views: {
  displays: Array<{ name: string; views: Array<{ name: string }> }>;
  default: { display: string; view: string };
};
/** Max error per image and display/view, for the report and docs/review.md. */
const measured: string[] = [];

async function openViewer(item: Item): Promise<void> {
  await w.page.goto(`${served.base}/m/${encodeURIComponent(item.id)}`);
  await w.page.getByTestId('float-canvas').waitFor({ timeout: 20_000 });
}

async function chooseView(display: string, view: string): Promise<void> {
  await w.page.getByLabel('Display and view').selectOption(JSON.stringify([display, view]));
}

describe.skipIf(!ready)('colour-managed viewer in chromium (WebGL2) against oiiotool', () => {
  beforeAll(async () => {
    served = await startServe({ env: { OCIO: OCIO_CONFIG } });
    const dir = served.work;
    // A ramp: grey 0–8 (top), a colour ramp (middle), grey 0–1 (bottom); alpha rises left to right.
    const ramp = path.join(dir, 'ramp.exr');
    const rw = 256;
    const rh = 24;
    writeHalfExr(
      OIIOTOOL,
      ramp,
      rw,
      rh,
      (x, y) => {
        const t = x / (rw - 1);
        if (y < 8) return [t * 8, t * 8, t * 8];
        if (y < 16) return [t * 4, t * 2, t];
        return [t, t, t];
      },
      (x) => x / (rw - 1),
    );
    const chart = path.join(dir, 'chart.exr');
    writeChartExr(OIIOTOOL, chart, PATCH);

    // A 32-bit float EXR written by ffmpeg (rounded to half in the rendition).
    const float32 = path.join(dir, 'testsrc-float.exr');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x180',
      '-frames:v',
      '1',
      '-pix_fmt',
      'gbrpf32le',
      '-c:v',
      'exr',
      float32,
    ]);
    await seedProject(served, { id: PROJECT, name: 'Colour' }, [['cleo', 'supervisor', 'Cleo Colourist']]);
    for (const [name, file, taskId] of [
      ['ramp', ramp, 'ep01_sq010_sh010_comp'],
      ['chart', chart, 'ep01_sq010_sh020_comp'],
      ['GammaChart', CORPUS_EXR, 'ep01_sq010_sh030_comp'],
      ['float32', float32, 'ep01_sq010_sh040_comp'],
    ] as const) {
      const { id } = await uploadFile(served, file, { projectId: PROJECT, taskId });
      const [done] = await waitProcessed(served, PROJECT, taskId, 1);
      expect(done!.processingState).toBe('ready');
      items.push({ name, file, id });
    }
    views = await served.api('GET', `/projects/${PROJECT}/colour/views`);
    browser = await launchChromium();
    w = await signedInPage(browser, served.base, 'cleo');
  });
  afterAll(async () => {
    if (measured.length) console.log(`colour e2e, max error (8-bit code values):\n${measured.join('\n')}`);
    await browser?.close();
    await served?.stop();
  });

  it('starts on the thumbnails’ display/view, and runs on WebGL2', async () => {
    const item = items[0]!;
    const media = await served.api<{
      files: Array<{ role: string; info: { ocio?: { display: string; view: string } } }>;
    }>('GET', `/media/${item.id}`);
    const thumb = media.files.find((f) => f.role === 'thumbnail')!;
    expect(thumb.info.ocio).toMatchObject(views.default);
    expect(media.files.some((f) => f.role === 'web_float')).toBe(true);
    await openViewer(item);
    const { display, view } = views.default;
    await floatCanvasPixels(w.page, `${display}/${view}|0|1|rgb`);
    const renderer = await w.page.evaluate(() => {
      const gl = document.createElement('canvas').getContext('webgl2');
      const info = gl?.getExtension('WEBGL_debug_renderer_info');
      return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : 'none';
    });
    console.log(`WebGL2 renderer: ${renderer}`);
    expect(renderer).not.toBe('none');
  });

  it('equals oiiotool --ociodisplay for every display/view of the config (whole images)', async () => {
    for (const item of items) {
      await openViewer(item);
      for (const d of views.displays)
        for (const v of d.views) {
          await chooseView(d.name, v.name);
          const { width, height, rgba } = await floatCanvasPixels(w.page, `${d.name}/${v.name}|0|1|rgb`);
          const ref = oiioDisplay(served.work, item.file, d.name, v.name);
          expect(ref.length).toBe(width * height * 3);
          const { max, over1 } = maxError(rgba, ref);
          measured.push(
            `${item.name} ${width}×${height} ${d.name}/${v.name}: max ${max}, ${over1} values over 1`,
          );
          // Every view within 1/255, Quarter Power's 33-entry 1D LUT included since its first
          // knot sits on a lattice entry (decision 216).
          expect(max, `${item.name} ${d.name}/${v.name}`).toBeLessThanOrEqual(1);
        }
      await shot(w.page, `colour-${item.name}`);
    }
  });

  it('exposure +1 doubles the probed linear value and equals oiiotool --mulc 2', async () => {
    const chart = items[1]!;
    await openViewer(chart);
    const { display, view } = views.default;
    await floatCanvasPixels(w.page, `${display}/${view}|0|1|rgb`);
    // Probe patch 2 (0.544, 0.304, 0.222) at its centre.
    const canvas = w.page.getByTestId('float-canvas');
    const box = (await canvas.boundingBox())!;
    const at = (x: number, y: number) =>
      w.page.mouse.move(
        box.x + ((x + 0.5) / (6 * PATCH)) * box.width,
        box.y + ((y + 0.5) / (4 * PATCH)) * box.height,
      );
    const probed = async (): Promise<number[]> => {
      const text = (await w.page.getByTestId('probe').textContent()) ?? '';
      const m = /R (\S+) G (\S+) B (\S+) A (\S+)/.exec(text);
      if (!m) throw new Error(`no probe values in "${text}"`);
      return m.slice(1).map(Number);
    };
    await at(PATCH + 8, 8);
    await expect.poll(() => w.page.getByTestId('probe').textContent()).toMatch(/^24,8 /);
    const before = await probed();
    // Half precision of the chart values, printed to 4 decimals.
    expect(before[0]).toBeCloseTo(0.544, 3);
    expect(before[1]).toBeCloseTo(0.304, 3);
    expect(before[2]).toBeCloseTo(0.222, 3);
    const slider = w.page.getByLabel('Exposure (stops)');
    await slider.focus();
    for (let i = 0; i < 10; i++) await slider.press('ArrowRight');
    const { rgba } = await floatCanvasPixels(w.page, `${display}/${view}|1|1|rgb`);
    await at(PATCH + 8, 8);
    await expect.poll(async () => (await probed())[0]).toBeCloseTo(before[0]! * 2, 3);
    const after = await probed();
    for (let c = 0; c < 3; c++) expect(after[c]).toBeCloseTo(before[c]! * 2, 3);
    expect(after[3]).toBe(1);
    const { max } = maxError(rgba, oiioDisplay(served.work, chart.file, display, view, ['--mulc', '2']));
    measured.push(`chart exposure +1 ${display}/${view}: max ${max}`);
    expect(max).toBeLessThanOrEqual(1);
    await shot(w.page, 'colour-chart-exposure+1');
    await w.page.getByRole('button', { name: 'Reset' }).click();
    await floatCanvasPixels(w.page, `${display}/${view}|0|1|rgb`);
  });

  it('channel and luminance isolation show the channel in grey; alpha as it is', async () => {
    const ramp = items[0]!;
    await openViewer(ramp);
    const { display, view } = views.default;
    const channels = w.page.getByRole('group', { name: 'Channels' });
    const cases: Array<[string, string, string[]]> = [
      ['R', 'r', ['--ch', 'R=R,G=R,B=R']],
      ['G', 'g', ['--ch', 'R=G,G=G,B=G']],
      ['B', 'b', ['--ch', 'R=B,G=B,B=B']],
      ['Y', 'luminance', ['--chsum:weight=0.2126,0.7152,0.0722', '--ch', 'R=Y,G=Y,B=Y']],
    ];
    for (const [button, channel, pre] of cases) {
      await channels.getByRole('button', { name: button, exact: true }).click();
      const { rgba } = await floatCanvasPixels(w.page, `${display}/${view}|0|1|${channel}`);
      for (let i = 0; i < rgba.length; i += 4) {
        expect(rgba[i + 1]).toBe(rgba[i]);
        expect(rgba[i + 2]).toBe(rgba[i]);
      }
      const { max } = maxError(rgba, oiioDisplay(served.work, ramp.file, display, view, pre));
      measured.push(`ramp channel ${channel} ${display}/${view}: max ${max}`);
      expect(max, channel).toBeLessThanOrEqual(1);
      if (channel === 'g') await shot(w.page, 'colour-ramp-green');
    }
    await channels.getByRole('button', { name: 'A', exact: true }).click();
    const { width, rgba } = await floatCanvasPixels(w.page, `${display}/${view}|0|1|a`);
    for (let x = 0; x < width; x++) {
      const a = Math.round((x / (width - 1)) * 255);
      // Half floats carry the alpha to within half an 8-bit step.
      expect(Math.abs(rgba[x * 4]! - a), `alpha at x=${x}`).toBeLessThanOrEqual(1);
      expect(rgba[x * 4 + 1]).toBe(rgba[x * 4]);
    }
    await shot(w.page, 'colour-ramp-alpha');
    await channels.getByRole('button', { name: 'RGB', exact: true }).click();
    await floatCanvasPixels(w.page, `${display}/${view}|0|1|rgb`);
  });

  it('shows no console errors', () => {
    expect(w.errors).toEqual([]);
  });
});

/**
 * The colour-managed viewer on a float image sequence (issue 22 item 2, decision 217) in chromium
 * against `montu serve` with the test OCIO config: an EXR sequence (the chart at three
 * exposures) opens paused on its first frame through FloatStage; stepping fetches the next
 * frame's float rendition, and the canvas — read back pixel for pixel — equals
 * `oiiotool --ociodisplay` of that frame's file for every display/view of the config.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT,
  e2eReady,
  launchChromium,
  seedProject,
  shot,
  signedInPage,
  startServe,
  waitProcessed,
  type Served,
  type WatchedPage,
} from './harness.js';
import { writeChartExr } from '../packages/core/test/helpers/float-images.js';

const OIIOTOOL = '/usr/bin/oiiotool';
const CONFIG = path.join(ROOT, 'packages/core/test/fixtures/ocio/config.ocio');
const PROJECT = 'SEQC';
const TASK = 'ep01_sq010_sh010_comp';
const PATCH = 12;
/** Frame → the chart's gain in that frame. */
const GAINS: ReadonlyArray<readonly [number, number]> = [
  [1001, 1],
  [1002, 2],
  [1003, 0.5],
];
const ready = e2eReady && existsSync(OIIOTOOL);

/** oiiotool's 8-bit rendering of `file` through a display/view, as the thumbnails run it. */
function reference(file: string, display: string, view: string): Uint8Array {
  const out = path.join(served.work, `ref-${Math.random().toString(36).slice(2)}.ppm`);
  execFileSync(OIIOTOOL, [
    '--colorconfig',
    CONFIG,
    file,
    '--ch',
    'R,G,B',
    '--ociodisplay:from=scene_linear',
    display,
    view,
    '-d',
    'uint8',
    '-o',
    out,
  ]);
  const buf = readFileSync(out);
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(buf.subarray(0, 64).toString('latin1'))!;
  return new Uint8Array(buf.subarray(m[0].length, m[0].length + Number(m[1]) * Number(m[2]) * 3));
}

/** The canvas's RGBA (rows top to bottom) once it shows frame `frame` drawn as `drawn`. */
async function canvasPixels(page: Page, frame: number, drawn: string): Promise<Uint8Array> {
  const canvas = page.getByTestId('float-canvas');
  await expect
    .poll(() => canvas.getAttribute('data-picture'), { timeout: 60_000 })
    .toMatch(new RegExp(`/files/frames/${frame}/float$`));
  await expect.poll(() => canvas.getAttribute('data-drawn'), { timeout: 30_000 }).toBe(drawn);
  const { width, height, data } = await canvas.evaluate((c: HTMLCanvasElement) => {
    const gl = c.getContext('webgl2')!;
    const px = new Uint8Array(c.width * c.height * 4);
    gl.readPixels(0, 0, c.width, c.height, gl.RGBA, gl.UNSIGNED_BYTE, px);
    let s = '';
    for (let i = 0; i < px.length; i += 0x8000) s += String.fromCharCode(...px.subarray(i, i + 0x8000));
    return { width: c.width, height: c.height, data: btoa(s) };
  });
  expect([width, height]).toEqual([6 * PATCH, 4 * PATCH]);
  const raw = Buffer.from(data, 'base64');
  const rgba = new Uint8Array(raw.length);
  const row = width * 4;
  for (let y = 0; y < height; y++)
    rgba.set(raw.subarray((height - 1 - y) * row, (height - y) * row), y * row);
  return rgba;
}

function maxError(rgba: Uint8Array, rgb: Uint8Array): number {
  let max = 0;
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3)
    for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(rgba[i + c]! - rgb[j + c]!));
  return max;
}

let served: Served;
let browser: Browser;
let w: WatchedPage;
let sequenceId: string;
const frameFiles = new Map<number, string>();
let views: {
  displays: Array<{ name: string; views: Array<{ name: string }> }>;
  default: { display: string; view: string };
};

describe.skipIf(!ready)('colour-managed viewer on a float EXR sequence (chromium, WebGL2)', () => {
  beforeAll(async () => {
    served = await startServe({ env: { OCIO: CONFIG } });
    const chart = path.join(served.work, 'chart.exr');
    writeChartExr(OIIOTOOL, chart, PATCH);
    for (const [frame, gain] of GAINS) {
      const file = path.join(served.work, `plate.${frame}.exr`);
      execFileSync(OIIOTOOL, [chart, '--mulc', String(gain), '-d', 'half', '-o', file]);
      frameFiles.set(frame, file);
    }
    await seedProject(served, { id: PROJECT, name: 'Sequence colour' }, [['cleo', 'supervisor', 'Cleo']]);
    // The sequence upload API: declare the frames, send each, commit.
    const started = await served.api<{ uploadId: string }>('POST', '/uploads/sequences', {
      projectId: PROJECT,
      taskId: TASK,
      frames: GAINS.map(([frame]) => ({
        frame,
        fileName: path.basename(frameFiles.get(frame)!),
        size: statSync(frameFiles.get(frame)!).size,
      })),
    });
    for (const [frame] of GAINS) {
      const res = await fetch(`${served.base}/api/v1/uploads/sequences/${started.uploadId}/frames/${frame}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${served.adminToken}` },
        body: readFileSync(frameFiles.get(frame)!),
      });
      expect(res.ok, `frame ${frame}: ${res.status}`).toBe(true);
    }
    await served.api('POST', `/uploads/sequences/${started.uploadId}/complete`, {});
    const [done] = await waitProcessed(served, PROJECT, TASK, 1);
    expect(done!.processingState).toBe('ready');
    sequenceId = done!.id;
    views = await served.api('GET', `/projects/${PROJECT}/colour/views`);
    browser = await launchChromium();
    w = await signedInPage(browser, served.base, 'cleo');
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('opens paused on the first frame through FloatStage, equal to oiiotool', async () => {
    await w.page.goto(`${served.base}/m/${encodeURIComponent(sequenceId)}`);
    await w.page.getByTestId('float-canvas').waitFor({ timeout: 30_000 });
    const { display, view } = views.default;
    const rgba = await canvasPixels(w.page, 1001, `${display}/${view}|0|1|rgb`);
    expect(maxError(rgba, reference(frameFiles.get(1001)!, display, view))).toBeLessThanOrEqual(1);
    await expect.poll(() => w.page.getByTestId('frame-counter').textContent()).toBe('1001');
  });

  it('stepping shows the next frame from its own float rendition, for every display/view', async () => {
    const next = w.page.getByRole('button', { name: 'Next frame' });
    await next.click();
    await next.blur();
    await expect.poll(() => w.page.getByTestId('frame-counter').textContent()).toBe('1002');
    const measured: string[] = [];
    for (const d of views.displays)
      for (const v of d.views) {
        await w.page.getByLabel('Display and view').selectOption(JSON.stringify([d.name, v.name]));
        const rgba = await canvasPixels(w.page, 1002, `${d.name}/${v.name}|0|1|rgb`);
        const max = maxError(rgba, reference(frameFiles.get(1002)!, d.name, v.name));
        measured.push(`frame 1002 ${d.name}/${v.name}: ${max}`);
        expect(max, `${d.name}/${v.name}`).toBeLessThanOrEqual(1);
      }
    console.log(`sequence colour e2e, max error (8-bit code values):\n${measured.join('\n')}`);
    // The arrow key steps too; the view chosen stays.
    await w.page.keyboard.press('ArrowRight');
    await expect.poll(() => w.page.getByTestId('frame-counter').textContent()).toBe('1003');
    const last = views.displays.at(-1)!;
    const lastView = last.views.at(-1)!;
    const rgba = await canvasPixels(w.page, 1003, `${last.name}/${lastView.name}|0|1|rgb`);
    expect(maxError(rgba, reference(frameFiles.get(1003)!, last.name, lastView.name))).toBeLessThanOrEqual(1);
    await shot(w.page, 'sequence-colour');
    // Playing shows the proxy; paused again, the frame on screen is float once more.
    await w.page.keyboard.press('Space');
    await expect.poll(() => w.page.getByTestId('float-canvas').count()).toBe(0);
    // Paused once the video really plays (a pause before play() settles is a page error).
    await w.page.waitForFunction(() => {
      const v = document.querySelector('video')!;
      return !v.paused && v.readyState >= 3 && !v.seeking;
    });
    await w.page.keyboard.press('Space');
    await w.page.waitForFunction(() => !document.querySelector('video')!.seeking);
    const paused = Number(await w.page.getByTestId('frame-counter').textContent());
    expect(frameFiles.has(paused)).toBe(true);
    const again = await canvasPixels(w.page, paused, `${last.name}/${lastView.name}|0|1|rgb`);
    expect(maxError(again, reference(frameFiles.get(paused)!, last.name, lastView.name))).toBeLessThanOrEqual(
      1,
    );
    // Each frame the viewer showed now has its float rendition recorded.
    const media = await served.api<{ files: Array<{ role: string; frame: number | null }> }>(
      'GET',
      `/media/${sequenceId}`,
    );
    expect(
      media.files
        .filter((f) => f.role === 'frame_float')
        .map((f) => f.frame)
        .sort(),
    ).toEqual([1001, 1002, 1003]);
    expect(w.errors).toEqual([]);
  });
});

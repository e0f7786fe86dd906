/**
 * The colour-managed viewer on a float image sequence (issue 22 item 2, decision 217) in chromium
 * against `montu serve` with the test OCIO config: an EXR sequence (the chart at three
 * exposures) opens paused on its first frame through FloatStage; stepping fetches the next
 * frame's float rendition, and the canvas — read back pixel for pixel — equals
 * `oiiotool --ociodisplay` of that frame's file for every display/view of the config.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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
import {
  OCIO_CONFIG,
  OIIOTOOL,
  floatCanvasPixels,
  hasOiiotool,
  maxError,
  oiioDisplay,
} from './float-canvas.js';

const PROJECT = 'SEQC';
const TASK = 'ep01_sq010_sh010_comp';
const PATCH = 12;
/** Frame → the chart's gain in that frame. */
const GAINS: ReadonlyArray<readonly [number, number]> = [
  [1001, 1],
  [1002, 2],
  [1003, 0.5],
];
const ready = e2eReady && hasOiiotool;

/** The canvas's RGBA (rows top to bottom) once it shows frame `frame` drawn as `drawn`. */
async function canvasPixels(page: Page, frame: number, drawn: string): Promise<Uint8Array> {
  const { width, height, rgba } = await floatCanvasPixels(
    page,
    drawn,
    new RegExp(`/files/frames/${frame}/float$`),
  );
  expect([width, height]).toEqual([6 * PATCH, 4 * PATCH]);
  return rgba;
}

const maxErr = (rgba: Uint8Array, rgb: Uint8Array): number => maxError(rgba, rgb).max;

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
    served = await startServe({ env: { OCIO: OCIO_CONFIG } });
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
    expect(maxErr(rgba, oiioDisplay(served.work, frameFiles.get(1001)!, display, view))).toBeLessThanOrEqual(
      1,
    );
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
        const max = maxErr(rgba, oiioDisplay(served.work, frameFiles.get(1002)!, d.name, v.name));
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
    expect(
      maxErr(rgba, oiioDisplay(served.work, frameFiles.get(1003)!, last.name, lastView.name)),
    ).toBeLessThanOrEqual(1);
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
    expect(
      maxErr(again, oiioDisplay(served.work, frameFiles.get(paused)!, last.name, lastView.name)),
    ).toBeLessThanOrEqual(1);
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

/**
 * A live review session on one float still (issue 22 items 1–3, decisions 186 and 215): an artist
 * starts the session from the viewer (a single version, not a playlist); a supervisor and another
 * artist follow. The driver's display/view, exposure, gamma and channel reach every follower's
 * WebGL2 canvas — read back pixel for pixel, equal to the driver's and to oiiotool's rendering of
 * the same file through the same view; the driver's drawing in progress appears on the
 * followers' pictures (their drawing canvas's pixels); a follower's note lands on the item with
 * its author; a supervisor takes control, an artist who neither drives nor owns the session
 * cannot.
 */
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
  uploadFile,
  waitProcessed,
  type Served,
  type WatchedPage,
} from './harness.js';
import { OCIO_CONFIG, floatCanvasPixels, hasOiiotool, maxError, oiio, oiioDisplay } from './float-canvas.js';

const PROJECT = 'LIVEC';
const TASK = 'ep01_sq010_sh010_comp';
const LONG = { timeout: 30_000 };
const ready = e2eReady && hasOiiotool;

/** The float canvas's pixels (RGBA, rows top to bottom) once it shows `drawn`. */
const canvasPixels = async (page: Page, drawn: string): Promise<Uint8Array> =>
  (await floatCanvasPixels(page, drawn)).rgba;
const maxErr = (rgba: Uint8Array, rgb: Uint8Array): number => maxError(rgba, rgb).max;

/** How many pixels of the page's drawing overlay are painted (alpha > 0). */
function drawnPixels(page: Page): Promise<number> {
  return page.getByTestId('drawing-canvas').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
    return n;
  });
}

/** Sets a range input as a user's drag does (React listens to the input event). */
async function slide(page: Page, label: string, value: number): Promise<void> {
  await page.getByLabel(label).evaluate((el: HTMLInputElement, v: number) => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(el, String(v));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

describe.skipIf(!ready)('a live session on a float still: the colour view, drawing and control', () => {
  let served: Served;
  let browser: Browser;
  let ramp = '';
  let mediaId = '';
  const pages: WatchedPage[] = [];

  async function signedIn(username: string): Promise<WatchedPage> {
    const w = await signedInPage(browser, served.base, username);
    pages.push(w);
    return w;
  }

  beforeAll(async () => {
    served = await startServe({ env: { OCIO: OCIO_CONFIG } });
    // Scene-linear ramps 0–4 (red), 0–2 (green), 0–1 (blue), left to right, as half floats.
    ramp = path.join(served.work, 'ramp.exr');
    oiio(['--pattern', 'fill:left=0,0,0:right=4,2,1', '128x32', '3', '-d', 'half', '-o', ramp]);
    await seedProject(served, { id: PROJECT, name: 'Live colour' }, [
      ['sup', 'supervisor', 'Sup'],
      ['bea', 'artist', 'Bea'],
      ['cal', 'artist', 'Cal'],
    ]);
    mediaId = (await uploadFile(served, ramp, { projectId: PROJECT, taskId: TASK })).id;
    const [done] = await waitProcessed(served, PROJECT, TASK, 1);
    expect(done!.processingState).toBe('ready');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it("followers see the driver's view, exposure, channel and drawing; a supervisor takes control", async () => {
    const bea = await signedIn('bea');
    const sup = await signedIn('sup');
    const cal = await signedIn('cal');

    // An artist starts a session from the viewer of one version.
    await bea.page.goto(`${served.base}/m/${mediaId}`);
    await bea.page.getByRole('button', { name: 'Start live review' }).click();
    await bea.page.waitForURL(/\/review-sessions\//);
    const joinPath = new URL(bea.page.url()).pathname;
    await bea.page.getByText('You are driving').waitFor();
    for (const w of [sup, cal]) {
      await w.page.goto(`${served.base}${joinPath}`);
      await w.page.getByText('bea is driving').waitFor();
    }

    // The session opens on the thumbnails' view; a follower's controls show it but are locked.
    const views = await served.api<{ default: { display: string; view: string } }>(
      'GET',
      `/projects/${PROJECT}/colour/views`,
    );
    const first = `${views.default.display}/${views.default.view}|0|1|rgb`;
    const opened = await canvasPixels(bea.page, first);
    expect(await canvasPixels(cal.page, first)).toEqual(opened);
    expect(
      maxErr(opened, oiioDisplay(served.work, ramp, views.default.display, views.default.view)),
    ).toBeLessThanOrEqual(1);
    await expect.poll(() => cal.page.getByLabel('Display and view').isDisabled()).toBe(true);

    // The driver picks another view and exposure +1 (two changes in quick succession): every
    // follower's canvas is the driver's, pixel for pixel, and oiiotool's ×2 through that view.
    await bea.page.getByLabel('Display and view').selectOption(JSON.stringify(['sRGB', 'Quarter Power']));
    await slide(bea.page, 'Exposure (stops)', 1);
    const bright = 'sRGB/Quarter Power|1|1|rgb';
    const driverBright = await canvasPixels(bea.page, bright);
    for (const w of [sup, cal]) expect(await canvasPixels(w.page, bright)).toEqual(driverBright);
    const qp = maxErr(driverBright, oiioDisplay(served.work, ramp, 'sRGB', 'Quarter Power', ['--mulc', '2']));
    // Within 1/255 through every view of the config (Quarter Power included, decision 216).
    expect(qp).toBeLessThanOrEqual(1);
    console.log(`session colour: sRGB/Quarter Power at +1 stop, max error against oiiotool ${qp}/255`);
    await expect
      .poll(() => cal.page.locator('.session-caption').textContent(), LONG)
      .toContain('view sRGB / Quarter Power');

    // Channel isolation: red in grey on every follower.
    await bea.page.getByLabel('Channel').selectOption('r');
    const red = await canvasPixels(cal.page, 'sRGB/Quarter Power|1|1|r');
    for (let i = 0; i < red.length; i += 4) expect([red[i + 1], red[i + 2]]).toEqual([red[i], red[i]]);
    expect(
      maxErr(
        red,
        oiioDisplay(served.work, ramp, 'sRGB', 'Quarter Power', ['--mulc', '2', '--ch', 'R=R,G=R,B=R']),
      ),
    ).toBeLessThanOrEqual(1);
    await shot(cal.page, 'session-colour-follower');

    // The driver draws a rectangle: the followers' pictures show it while it is in progress.
    expect(await drawnPixels(cal.page)).toBe(0);
    await bea.page.getByRole('button', { name: 'Rectangle' }).click();
    const box = (await bea.page.getByTestId('drawing-canvas').boundingBox())!;
    await bea.page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
    await bea.page.mouse.down();
    await bea.page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6, { steps: 5 });
    await bea.page.mouse.up();
    await expect.poll(() => drawnPixels(cal.page), LONG).toBeGreaterThan(100);
    await expect.poll(() => drawnPixels(sup.page), LONG).toBeGreaterThan(100);
    await shot(sup.page, 'session-drawing-follower');

    // A follower's note: on the item, with its author, for everyone.
    await cal.page.getByLabel('Note on the current frame').fill('the red clips early');
    await cal.page.getByRole('button', { name: 'Add note' }).click();
    await expect
      .poll(() => bea.page.locator('.session-notes li').allTextContents(), LONG)
      .toEqual([expect.stringMatching(/^cal · ep01_sq010_sh010_comp v\d+/)]);
    expect(await bea.page.locator('.session-notes li').getAttribute('data-media')).toBe(mediaId);

    // The driver's note carries the drawing and clears it for everyone.
    await bea.page.getByLabel('Note on the current frame').fill('keep this box');
    await bea.page.getByRole('button', { name: 'Add note' }).click();
    await expect.poll(() => drawnPixels(cal.page), LONG).toBe(0);
    const notes = await served.api<Array<{ author: string; content: string; drawing: unknown }>>(
      'GET',
      `/media/${mediaId}/annotations`,
    );
    expect(notes.map((n) => [n.author, n.content, n.drawing !== null]).sort()).toEqual([
      ['bea', 'keep this box', true],
      ['cal', 'the red clips early', false],
    ]);

    // Control: an artist who neither drives nor owns the session is offered none; the supervisor
    // takes it, and the colour view stays the session's.
    expect(await cal.page.getByRole('button', { name: 'Take control' }).count()).toBe(0);
    await sup.page.getByRole('button', { name: 'Take control' }).click();
    await sup.page.getByText('You are driving').waitFor(LONG);
    await bea.page.getByText('sup is driving').waitFor(LONG);
    await expect.poll(() => sup.page.getByLabel('Display and view').isDisabled()).toBe(false);
    await expect.poll(() => bea.page.getByLabel('Display and view').isDisabled()).toBe(true);
    await sup.page.getByLabel('Channel').selectOption('rgb');
    expect(await canvasPixels(bea.page, bright)).toEqual(driverBright);

    for (const [i, w] of pages.entries())
      expect({ page: i, errors: w.errors }).toEqual({ page: i, errors: [] });
  }, 240_000);
});

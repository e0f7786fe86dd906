/**
 * The README's pictures, taken from the running app with seeded media: a real clip of the test
 * corpus (test/corpus/media/video/sample.mp4, a deer, 1080p 23.976 with sound; MIT) as v001 and
 * a graded v002 of the same shot, notes by a supervisor (one with a drawing) and an artist's
 * reply. The viewer on the drawn note's frame (picture, drawing, timeline with thumbnails,
 * markers and waveform, the notes panel) and compare (wipe at the same frame).
 *
 * Each run saves them to e2e/screenshots/readme-*.png; with MONTU_UPDATE_DOCS_IMAGES=1 it also
 * writes docs/images/{viewer,compare}.jpg, which the README shows. Look at them before committing.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT,
  SHOTS,
  e2eReady,
  ffmpeg,
  launchChromium,
  openViewer,
  seedProject,
  shot,
  signedInPage,
  startServe,
  uploadFile,
  waitProcessed,
  type Served,
} from './harness.js';

const PROJECT = 'DEER';
const TASK = 'ep01_sq010_sh040_comp';
const CLIP = path.join(ROOT, 'test/corpus/media/video/sample.mp4');
const DOCS_IMAGES = path.join(ROOT, 'docs/images');
const VIEWPORT = { viewport: { width: 1600, height: 900 } };
/** The frame the supervisor drew on (the clip's index; stored numbering of a movie). */
const FRAME = 10;

let served: Served;
let browser: Browser;
const ids: Record<string, string> = {};
let drawnNote = '';

/**
 * Saves the page as e2e/screenshots/readme-<name>.png, and as docs/images/<name>.jpg when asked
 * (JPEG: a photo-like page is a tenth of the PNG's size in the repository).
 */
async function picture(page: Page, name: string): Promise<void> {
  await shot(page, `readme-${name}`);
  if (process.env['MONTU_UPDATE_DOCS_IMAGES'] === '1') {
    mkdirSync(DOCS_IMAGES, { recursive: true });
    await sharp(path.join(SHOTS, `readme-${name}.png`))
      .jpeg({ quality: 85, mozjpeg: true })
      .toFile(path.join(DOCS_IMAGES, `${name}.jpg`));
  }
}

/** Mean brightness and spread of what the page's first <video> shows: a real frame is neither flat nor black. */
async function videoPicture(page: Page): Promise<{ mean: number; spread: number }> {
  return page.evaluate(() => {
    const v = document.querySelector('video')!;
    const c = document.createElement('canvas');
    c.width = 64;
    c.height = 36;
    const g = c.getContext('2d', { willReadFrequently: true })!;
    g.drawImage(v, 0, 0, 64, 36);
    const d = g.getImageData(0, 0, 64, 36).data;
    const luma: number[] = [];
    for (let i = 0; i < d.length; i += 4) luma.push(0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!);
    const mean = luma.reduce((a, b) => a + b, 0) / luma.length;
    const spread = Math.sqrt(luma.reduce((a, b) => a + (b - mean) ** 2, 0) / luma.length);
    return { mean, spread };
  });
}

describe.skipIf(!e2eReady)('README screenshots from the running app', () => {
  beforeAll(async () => {
    served = await startServe();
    await seedProject(served, { id: PROJECT, name: 'Deer', settings: { defaultFps: '24000/1001' } }, [
      ['ana', 'artist', 'Ana Artist'],
      ['sam', 'supervisor', 'Sam Supervisor'],
    ]);
    // v002: the same shot, graded warmer and more saturated (what a comp artist's next version changes).
    const graded = path.join(served.work, 'sh040_comp_v002.mp4');
    ffmpeg([
      '-i',
      CLIP,
      '-vf',
      'eq=saturation=1.35:gamma=1.08,colorbalance=rm=0.06:bm=-0.05',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'copy',
      graded,
    ]);
    ids['v001'] = (await uploadFile(served, CLIP, { projectId: PROJECT, taskId: TASK, author: 'ana' })).id;
    ids['v002'] = (await uploadFile(served, graded, { projectId: PROJECT, taskId: TASK, author: 'ana' })).id;
    const done = await waitProcessed(served, PROJECT, TASK, 2, 180_000);
    expect(done.map((m) => m.processingState)).toEqual(['ready', 'ready']);

    const note = (body: Record<string, unknown>) =>
      served.api<{ id: string }>('POST', `/media/${ids['v002']}/annotations`, body);
    drawnNote = (
      await note({
        author: 'sam',
        frame: FRAME,
        content: 'The deer sits a touch dark against the path: lift the fur about 1/3 stop, keep the leaves.',
        drawing: {
          version: 1,
          shapes: [
            { type: 'ellipse', cx: 0.775, cy: 0.52, rx: 0.14, ry: 0.33, color: '#ffcc00', width: 0.006 },
            {
              type: 'arrow',
              from: { x: 0.5, y: 0.2 },
              to: { x: 0.655, y: 0.36 },
              color: '#ffcc00',
              width: 0.006,
            },
            {
              type: 'text',
              x: 0.36,
              y: 0.17,
              text: 'lift 1/3 stop',
              color: '#ffcc00',
              width: 0.004,
              size: 0.05,
            },
          ],
        },
      })
    ).id;
    await served.api('POST', `/media/${ids['v002']}/annotations`, {
      author: 'ana',
      parentId: drawnNote,
      content: 'Will do in v003, grading the fur only.',
    });
    await note({ author: 'sam', frame: 4, content: 'Grain in the shadows reads heavier than the plate.' });
    await note({ author: 'sam', frame: 18, frameEnd: 21, content: 'Hold the last frames a touch longer?' });
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('the viewer: a real frame, the drawn note, the timeline and the notes', async () => {
    const { page, errors } = await signedInPage(browser, served.base, 'sam', VIEWPORT);
    await openViewer(page, served.base, ids['v002']!, `?frame=${FRAME}&note=${drawnNote}`);
    await page.waitForFunction(
      () => document.querySelector('[data-testid=frame-counter]')?.getAttribute('data-settled') === 'true',
    );
    // The timeline's thumbnails and the notes list are there before the picture is taken.
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('img')].every((i) => i.complete),
    );
    await page.getByText('lift the fur about 1/3 stop', { exact: false }).first().waitFor();
    await page.getByText('Grain in the shadows', { exact: false }).first().waitFor();
    await page.waitForTimeout(500);
    const seen = await videoPicture(page);
    expect(seen.mean).toBeGreaterThan(40);
    expect(seen.spread).toBeGreaterThan(20);
    await picture(page, 'viewer');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('compare: v001 and v002 wiped across the deer at the same frame', async () => {
    const { page, errors } = await signedInPage(browser, served.base, 'sam', VIEWPORT);
    await page.goto(
      `${served.base}/compare/${PROJECT}/${TASK}?a=v001&b=v002&layout=wipe&wipe=0.78&frame=${FRAME}`,
    );
    await page.waitForFunction(
      () => document.querySelector('[data-layout]')?.getAttribute('data-settled') === 'true',
      undefined,
      { timeout: 20_000 },
    );
    await page.waitForTimeout(500);
    const seen = await videoPicture(page);
    expect(seen.spread).toBeGreaterThan(20);
    await picture(page, 'compare');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

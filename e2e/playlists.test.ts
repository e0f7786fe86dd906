/**
 * Playlists play (issue 21 item 5), in Chromium against `montu serve`: a three-item playlist plays
 * through in order (each item starts and the next follows at its end, read from the picture's
 * colour), next/previous keys move between items, and review mode approves or requests changes
 * and moves on. Screenshots at 1920×1080 in e2e/screenshots/playlist-*.png.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  e2eReady,
  ffmpeg,
  launchChromium,
  seedProject,
  shot,
  signedInPage,
  startServe,
  uploadFile,
  videoReady,
  waitProcessed,
  type Served,
} from './harness.js';

const PROJECT = 'PLY';
/** Three shots of one sequence, each a 1 s clip of one colour: the picture tells which is on screen. */
const ITEMS = [
  { task: 'ep01_sq010_sh010_comp', colour: 'red' },
  { task: 'ep01_sq010_sh020_comp', colour: 'green' },
  { task: 'ep01_sq010_sh030_comp', colour: 'blue' },
] as const;
const VIEWPORT = { width: 1920, height: 1080 };

let served: Served;
let browser: Browser;
const ids: string[] = [];
let playlistId = '';

/** The dominant channel of the picture the <video> shows now (drawn to a canvas). */
async function pictureColour(page: Page): Promise<string> {
  return page.evaluate(() => {
    const v = document.querySelector('video');
    // Between items (the next viewer is loading) there is no picture yet.
    if (!v || v.readyState < 2) return 'none';
    const c = document.createElement('canvas');
    c.width = 16;
    c.height = 16;
    const g = c.getContext('2d')!;
    g.drawImage(v, 0, 0, 16, 16);
    const [r, gr, b] = g.getImageData(8, 8, 1, 1).data;
    const max = Math.max(r!, gr!, b!);
    return max < 60 ? 'black' : max === r ? 'red' : max === gr ? 'green' : 'blue';
  });
}

const position = (page: Page) => page.getByTestId('playlist-position').textContent();
const mediaInUrl = (page: Page) => decodeURIComponent(new URL(page.url()).pathname.split('/')[2] ?? '');

describe.skipIf(!e2eReady)('playlists play in chromium', () => {
  beforeAll(async () => {
    served = await startServe();
    await seedProject(served, { id: PROJECT, name: 'Playlists', settings: { defaultFps: '24/1' } }, [
      ['sam', 'supervisor', 'Sam Supervisor'],
    ]);
    for (const it of ITEMS) {
      const file = path.join(served.work, `${it.colour}.mp4`);
      ffmpeg([
        '-f',
        'lavfi',
        '-i',
        `color=c=${it.colour}:size=320x180:rate=24`,
        '-frames:v',
        '24',
        '-pix_fmt',
        'yuv420p',
        '-c:v',
        'libx264',
        file,
      ]);
      await uploadFile(served, file, { projectId: PROJECT, taskId: it.task, author: 'sam' });
    }
    for (const it of ITEMS) {
      const [m] = await waitProcessed(served, PROJECT, it.task, 1);
      expect(m!.processingState).toBe('ready');
      ids.push(m!.id);
    }
    const list = await served.api<{ id: string }>('POST', `/projects/${PROJECT}/playlists`, {
      name: 'Dailies',
      mediaIds: ids,
    });
    playlistId = list.id;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('plays the three items through in order, with next/previous keys', async () => {
    const w = await signedInPage(browser, served.base, 'sam', { viewport: VIEWPORT });
    const { page } = w;
    await page.goto(`${served.base}/p/${PROJECT}/playlists?id=${playlistId}`);
    await page.getByRole('link', { name: 'Play from start' }).click();
    await expect.poll(() => position(page)).toBe('1 / 3');
    expect(mediaInUrl(page)).toBe(ids[0]);
    const strip = page.getByRole('region', { name: 'Playlist Dailies' });
    // Each item's status and open notes are on the strip.
    await expect.poll(() => strip.getByRole('listitem').count()).toBe(3);
    await strip.getByText('0 open notes').first().waitFor();
    expect(await strip.getByText('Work in progress').count()).toBe(3);

    // Play through: the picture and the position follow the playlist's order, item by item.
    const seen: Array<{ id: string; colour: string }> = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      await videoReady(page).catch(() => undefined);
      const id = mediaInUrl(page);
      const playing = await page.evaluate(() => !(document.querySelector('video')?.paused ?? true));
      if (playing && seen[seen.length - 1]?.id !== id) {
        const colour = await pictureColour(page);
        if (colour !== 'black' && colour !== 'none') {
          seen.push({ id, colour });
          if (seen.length === 1) await shot(page, 'playlist-playing');
        }
      }
      if (seen.length === 3) break;
      await page.waitForTimeout(100);
    }
    expect(seen).toEqual(ITEMS.map((it, i) => ({ id: ids[i], colour: it.colour })));
    // The last item ends the playlist: it stops there (no loop back to the first).
    await page.getByText('End of the playlist.').waitFor({ timeout: 20_000 });
    expect(await position(page)).toBe('3 / 3');
    expect(mediaInUrl(page)).toBe(ids[2]);

    // Previous / next by keys (and the picture follows).
    await page.keyboard.press('PageUp');
    await expect.poll(() => position(page)).toBe('2 / 3');
    expect(mediaInUrl(page)).toBe(ids[1]);
    await page.keyboard.press('Shift+P');
    await expect.poll(() => position(page)).toBe('1 / 3');
    await page.keyboard.press('PageDown');
    await expect.poll(() => position(page)).toBe('2 / 3');
    // Stop playing through, then the picture of item 2 holds still and is green.
    await strip.getByLabel('Play through').uncheck();
    await page.evaluate(() => document.querySelector('video')?.pause());
    await videoReady(page);
    await expect.poll(() => pictureColour(page)).toBe('green');
    // The checkbox keeps the keys while it has focus (as every input): back to the picture.
    await page.getByRole('img', { name: new RegExp(ITEMS[1].task) }).click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Shift+N');
    await expect.poll(() => position(page)).toBe('3 / 3');
    await videoReady(page);
    await expect.poll(() => pictureColour(page)).toBe('blue');
    await shot(page, 'playlist-strip');
    expect(w.errors).toEqual([]);
    await page.context().close();
  });

  it('review mode: approve and request changes move on to the next item', async () => {
    const w = await signedInPage(browser, served.base, 'sam', { viewport: VIEWPORT });
    const { page } = w;
    await page.goto(`${served.base}/p/${PROJECT}/playlists?id=${playlistId}`);
    await page.getByRole('link', { name: 'Review one by one' }).click();
    await expect.poll(() => position(page)).toBe('1 / 3');
    const strip = page.getByRole('region', { name: 'Playlist Dailies' });
    expect(await strip.getByLabel('Review mode').isChecked()).toBe(true);
    await strip.getByRole('button', { name: 'Approve & next' }).waitFor();
    await shot(page, 'playlist-review');

    // The approve key on item 1: approved, and item 2 is on screen.
    await videoReady(page);
    await page.keyboard.press('Shift+A');
    await expect.poll(() => position(page)).toBe('2 / 3');
    const status = async (i: number) =>
      (await served.api<{ status: string }>('GET', `/media/${ids[i]}`)).status;
    expect(await status(0)).toBe('approved');
    // The strip shows item 1 as approved.
    await strip.getByRole('listitem').nth(0).getByText('Approved').waitFor();

    // The button on item 2: changes requested (on a WIP version: the workflow allows it), item 3 next.
    await strip.getByRole('button', { name: 'Request changes & next' }).click();
    await expect.poll(() => position(page)).toBe('3 / 3');
    expect(await status(1)).toBe('changes_requested');

    // On the last item the verdict is recorded and the strip says there is no next.
    await strip.getByRole('button', { name: 'Approve & next' }).click();
    await strip.getByText('Approved. That was the last item.').waitFor();
    expect(await status(2)).toBe('approved');
    await shot(page, 'playlist-reviewed');
    expect(w.errors).toEqual([]);
    await page.context().close();
  });
});

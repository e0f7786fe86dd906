/**
 * The review player in a real browser (issue 21 items 1, 2, 6, 7, 9): frame-exact at every
 * review rate, read back from the picture itself. The counter clips (e2e/fixtures/media.ts)
 * carry each frame's number as a barcode; every check draws the <video> to a canvas and decodes
 * it, so "the counter says 17" is only believed when the picture says 17 too. Also: source
 * frame and source timecode (ProRes `tmcd`, drop-frame MXF), the timeline (thumbnails, hover
 * preview, markers), drawings in picture coordinates (resize and zoom), held drawings, onion
 * skin, two people drawing on one note, the zoom label, and the frame-step latency on a 1080p
 * proxy (measured and reported to bench/results/player.json, never asserted).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { frameToTimecode, timecodeToFrame } from '@montu/domain';
import {
  ROOT,
  e2eReady,
  ffmpeg,
  launchChromium,
  openViewer as openViewerAt,
  seedProject,
  shot,
  signedInPage,
  startServe,
  uploadFile,
  waitProcessed,
  type Served,
  type WatchedPage,
} from './harness.js';
import {
  COUNTER_RATES,
  COUNTER_SIZE,
  makeCounterClip,
  makeDropFrameMxf,
  makeProResMov,
  readCounterBarcode,
} from './fixtures/media.js';

const PROJECT = 'PLY';
const FRAMES = 48;

interface MediaRecord {
  id: string;
  startFrame: number | null;
  startTimecode: string | null;
  metadata: Record<string, unknown>;
}

let served: Served;
let browser: Browser;
const clips = new Map<string, MediaRecord>();
const pages: WatchedPage[] = [];

/** A task id per clip: `ep01_sq010_shNNN_<what>`. */
const taskOf = (what: string, n: number) => `ep01_sq010_sh${String(n * 10).padStart(3, '0')}_${what}`;

async function upload(file: string, task: string): Promise<MediaRecord> {
  await uploadFile(served, file, { projectId: PROJECT, taskId: task });
  const [m] = await waitProcessed(served, PROJECT, task, 1, 180_000);
  expect(m!.processingState).toBe('ready');
  return served.api<MediaRecord>('GET', `/media/${m!.id}`);
}

async function openPage(username = 'sam'): Promise<WatchedPage> {
  const w = await signedInPage(browser, served.base, username, { viewport: { width: 1366, height: 768 } });
  pages.push(w);
  return w;
}

async function openViewer(page: Page, id: string, query = ''): Promise<void> {
  await openViewerAt(page, served.base, id, query);
  await settled(page);
}

/**
 * Waits until the player says the picture shows its frame. Not until the video has finished
 * seeking: a step to a decoded neighbour shows it on the step screen's canvas while the video
 * still seeks behind it (decision 205), and that is the moment the picture must already be right.
 */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const c = document.querySelector('[data-testid=frame-counter]');
      const v = document.querySelector('video');
      return c?.getAttribute('data-settled') === 'true' && !!v && v.readyState >= 2;
    },
    undefined,
    { timeout: 20_000 },
  );
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

interface Shown {
  /** The player's frame index (0…count−1). */
  index: number;
  counter: string;
  timecode: string;
  /** The frame number the picture's barcode carries. */
  picture: number;
}

/**
 * What the player shows now: its counter and timecode, and the barcode read from the screen —
 * a screenshot of the picture's box, so whatever is on top (the video, or the step screen's
 * canvas) is what is read, as the reviewer sees it.
 */
async function shown(page: Page): Promise<Shown> {
  await settled(page);
  const text = await page.evaluate(() => {
    const counter = document.querySelector('[data-testid=frame-counter]')!;
    return {
      index: Number(counter.getAttribute('data-index')),
      counter: counter.textContent ?? '',
      timecode: document.querySelector('[data-testid=timecode]')!.textContent ?? '',
    };
  });
  const box = (await page.getByTestId('video').boundingBox())!;
  const png = await page.screenshot({ clip: box });
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  const sx = info.width / COUNTER_SIZE.width;
  const sy = info.height / COUNTER_SIZE.height;
  const picture = readCounterBarcode((x, y) => data[Math.floor(y * sy) * info.width + Math.floor(x * sx)]!);
  return { ...text, picture };
}

/** The source frame and timecode the player must show at `index` of a clip. */
function expected(m: MediaRecord, index: number): { counter: string; timecode: string } {
  const fps = String(m.metadata['fps']);
  const tc = m.startTimecode;
  const dropFrame = !!tc && tc.includes(';');
  const tcStart = tc ? timecodeToFrame(tc, fps, { dropFrame }) : 0;
  return {
    counter: String((m.startFrame ?? 0) + index),
    timecode: frameToTimecode(tcStart + index, fps, { dropFrame }),
  };
}

async function expectAt(page: Page, m: MediaRecord, index: number, what: string): Promise<void> {
  const s = await shown(page);
  expect({ what, index: s.index, picture: s.picture, counter: s.counter, timecode: s.timecode }).toEqual({
    what,
    index,
    picture: index,
    ...expected(m, index),
  });
}

/** Clicks the timeline in the middle of frame `index`'s cell. */
async function clickTimeline(page: Page, index: number, count: number): Promise<void> {
  const box = (await page.getByTestId('timeline').boundingBox())!;
  await page.mouse.click(box.x + ((index + 0.5) / count) * box.width, box.y + box.height - 4);
}

describe.skipIf(!e2eReady)('review player in chromium', () => {
  beforeAll(async () => {
    served = await startServe();
    await seedProject(served, { id: PROJECT, name: 'Player' }, [
      ['sam', 'supervisor', 'Sam Supervisor'],
      ['ana', 'artist', 'Ana Artist'],
    ]);
    const dir = served.work;
    let n = 1;
    for (const rate of COUNTER_RATES) {
      const file = makeCounterClip(dir, rate, { frames: FRAMES });
      clips.set(rate.name, await upload(file, taskOf('r' + rate.name.replace(/\W/g, ''), n++)));
    }
    clips.set('mov', await upload(makeProResMov(dir), taskOf('mov', n++)));
    clips.set('mxf', await upload(makeDropFrameMxf(dir), taskOf('mxf', n++)));
    // 1080p, with sound, for the step latency and the drawings.
    const hd = path.join(dir, 'hd.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1920x1080:rate=24',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-t',
      '3',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      hd,
    ]);
    clips.set('hd', await upload(hd, taskOf('hd', n++)));
    browser = await launchChromium();
  }, 600_000);

  afterEach(async () => {
    for (const w of pages.splice(0))
      await w.page
        .context()
        .close()
        .catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  for (const rate of COUNTER_RATES) {
    it(`is frame-exact at ${rate.name} fps: step, timeline click, deep link, pause, first and last`, async () => {
      const m = clips.get(rate.name)!;
      const { page, errors } = await openPage();
      await openViewer(page, m.id);
      await expectAt(page, m, 0, 'first frame on open');
      // Keyboard focus on the page, not on a control.
      await page.getByRole('img', { name: /ep01/ }).click({ position: { x: 5, y: 5 } });
      for (let i = 1; i <= 5; i++) {
        await page.keyboard.press('ArrowRight');
        await expectAt(page, m, i, `step forward to ${i}`);
      }
      for (const i of [4, 3]) {
        await page.keyboard.press('ArrowLeft');
        await expectAt(page, m, i, `step back to ${i}`);
      }
      for (const i of [30, 7, 23]) {
        await clickTimeline(page, i, FRAMES);
        await expectAt(page, m, i, `timeline click on ${i}`);
      }
      await page.keyboard.press('End');
      await expectAt(page, m, FRAMES - 1, 'last frame');
      await page.keyboard.press('ArrowLeft');
      await expectAt(page, m, FRAMES - 2, 'back from the last frame');
      await page.keyboard.press('Home');
      await expectAt(page, m, 0, 'first frame');
      // Pause during playback: whatever frame it stops on, the picture is that frame.
      await page.getByLabel('Loop (L)').uncheck();
      await page.getByRole('img', { name: /ep01/ }).click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Space');
      await page.waitForFunction(() => document.querySelector('video')!.currentTime > 0.25);
      await page.keyboard.press('Space');
      const paused = await shown(page);
      expect(paused.index).toBeGreaterThan(0);
      await expectAt(page, m, paused.index, 'paused during playback');
      await shot(page, `player-${rate.name}`);
      // Deep link to a frame (stored numbering: a movie's index).
      await openViewer(page, m.id, '?frame=17');
      await expectAt(page, m, 17, 'deep link to 17');
      expect(errors).toEqual([]);
      await page.context().close();
    });
  }

  it('a fast triple step lands exactly three frames on; play stops on the last frame (loop off) or wraps (loop on)', async () => {
    const m = clips.get('24')!;
    const { page, errors } = await openPage();
    await openViewer(page, m.id);
    // Three → presses quicker than one seek: in one task, and a few milliseconds apart (the first
    // seek may finish between two presses, before the page has drawn its new frame).
    const tripleStep = (gapMs: number | null) =>
      page.evaluate(async (gap) => {
        const press = () => window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }));
        for (let i = 0; i < 3; i++) {
          press();
          if (gap !== null) await new Promise((r) => setTimeout(r, gap));
        }
      }, gapMs);
    let at = 0;
    for (const gap of [null, 0, 4, 12, 25, null, 8]) {
      await tripleStep(gap);
      at += 3;
      await expectAt(page, m, at, `three steps ${gap === null ? 'at once' : `${gap} ms apart`} to ${at}`);
    }
    // Loop off: playing to the end stops on the last frame, and shows it.
    await page.getByLabel('Loop (L)').uncheck();
    await clickTimeline(page, FRAMES - 12, FRAMES);
    await expectAt(page, m, FRAMES - 12, 'near the end');
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => document.querySelector('video')!.paused, undefined, { timeout: 20_000 });
    await expectAt(page, m, FRAMES - 1, 'played to the end, loop off');
    await shot(page, 'player-end-loop-off');
    // Play again from the last frame: it starts over from the first.
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid=frame-counter]')!.getAttribute('data-index')) < 12,
      undefined,
      { timeout: 20_000 },
    );
    await page.getByRole('button', { name: 'Pause' }).click();
    const restarted = await shown(page);
    await expectAt(page, m, restarted.index, 'play from the last frame starts over');
    // Loop on: playing past the last frame wraps to the first and keeps playing.
    await page.getByLabel('Loop (L)').check();
    await clickTimeline(page, FRAMES - 6, FRAMES);
    await expectAt(page, m, FRAMES - 6, 'near the end again');
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(
      () => {
        const c = document.querySelector('[data-testid=frame-counter]')!;
        return Number(c.getAttribute('data-index')) >= 6 && Number(c.getAttribute('data-index')) < 30;
      },
      undefined,
      { timeout: 20_000 },
    );
    expect(await page.evaluate(() => document.querySelector('video')!.paused)).toBe(false);
    await page.getByRole('button', { name: 'Pause' }).click();
    const wrapped = await shown(page);
    expect(wrapped.index).toBeLessThan(FRAMES - 6);
    await expectAt(page, m, wrapped.index, 'wrapped to the start, loop on');
    expect(errors).toEqual([]);
  });

  it('shows source timecode: ProRes tmcd 01:00:00:00 (frame 41 reads 01:00:01:17), drop-frame MXF, 0-based toggle', async () => {
    const mov = clips.get('mov')!;
    expect(mov.startTimecode).toBe('01:00:00:00');
    const { page, errors } = await openPage();
    await openViewer(page, mov.id);
    await expect.poll(() => page.getByTestId('timecode').textContent()).toBe('01:00:00:00');
    await openViewer(page, mov.id, '?frame=41');
    expect(await page.getByTestId('timecode').textContent()).toBe('01:00:01:17');
    expect(await page.getByTestId('frame-counter').textContent()).toBe(String(mov.startFrame! + 41));
    await shot(page, 'player-mov-source-timecode');
    // The 0-based toggle: frames from 0, timecode from 00:00:00:00; remembered; toggles back.
    await page.getByRole('button', { name: '0-based' }).click();
    expect(await page.getByTestId('frame-counter').textContent()).toBe('41');
    expect(await page.getByTestId('timecode').textContent()).toBe('00:00:01:17');
    await page.getByRole('button', { name: '0-based' }).click();
    expect(await page.getByTestId('timecode').textContent()).toBe('01:00:01:17');
    // A note on frame 41 reads its source frame and timecode in the list.
    await page.getByLabel(/New note at frame/).fill('Pinned at 41');
    await page.getByRole('button', { name: 'Save note' }).click();
    await page.getByRole('list', { name: 'Notes' }).getByText('Pinned at 41').waitFor();
    const item = page.getByRole('list', { name: 'Notes' }).locator('li', { hasText: 'Pinned at 41' });
    await expect
      .poll(() => item.locator('.frame').textContent())
      .toBe(`frame ${mov.startFrame! + 41} · 01:00:01:17`);

    const mxf = clips.get('mxf')!;
    expect(mxf.startTimecode).toBe('00:01:15;26');
    await openViewer(page, mxf.id);
    expect(await page.getByTestId('timecode').textContent()).toBe('00:01:15;26');
    await page.getByRole('img', { name: /ep01/ }).click({ position: { x: 5, y: 5 } });
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    await settled(page);
    expect(await page.getByTestId('timecode').textContent()).toBe('00:01:16;00');
    await shot(page, 'player-mxf-dropframe');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('timeline: thumbnail strip, hover preview of any frame from the sprite, note markers jump to their frame', async () => {
    const m = clips.get('24')!;
    const { page, errors } = await openPage();
    await openViewer(page, m.id);
    await page.getByTestId('thumb-strip').waitFor();
    // The counter clips have no sound: no waveform row.
    expect(await page.getByTestId('waveform').count()).toBe(0);
    // Hover over frame 29: the preview names it and its picture (a sprite tile) carries 29's barcode.
    const box = (await page.getByTestId('timeline').boundingBox())!;
    await page.mouse.move(box.x + ((29 + 0.5) / FRAMES) * box.width, box.y + 10);
    const preview = page.getByTestId('timeline-preview');
    await preview.waitFor();
    expect(await preview.getAttribute('data-frame')).toBe('29');
    expect(await preview.textContent()).toContain(`frame ${expected(m, 29).counter}`);
    await page.waitForFunction(() => {
      const el = document.querySelector('.preview-tile');
      if (!el) return false;
      const url = /url\("(.+)"\)/.exec(getComputedStyle(el).backgroundImage)?.[1];
      if (!url) return false;
      const img = new Image();
      img.src = url;
      return img.complete && img.naturalWidth > 0;
    });
    const tile = (await page.locator('.preview-tile').boundingBox())!;
    const png = await page.screenshot({ clip: tile });
    const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
    const sx = info.width / COUNTER_SIZE.width;
    const sy = info.height / COUNTER_SIZE.height;
    expect(readCounterBarcode((x, y) => data[Math.floor(y * sy) * info.width + Math.floor(x * sx)]!)).toBe(
      29,
    );
    await shot(page, 'player-timeline-hover');

    // A note pinned to frame 12 without a drawing: a marker on 12; clicking it from elsewhere jumps there.
    await page.mouse.move(box.x + 5, box.y - 200);
    await clickTimeline(page, 12, FRAMES);
    await expectAt(page, m, 12, 'timeline click before pinning');
    await page.getByLabel(/New note at frame/).fill('Pin only, no drawing');
    await page.getByRole('button', { name: 'Save note' }).click();
    const marker = page.getByRole('button', { name: `Note at frame ${expected(m, 12).counter}` });
    await marker.waitFor();
    expect(await marker.getAttribute('data-frame')).toBe('12');
    await page.keyboard.press('End');
    await expectAt(page, m, FRAMES - 1, 'away from the pin');
    await marker.click();
    await expectAt(page, m, 12, 'marker click');
    const notes = await served.api<Array<{ frame: number; drawing: unknown; content: string }>>(
      'GET',
      `/media/${m.id}/annotations`,
    );
    expect(notes.find((n) => n.content === 'Pin only, no drawing')).toMatchObject({
      frame: 12,
      drawing: null,
    });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('zoom label: the true percentage at Fit, 100 % at 1:1; the waveform of a clip with sound', async () => {
    const m = clips.get('hd')!;
    const { page, errors } = await openPage();
    await openViewer(page, m.id);
    // The 1080p clip has a 440 Hz tone for its 3 s: the waveform row is drawn across the bar.
    await page.getByTestId('waveform').waitFor();
    await expect
      .poll(() =>
        page.evaluate(() => {
          const c = document.querySelector('[data-testid=waveform]') as HTMLCanvasElement;
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          // Columns with ink, as a share of all columns.
          let inked = 0;
          for (let x = 0; x < c.width; x++) {
            let any = false;
            for (let y = 0; y < c.height && !any; y++) any = d[(y * c.width + x) * 4 + 3]! > 0;
            if (any) inked++;
          }
          return inked / c.width;
        }),
      )
      .toBeGreaterThan(0.9);
    await shot(page, 'player-waveform');
    const video = page.getByTestId('video');
    const fit = (await video.boundingBox())!.width / 1920;
    const dpr = await page.evaluate(() => window.devicePixelRatio);
    await expect.poll(() => page.getByTestId('zoom').textContent()).toBe(`${Math.round(fit * dpr * 100)} %`);
    expect(fit).toBeLessThan(1);
    await page.getByRole('button', { name: '1:1' }).click();
    await expect.poll(() => page.getByTestId('zoom').textContent()).toBe('100 %');
    expect(Math.round((await video.boundingBox())!.width * dpr)).toBe(1920);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('drawings stay on their picture point through resize and zoom; held over a range; onion skin', async () => {
    const m = clips.get('hd')!;
    const { page, errors } = await openPage();
    await openViewer(page, m.id, '?frame=10');
    const video = page.getByTestId('video');
    /** Screen position of a picture point (normalised) now. */
    const screenOf = async (u: number, v: number) => {
      const b = (await video.boundingBox())!;
      return [b.x + u * b.width, b.y + v * b.height] as const;
    };
    /** Alpha and red/green of the drawing canvas in a 7×7 box around a picture point. */
    const inkAt = async (u: number, v: number) => {
      const [x, y] = await screenOf(u, v);
      const c = (await page.getByTestId('drawing-canvas').boundingBox())!;
      return page.evaluate(
        ({ x, y }) => {
          const cv = document.querySelector('[data-testid=drawing-canvas]') as HTMLCanvasElement;
          const d = window.devicePixelRatio || 1;
          const px = cv
            .getContext('2d')!
            .getImageData(Math.round(x * d) - 3, Math.round(y * d) - 3, 7, 7).data;
          let alpha = 0;
          let red = 0;
          let green = 0;
          for (let i = 0; i < px.length; i += 4) {
            if (px[i + 3]! > alpha) {
              alpha = px[i + 3]!;
              red = px[i]!;
              green = px[i + 1]!;
            }
          }
          return { alpha, red, green };
        },
        { x: x - c.x, y: y - c.y },
      );
    };
    // Draw a thick pen stroke through the picture point (0.3, 0.4), held for 5 frames (10…14).
    await page.getByRole('button', { name: 'Pen' }).click();
    await page.getByLabel('Stroke width').selectOption({ label: 'Thick' });
    const [x0, y0] = await screenOf(0.2, 0.4);
    const [x1, y1] = await screenOf(0.4, 0.4);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    await page.mouse.move(x1, y1, { steps: 10 });
    await page.mouse.up();
    await page.getByLabel('Hold for frames').fill('5');
    await page.getByLabel(/New note at frame/).fill('Held over five frames');
    await page.getByRole('button', { name: 'Save note' }).click();
    await page.getByRole('list', { name: 'Notes' }).getByText('Held over five frames').waitFor();
    const saved = await served.api<Array<{ frame: number; frameEnd: number | null; content: string }>>(
      'GET',
      `/media/${m.id}/annotations`,
    );
    expect(saved.find((n) => n.content === 'Held over five frames')).toMatchObject({
      frame: 10,
      frameEnd: 14,
    });
    await page.getByRole('button', { name: 'Move' }).click();
    expect((await inkAt(0.3, 0.4)).alpha).toBeGreaterThan(200);
    expect((await inkAt(0.3, 0.6)).alpha).toBe(0);
    await shot(page, 'player-drawing');

    // Resize the window: the stroke is still on the picture point (0.3, 0.4).
    await page.setViewportSize({ width: 1000, height: 700 });
    await page.waitForTimeout(300);
    expect((await inkAt(0.3, 0.4)).alpha).toBeGreaterThan(200);
    expect((await inkAt(0.3, 0.6)).alpha).toBe(0);
    // Zoom in twice: still there.
    await page.getByRole('img', { name: /ep01/ }).click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await page.waitForTimeout(300);
    expect((await inkAt(0.3, 0.4)).alpha).toBeGreaterThan(200);
    expect((await inkAt(0.3, 0.6)).alpha).toBe(0);
    await shot(page, 'player-drawing-zoomed');
    await page.keyboard.press('f');
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.waitForTimeout(300);

    // Held: shown on 14, gone on 15.
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    await settled(page);
    expect(await page.getByTestId('frame-counter').getAttribute('data-index')).toBe('14');
    expect((await inkAt(0.3, 0.4)).alpha).toBeGreaterThan(200);
    await page.keyboard.press('ArrowRight');
    await settled(page);
    await page.waitForTimeout(100);
    expect((await inkAt(0.3, 0.4)).alpha).toBe(0);
    // Onion skin on frame 15: the held drawing ends on 14, so it shows faint and red-tinted.
    await page.getByRole('button', { name: 'Onion skin' }).click();
    await page.waitForTimeout(100);
    const ghost = await inkAt(0.3, 0.4);
    expect(ghost.alpha).toBeGreaterThan(40);
    expect(ghost.alpha).toBeLessThan(150);
    expect(ghost.red).toBeGreaterThan(ghost.green);
    await shot(page, 'player-onion-skin');
    await page.getByRole('button', { name: 'Onion skin' }).click();
    await page.waitForTimeout(100);
    expect((await inkAt(0.3, 0.4)).alpha).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('two people drawing on one note at once both keep their strokes (409, then merge)', async () => {
    const m = clips.get('hd')!;
    const note = await served.api<{ id: string }>('POST', `/media/${m.id}/annotations`, {
      content: 'Both draw here',
      frame: 30,
      author: 'sam',
    });
    const a = await openPage('sam');
    const b = await openPage('ana');
    for (const w of [a, b]) {
      await openViewer(w.page, m.id, `?frame=30&note=${note.id}`);
      await w.page.getByRole('button', { name: 'Pen' }).click();
      await w.page.getByLabel('Stroke width').selectOption({ label: 'Thick' });
    }
    const stroke = async (page: Page, v: number) => {
      const bx = (await page.getByTestId('video').boundingBox())!;
      await page.mouse.move(bx.x + 0.2 * bx.width, bx.y + v * bx.height);
      await page.mouse.down();
      await page.mouse.move(bx.x + 0.6 * bx.width, bx.y + v * bx.height, { steps: 10 });
      await page.mouse.up();
    };
    // Both draw before either saves; Ana (not the note's author) saves first through the merge
    // path, then Sam, whose page still holds the old revision: 409, and his strokes are merged.
    await stroke(a.page, 0.3);
    await stroke(b.page, 0.7);
    await b.page.getByRole('button', { name: /Add drawing to note at frame/ }).click();
    await expect
      .poll(
        async () =>
          (await served.api<{ drawing: { shapes: unknown[] } | null }>('GET', `/notes/${note.id}`)).drawing
            ?.shapes.length ?? 0,
      )
      .toBe(1);
    const conflict = a.page.waitForResponse(
      (r) => r.url().includes(`/notes/${note.id}`) && r.status() === 409,
    );
    await a.page.getByRole('button', { name: /Add drawing to note at frame/ }).click();
    await conflict;
    await a.page.getByText('your strokes were merged').waitFor();
    const final = await served.api<{
      drawing: { shapes: Array<{ author?: string; points: Array<{ y: number }> }> };
    }>('GET', `/notes/${note.id}`);
    const ys = final.drawing.shapes.map((s) => Math.round(s.points[0]!.y * 10) / 10).sort();
    expect(ys).toEqual([0.3, 0.7]);
    // Both pages, reloaded, show both strokes in the picture.
    for (const w of [a, b]) {
      await openViewer(w.page, m.id, `?frame=30&note=${note.id}`);
      await w.page.waitForTimeout(200);
      const c = (await w.page.getByTestId('drawing-canvas').boundingBox())!;
      const bx = (await w.page.getByTestId('video').boundingBox())!;
      const ink = await w.page.evaluate(
        (pts) => {
          const cv = document.querySelector('[data-testid=drawing-canvas]') as HTMLCanvasElement;
          const d = window.devicePixelRatio || 1;
          return pts.map(
            ([x, y]) =>
              cv.getContext('2d')!.getImageData(Math.round(x! * d), Math.round(y! * d), 1, 1).data[3],
          );
        },
        [0.3, 0.7].map((v) => [bx.x - c.x + 0.4 * bx.width, bx.y - c.y + v * bx.height]),
      );
      expect(ink.every((alpha) => (alpha ?? 0) > 200)).toBe(true);
    }
    await shot(a.page, 'player-two-people');
    // The browser logs the 409 response itself ("Failed to load resource"); that is the
    // conflict this test provokes, not an app error. Nothing else may be logged.
    expect(a.errors.filter((e) => !/status of 409|HTTP 409 PATCH/.test(e))).toEqual([]);
    expect(a.errors.filter((e) => /status of 409/.test(e)).length).toBeLessThanOrEqual(1);
    expect(b.errors).toEqual([]);
    await a.page.context().close();
    await b.page.context().close();
  });

  it('measures frame-step latency on a 1080p proxy (key press → the new frame on screen)', async () => {
    const m = clips.get('hd')!;
    const { page, errors } = await openPage();
    await openViewer(page, m.id);
    await page.getByRole('img', { name: /ep01/ }).click({ position: { x: 5, y: 5 } });
    const size = await page.evaluate(() => {
      const v = document.querySelector('video')!;
      return [v.videoWidth, v.videoHeight];
    });
    // Each key press's time (its event time stamp), whether the step screen already held the new
    // frame when the app's handler returned, and the browser's own measure of key press → next
    // paint (Event Timing; it reports durations of 16 ms and more only).
    await page.evaluate(() => {
      type Log = { keys: Array<{ t: number; shownAfter: string | null }>; paints: Map<number, number> };
      const log: Log = { keys: [], paints: new Map() };
      (window as unknown as { stepLog: Log }).stepLog = log;
      const still = document.querySelector('[data-testid=still-frame]') as HTMLCanvasElement;
      // Registered after the app's listener on window: runs after the step was handled.
      window.addEventListener('keydown', (e) =>
        log.keys.push({
          t: e.timeStamp,
          shownAfter: still.dataset['shown'] === 'true' ? (still.dataset['frame'] ?? null) : null,
        }),
      );
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (e.name === 'keydown') log.paints.set(e.startTime, e.duration);
      }).observe({ type: 'event', durationThreshold: 16, buffered: true } as PerformanceObserverInit);
    });
    /**
     * `steps` presses of `key`, `gapMs` apart (after the previous frame showed). A frame the step
     * screen held is on screen at the paint after the key's handler: the latency is Event Timing's
     * key press → next paint (16 ms when under its 16 ms floor: an upper bound). Otherwise it is
     * shown once the video's seek lands: from the key press to the start of the animation frame
     * whose paint shows it (decision 205).
     */
    const run = async (key: 'ArrowRight' | 'ArrowLeft', steps: number, gapMs: number) => {
      const out: Array<{ ms: number; kept: boolean }> = [];
      let at = Number(await page.getByTestId('frame-counter').getAttribute('data-index'));
      for (let i = 0; i < steps; i++) {
        if (gapMs) await page.waitForTimeout(gapMs);
        const want = at + (key === 'ArrowRight' ? 1 : -1);
        await page.keyboard.press(key);
        out.push(
          await page.evaluate(async (want) => {
            type Log = { keys: Array<{ t: number; shownAfter: string | null }>; paints: Map<number, number> };
            const log = (window as unknown as { stepLog: Log }).stepLog;
            const still = document.querySelector('[data-testid=still-frame]') as HTMLCanvasElement;
            const frame = () => new Promise<number>((r) => requestAnimationFrame(r));
            const key = log.keys[log.keys.length - 1]!;
            const counter = document.querySelector('[data-testid=frame-counter]')!;
            const video = document.querySelector('video')!;
            // On screen: the canvas holds the frame, or (the canvas hidden) the video has landed on it.
            const showing = () =>
              still.dataset['shown'] === 'true'
                ? still.dataset['frame'] === String(want)
                : counter.getAttribute('data-settled') === 'true' &&
                  counter.getAttribute('data-index') === String(want) &&
                  !video.seeking;
            let shownAt = await frame();
            while (!showing()) shownAt = await frame();
            if (key.shownAfter !== String(want)) return { ms: shownAt - key.t, kept: false };
            // The observer is told after the paint: give it a few frames.
            for (let k = 0; k < 4 && !log.paints.has(key.t); k++) await frame();
            return { ms: log.paints.get(key.t) ?? 16, kept: true };
          }, want),
        );
        at = want;
      }
      return out;
    };
    // A reviewer tapping through frames (four presses a second), forward then back; then a held
    // key (presses back to back, each as soon as the previous frame showed).
    const runs = {
      tapForward: await run('ArrowRight', 24, 250),
      tapBack: await run('ArrowLeft', 24, 250),
      held: await run('ArrowRight', 24, 0),
    };
    const stats = (samples: Array<{ ms: number; kept: boolean }>) => {
      const sorted = samples.map((s) => s.ms).sort((x, y) => x - y);
      const q = (p: number) =>
        Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10;
      return {
        steps: samples.length,
        medianMs: q(0.5),
        p95Ms: q(0.95),
        maxMs: q(1),
        kept: samples.filter((s) => s.kept).length,
      };
    };
    const tapping = stats([...runs.tapForward, ...runs.tapBack]);
    const held = stats(runs.held);
    const result = {
      proxy: `${size[0]}x${size[1]} H.264 24 fps`,
      design: 'step screen: neighbouring frames decoded ahead while paused (decision 205)',
      tapping,
      held,
      browser: 'chromium --headless --disable-gpu (software decode)',
      load: Math.round(loadavg()[0]! * 10) / 10,
      measuredAt: new Date().toISOString(),
    };
    console.log(
      `frame-step latency on a ${result.proxy} proxy: tapping median ${tapping.medianMs} ms, p95 ${tapping.p95Ms} ms ` +
        `(${tapping.kept}/${tapping.steps} from kept frames); held key median ${held.medianMs} ms, p95 ${held.p95Ms} ms ` +
        `(${held.kept}/${held.steps} kept)`,
    );
    mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(path.join(ROOT, 'bench/results/player.json'), `${JSON.stringify(result, null, 2)}\n`);
    const row = (name: string, r: typeof tapping) =>
      `| ${name} | ${r.steps} | ${r.medianMs} ms | ${r.p95Ms} ms | ${r.maxMs} ms | ${r.kept}/${r.steps} |`;
    writeFileSync(
      path.join(ROOT, 'bench/results/player.md'),
      [
        '# player',
        '',
        `Frame-step latency in the web player (\`e2e/player.test.ts\`) on a ${result.proxy} proxy ` +
          `(key frame every 12 frames), real key presses; ${result.browser}, on the shared 2-core machine ` +
          `(load average ${result.load} during the run). Goal (issue 21): under 50 ms. Reported, not asserted. ` +
          'While paused the player decodes the neighbouring frames ahead (4 in the direction of travel, ' +
          '2 behind) and a step to one of them paints it at once (decision 205); "kept" counts those. ' +
          "A kept step is timed by the browser's Event Timing, key press → next paint (it does not report " +
          'under 16 ms: those count as 16); any other step from the key press to the animation frame whose ' +
          'paint shows the frame.',
        '',
        '| presses | steps | median | p95 | max | kept |',
        '| --- | --- | --- | --- | --- | --- |',
        row('tapping, 250 ms apart (24 forward, 24 back)', tapping),
        row('held key (back to back)', held),
        '',
      ].join('\n'),
    );
    expect(tapping.steps + held.steps).toBe(72);
    expect(size[1]).toBe(1080);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

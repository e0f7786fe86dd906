/**
 * Live review sessions in the browser (issue 22 items 1 and 3, decisions 140 and 196) on a
 * two-server scale-mode set-up: two `montu serve` processes on one PostgreSQL database, one Redis
 * and one storage root. The driver (on server A) starts a session from a playlist and steps,
 * plays, pauses, switches item and compare layout; a follower on server B and a late joiner on A
 * follow. Every picture is read from pixels (the counter clips' barcode): paused, every follower
 * shows the driver's frame; playing, within one frame (sampled in each page with the wall clock).
 * Server B is restarted: its follower lands on the current state. Two followers' notes appear on
 * the right item and frame with their authors; ending shows the summary. No console errors
 * (except the refused connections while server B is down, which are the point of that step).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../packages/core/test/helpers/env.js';
import {
  BARCODE_BITS,
  BARCODE_CELL,
  COUNTER_RATES,
  COUNTER_SIZE,
  makeCounterClip,
  readCounterBarcode,
} from './fixtures/media.js';
import {
  CLI,
  e2eReady,
  freePort,
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

const PG = process.env['MONTU_TEST_DATABASE_URL'];
const REDIS = process.env['MONTU_TEST_REDIS_URL'];
const PROJECT = 'LIVE';
const RATE = COUNTER_RATES[1]; // 24 fps
const FPS = 24;
/** Polls wait this long: a restarted server, a reconnect and a busy machine take seconds. */
const LONG = { timeout: 30_000 };

/** A second `montu serve` on the same database, Redis and storage (it prints no first-run token). */
async function serveAlso(work: string, env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--data-dir', path.join(work, 'data-b'), '--port', String(port), '--host', '127.0.0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MONTU_LOG_LEVEL: 'warn', ...env } },
  );
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  for (let i = 0; i < 400 && child.exitCode === null; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return child;
    await new Promise((r) => setTimeout(r, 150));
  }
  child.kill('SIGKILL');
  throw new Error(`server B did not start:\n${out}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * The frame the page's main picture shows, read from its pixels (the barcode), with the wall
 * clock of the read: the video is drawn to a canvas at its own size and the cells' luma read.
 */
async function shownFrame(page: Page): Promise<{ frame: number; at: number }> {
  const r = await page.evaluate(() => {
    const v = document.querySelector<HTMLVideoElement>('.session-player [data-testid="video"]');
    if (!v || v.readyState < 2 || !v.videoWidth) return null;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const g = c.getContext('2d', { willReadFrequently: true })!;
    g.drawImage(v, 0, 0);
    const at = Date.now();
    const d = g.getImageData(0, 0, c.width, c.height);
    return { w: c.width, h: c.height, data: Array.from(d.data), at };
  });
  if (!r) return { frame: -1, at: Date.now() };
  const luma = (x: number, y: number) => {
    const i = (Math.floor(y) * r.w + Math.floor(x)) * 4;
    return 0.2126 * r.data[i]! + 0.7152 * r.data[i + 1]! + 0.0722 * r.data[i + 2]!;
  };
  return { frame: readCounterBarcode(luma), at: r.at };
}

/**
 * Starts logging every frame the page's main picture presents: in `requestVideoFrameCallback`
 * (called for each new frame, with its display time) the frame is drawn and its barcode cells'
 * luma read, with the wall-clock time it is shown (`performance.timeOrigin` is the epoch of the
 * page's clock, so times from two pages compare).
 */
async function startFrameLog(page: Page): Promise<void> {
  await page.evaluate(
    ({ bits, cell, height }) => {
      type Meta = { expectedDisplayTime: number };
      type RVFC = HTMLVideoElement & {
        requestVideoFrameCallback(cb: (now: number, m: Meta) => void): number;
      };
      const v = document.querySelector<RVFC>('.session-player [data-testid="video"]')!;
      const c = document.createElement('canvas');
      const g = c.getContext('2d', { willReadFrequently: true })!;
      const log: Array<{ t: number; cells: number[] }> = [];
      const w = window as unknown as { frameLog: typeof log; frameLogOn: boolean };
      w.frameLog = log;
      w.frameLogOn = true;
      const onFrame = (_now: number, m: Meta) => {
        if (!w.frameLogOn) return;
        c.width = v.videoWidth;
        c.height = v.videoHeight;
        g.drawImage(v, 0, 0);
        const px = g.getImageData(0, 0, c.width, c.height).data;
        const y = Math.floor((height / 6) * (c.height / height));
        const cells: number[] = [];
        for (let bit = 0; bit < bits; bit++) {
          const i = (y * c.width + Math.floor((bit * cell + cell / 2) * (c.width / (bits * cell)))) * 4;
          cells.push(0.2126 * px[i]! + 0.7152 * px[i + 1]! + 0.0722 * px[i + 2]!);
        }
        log.push({ t: performance.timeOrigin + m.expectedDisplayTime, cells });
        v.requestVideoFrameCallback(onFrame);
      };
      v.requestVideoFrameCallback(onFrame);
    },
    { bits: BARCODE_BITS, cell: BARCODE_CELL, height: COUNTER_SIZE.height },
  );
}

/** Stops the log; answers each presented frame (read from its barcode) with its display time. */
async function stopFrameLog(page: Page): Promise<Array<{ t: number; frame: number }>> {
  const log = await page.evaluate(() => {
    const w = window as unknown as { frameLog: Array<{ t: number; cells: number[] }>; frameLogOn: boolean };
    w.frameLogOn = false;
    return w.frameLog;
  });
  return log.map(({ t, cells }) => ({
    t,
    frame: readCounterBarcode((x) => cells[Math.floor(x / BARCODE_CELL)]!),
  }));
}

/**
 * For each frame the follower showed, how far (frames) it was from the driver's picture at that
 * moment: the driver's frame interpolated between the two of its presented frames around it.
 */
function offsetsFromDriver(
  driver: Array<{ t: number; frame: number }>,
  follower: Array<{ t: number; frame: number }>,
  frameCount: number,
): number[] {
  const out: number[] = [];
  for (const f of follower) {
    const i = driver.findIndex((d) => d.t > f.t);
    if (i <= 0) continue; // outside the driver's log
    const [d0, d1] = [driver[i - 1]!, driver[i]!];
    let step = d1.frame - d0.frame;
    if (step < -frameCount / 2) step += frameCount; // the driver looped between the two
    const at = d0.frame + (step * (f.t - d0.t)) / (d1.t - d0.t);
    let off = f.frame - at;
    if (Math.abs(off) > frameCount / 2) off -= Math.sign(off) * frameCount;
    out.push(off);
  }
  return out;
}

/** Waits until the page's picture shows `frame` (read from pixels); answers what it shows. */
async function untilFrame(page: Page, frame: number): Promise<number> {
  try {
    await expect
      .poll(async () => (await shownFrame(page)).frame, { timeout: 20_000, interval: 100 })
      .toBe(frame);
  } catch (e) {
    await shot(page, 'session-failed');
    const counter = await page
      .getByTestId('frame-counter')
      .textContent()
      .catch(() => null);
    throw new Error(`${String(e)}; the page's counter says ${counter}`);
  }
  return frame;
}

describe.runIf(e2eReady && PG && REDIS)(
  'live review sessions on two API servers (PostgreSQL + Redis)',
  () => {
    let a: Served;
    let b: ChildProcess;
    let bPort = 0;
    let bBase = '';
    let browser: Browser;
    let db: Awaited<ReturnType<typeof freshDatabase>>;
    const env: Record<string, string> = {};
    const media: string[] = [];
    let playlistId = '';
    let shared = '';
    const pages: WatchedPage[] = [];

    beforeAll(async () => {
      shared = path.join(
        process.env['TMPDIR'] ?? '/tmp',
        `montu-live-${Math.random().toString(36).slice(2, 10)}`,
      );
      mkdirSync(shared, { recursive: true });
      db = await freshDatabase('postgres', shared);
      Object.assign(env, {
        MONTU_DATABASE_URL: db.url,
        MONTU_STORAGE_ROOT: path.join(shared, 'storage'),
        MONTU_REDIS_URL: REDIS!,
        MONTU_QUEUE_NAME: `montu-e2e-${Math.random().toString(36).slice(2, 10)}`,
      });
      const t0 = Date.now();
      const mark = (what: string) => console.log(`[setup] ${what} at ${Date.now() - t0} ms`);
      a = await startServe({ env, args: ['--work'] }); // scale mode: A also works the processing jobs
      mark('server A');
      bPort = await freePort();
      bBase = `http://127.0.0.1:${bPort}`;
      b = await serveAlso(shared, env, bPort);
      await seedProject(a, { id: PROJECT, name: 'Live dailies' }, [
        ['sup', 'supervisor', 'Sup'],
        ['bea', 'artist', 'Bea'],
        ['cal', 'artist', 'Cal'],
        ['dan', 'artist', 'Dan'],
      ]);
      for (const [i, task] of ['sh010_comp', 'sh020_comp'].entries()) {
        const clip = makeCounterClip(a.work, RATE, { frames: 480, name: `counter_${i}.mp4` });
        media.push((await uploadFile(a, clip, { projectId: PROJECT, taskId: task })).id);
        await waitProcessed(a, PROJECT, task, 1);
      }
      playlistId = (
        await a.api<{ id: string }>('POST', `/projects/${PROJECT}/playlists`, {
          name: 'Dailies',
          mediaIds: media,
        })
      ).id;
      browser = await launchChromium();
    });

    afterAll(async () => {
      for (const p of pages)
        await p.page
          .context()
          .close()
          .catch(() => undefined);
      await browser?.close();
      if (b) await stopChild(b);
      await a?.stop();
      await db?.drop();
      rmSync(shared, { recursive: true, force: true });
    });

    it("followers on another server show the driver's frame, survive a restart, and share notes", async () => {
      const driver = await signedInPage(browser, a.base, 'sup');
      const bea = await signedInPage(browser, bBase, 'bea');
      pages.push(driver, bea);

      // The driver starts the session from the playlist; its URL is the join link.
      await driver.page.goto(`${a.base}/p/${PROJECT}/playlists?id=${playlistId}`);
      await driver.page.getByRole('button', { name: 'Start live review' }).click();
      await driver.page.waitForURL(/\/review-sessions\//);
      const joinPath = new URL(driver.page.url()).pathname;
      await driver.page.getByText('You are driving').waitFor();
      await untilFrame(driver.page, 0);

      // The follower opens the link on server B.
      await bea.page.goto(`${bBase}${joinPath}`);
      await bea.page.getByText('sup is driving').waitFor();
      await untilFrame(bea.page, 0);

      // Stepping: paused, the follower shows exactly the driver's frame.
      const next = driver.page.getByRole('button', { name: 'Next frame' });
      // A supervisor steps frame by frame, looking at each.
      const stepTo = async (frame: number, button = next) => {
        await button.click();
        await untilFrame(driver.page, frame);
      };
      for (const f of [1, 2, 3]) await stepTo(f);
      await untilFrame(bea.page, 3);
      await shot(bea.page, 'session-follower-paused');

      // Playing: sample both pictures with the wall clock; the follower is within one frame of
      // where the driver's picture is at the same moment (driver's frame + elapsed × fps).
      await driver.page.getByRole('button', { name: 'Play', exact: true }).click();
      await expect
        .poll(async () => (await shownFrame(bea.page)).frame, { timeout: 10_000 })
        .toBeGreaterThan(6);
      // A follower that starts playing catches up within its first second (rate nudges, a seek
      // when far off); from then on it stays within a frame.
      await new Promise((r) => setTimeout(r, 1000));
      // Every frame both pictures present for three seconds, read from their pixels: the
      // follower's frame against the driver's picture at the same moment.
      await Promise.all([startFrameLog(driver.page), startFrameLog(bea.page)]);
      await new Promise((r) => setTimeout(r, 3000));
      const [driverLog, beaLog] = await Promise.all([stopFrameLog(driver.page), stopFrameLog(bea.page)]);
      const presented = offsetsFromDriver(driverLog, beaLog, 480);
      const within = presented.filter((o) => Math.abs(o) <= 1).length;
      console.log(
        `playing, from presented frames: ${driverLog.length} driver / ${beaLog.length} follower frames; ` +
          `follower − driver (frames) min ${Math.min(...presented).toFixed(2)} max ${Math.max(...presented).toFixed(2)}; ` +
          `${within} of ${presented.length} within one frame`,
      );
      expect(presented.length).toBeGreaterThan(24);
      expect(within / presented.length).toBeGreaterThanOrEqual(0.9);
      // The follower's own clock (its presented time against the driver's frame + timestamp) is
      // asserted; the picture-to-picture offset across the two pages is measured and printed (a
      // sample is two page reads that take from milliseconds to seconds on a loaded machine, so it
      // is a report, not a pass/fail).
      const drifts: number[] = [];
      const offsets: number[] = [];
      for (let i = 0; i < 10; i++) {
        const [d, f] = await Promise.all([shownFrame(driver.page), shownFrame(bea.page)]);
        const expected = d.frame + ((f.at - d.at) / 1000) * FPS;
        let off = f.frame - expected;
        if (Math.abs(off) > 240) off -= Math.sign(off) * 480; // across the loop point
        offsets.push(off);
        drifts.push(
          Number(await bea.page.locator('.session-player [data-testid="video"]').getAttribute('data-drift')),
        );
        await new Promise((r) => setTimeout(r, 150));
      }
      console.log(
        `playing: follower clock drift (frames) ${drifts.join(' ')}; picture offset follower − driver (frames) ${offsets.map((o) => o.toFixed(2)).join(' ')}`,
      );
      const sorted = drifts.map(Math.abs).sort((x, y) => x - y);
      expect(sorted[Math.floor(sorted.length / 2)]!).toBeLessThanOrEqual(1);

      // Joining while the driver plays: the new follower starts playing where the driver is and
      // locks on within its first second, like one that was there when play started.
      const dan = await signedInPage(browser, a.base, 'dan');
      pages.push(dan);
      await dan.page.goto(`${a.base}${joinPath}`);
      await dan.page.getByText('sup is driving').waitFor();
      await expect
        .poll(async () => (await shownFrame(dan.page)).frame, { timeout: 10_000 })
        .toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1500));
      const joinedDrifts: number[] = [];
      const joinedFrames: number[] = [];
      for (let i = 0; i < 10; i++) {
        joinedDrifts.push(
          Number(await dan.page.locator('.session-player [data-testid="video"]').getAttribute('data-drift')),
        );
        joinedFrames.push((await shownFrame(dan.page)).frame);
        await new Promise((r) => setTimeout(r, 150));
      }
      console.log(`joined while playing: follower clock drift (frames) ${joinedDrifts.join(' ')}`);
      const joinedSorted = joinedDrifts.map(Math.abs).sort((x, y) => x - y);
      expect(joinedSorted[Math.floor(joinedSorted.length / 2)]!).toBeLessThanOrEqual(1);
      // It plays (frames move on, the loop point aside), not a frame held.
      expect(new Set(joinedFrames).size).toBeGreaterThan(5);

      // Pause: both re-lock on one frame, the driver's.
      await driver.page.getByRole('button', { name: 'Pause', exact: true }).click();
      // The driver's player settles on the frame holding its current time: wait until its
      // counter and its picture agree and stay so for half a second (a pause can land a frame
      // on, and the two agree for a moment on the way), then every follower must show that frame.
      let paused = -1;
      let since = 0;
      await expect
        .poll(
          async () => {
            const counter = Number(await driver.page.locator('.session-player').getAttribute('data-frame'));
            const shown = (await shownFrame(driver.page)).frame;
            if (shown !== counter || shown !== paused) {
              paused = shown === counter ? shown : -1;
              since = Date.now();
              return false;
            }
            return Date.now() - since >= 500;
          },
          { timeout: 20_000, intervals: [100] },
        )
        .toBe(true);
      await untilFrame(bea.page, paused);

      // A follower's own stepping detaches it; Rejoin locks it again.
      await bea.page.getByRole('button', { name: 'Next frame' }).click();
      await bea.page.getByText('Following paused').waitFor();
      await untilFrame(bea.page, paused + 1);
      await driver.page.getByRole('button', { name: 'Previous frame' }).click();
      await untilFrame(driver.page, paused - 1);
      await untilFrame(bea.page, paused + 1); // detached: stays where it stepped
      await bea.page.getByRole('button', { name: 'Rejoin' }).click();
      await untilFrame(bea.page, paused - 1);

      // Switching item and compare layout.
      await driver.page.getByLabel('Item').selectOption(media[1]!);
      await expect
        .poll(() => bea.page.locator('.session-caption').textContent(), LONG)
        .toContain('sh020_comp');
      await untilFrame(bea.page, 0);
      for (const f of [1, 2, 3, 4, 5]) await stepTo(f);
      await untilFrame(bea.page, 5);
      await driver.page.getByLabel('Compare with').selectOption(media[0]!);
      await expect
        .poll(() => bea.page.locator('.session-player').getAttribute('data-layout'), LONG)
        .toBe('side');
      for (const layout of ['difference', 'overlay', 'wipe']) {
        await driver.page.getByLabel('Layout').selectOption(layout);
        await expect
          .poll(() => bea.page.locator('.session-player').getAttribute('data-layout'), LONG)
          .toBe(layout);
      }
      await untilFrame(bea.page, 5);
      await shot(bea.page, 'session-follower-wipe');

      // A late joiner (server A) lands on the current state.
      const cal = await signedInPage(browser, a.base, 'cal');
      pages.push(cal);
      await cal.page.goto(`${a.base}${joinPath}`);
      await expect
        .poll(() => cal.page.locator('.session-player').getAttribute('data-layout'), LONG)
        .toBe('wipe');
      await untilFrame(cal.page, 5);
      await expect
        .poll(() => cal.page.locator('.session-caption').textContent(), LONG)
        .toContain('sh020_comp');
      await expect
        .poll(() => driver.page.locator('.session-presence li').allTextContents(), LONG)
        .toEqual(expect.arrayContaining([expect.stringContaining('bea'), expect.stringContaining('cal')]));

      // Server B restarts; meanwhile the driver moves on. Bea's page reconnects and lands there.
      const errorsBefore = bea.errors.length;
      await stopChild(b);
      await driver.page.getByLabel('Compare with').selectOption('');
      for (const f of [6, 7]) await stepTo(f);
      b = await serveAlso(shared, env, bPort);
      await expect
        .poll(() => bea.page.locator('.session-player').getAttribute('data-layout'), LONG)
        .toBe('single');
      await untilFrame(bea.page, 7);
      // The only errors while B was down: the browser's refused connections to it (and the
      // failed requests those are, named).
      const during = bea.errors.splice(errorsBefore);
      expect(
        during.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource|^HTTP \d+ /.test(e)),
      ).toEqual([]);

      // Notes by two followers: on the current item and frame, with their authors, for everyone.
      for (const [p, text] of [
        [bea.page, 'edge flickers'],
        [cal.page, 'grain too strong'],
      ] as const) {
        await p.getByLabel('Note on the current frame').fill(text);
        await p.getByRole('button', { name: 'Add note' }).click();
      }
      await expect.poll(() => driver.page.locator('.session-notes li').count(), LONG).toBe(2);
      const listed = await driver.page.locator('.session-notes li').evaluateAll((els) =>
        els.map((e) => ({
          text: e.textContent,
          media: e.getAttribute('data-media'),
          frame: e.getAttribute('data-frame'),
        })),
      );
      expect(listed.map((n) => [n.media, n.frame])).toEqual([
        [media[1], '7'],
        [media[1], '7'],
      ]);
      expect(listed.map((n) => n.text?.split(' ·')[0]).sort()).toEqual(['bea', 'cal']);
      await shot(driver.page, 'session-driver-notes');

      // End: everyone sees the summary with the notes and the notes package link.
      await driver.page.getByRole('button', { name: 'End session' }).click();
      for (const p of [driver.page, bea.page, cal.page]) {
        await p.getByRole('heading', { name: 'Session ended' }).waitFor();
        await expect.poll(() => p.getByText('2 notes').count(), LONG).toBe(1);
        await expect
          .poll(() => p.getByRole('link', { name: 'Notes package' }).count(), LONG)
          .toBeGreaterThan(0);
      }
      await shot(cal.page, 'session-summary');
      const summary = await a.api<{
        items: Array<{ mediaId: string; notes: Array<{ author: string; frame: number; content: string }> }>;
      }>('GET', `${joinPath}/summary`);
      const notes = summary.items.find((i) => i.mediaId === media[1])!.notes;
      expect(notes.map((n) => [n.author, n.frame, n.content]).sort()).toEqual([
        ['bea', 7, 'edge flickers'],
        ['cal', 7, 'grain too strong'],
      ]);

      for (const [i, p] of pages.entries())
        expect({ page: i, errors: p.errors }).toEqual({ page: i, errors: [] });
    }, 300_000);
  },
);

/**
 * End-to-end tests of the web app in a real browser (Debian's chromium through playwright-core)
 * against a real `montu serve` (the built CLI) on a fresh data directory.
 * Screenshots go to e2e/screenshots/ (not committed); the scroll benchmark to bench/results/web.json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import {
  ROOT,
  WEB_DIST,
  e2eReady,
  ffmpeg,
  launchChromium,
  openViewer,
  seedProject,
  shot,
  signIn as signInAs,
  signedInPage,
  startServe,
  videoReady,
  type Served,
} from './harness.js';

const PROJECT = 'SWA';
const TASK_VIDEO = 'ep01_sq010_sh010_comp';
const TASK_IMAGE = 'ep01_sq010_sh020_comp';
const TASK_SEQ = 'ep01_sq010_sh030_comp';

let served: Served;
let base = '';
let browser: Browser;
let work = '';

const adminApi = <T>(method: string, p: string, body?: unknown): Promise<T> => served.api<T>(method, p, body);

type MediaLite = { id: string; taskId: string; version: string; status: string; processingState: string };
const findMedia = async (taskId: string): Promise<MediaLite[]> =>
  (await adminApi<{ items: MediaLite[] }>('GET', `/media?projectId=${PROJECT}&taskId=${taskId}&limit=50`))
    .items;

const signIn = (page: Page, username: string): Promise<void> => signInAs(page, base, username);

const VIEWPORT = { viewport: { width: 1366, height: 768 } };

async function newPage(): Promise<Page> {
  const page = await browser.newPage(VIEWPORT);
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  return page;
}

describe.skipIf(!e2eReady)('web app in chromium against montu serve', () => {
  beforeAll(async () => {
    served = await startServe();
    base = served.base;
    work = served.work;
    await seedProject(
      served,
      { id: PROJECT, name: 'Star Wars Anthology', settings: { defaultFps: '24/1' } },
      [
        ['ana', 'artist', 'Ana Artist'],
        ['sam', 'supervisor', 'Sam Supervisor'],
      ],
    );

    // Media: a still, two versions of a 2 s 24 fps movie, a 10-frame PNG sequence.
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=640x360:rate=1',
      '-frames:v',
      '1',
      path.join(work, 'still.png'),
    ]);
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=640x360:rate=24',
      '-t',
      '2',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      path.join(work, 'shot_v1.mp4'),
    ]);
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'smptebars=size=640x360:rate=24',
      '-t',
      '2',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      path.join(work, 'shot_v2.mp4'),
    ]);
    mkdirSync(path.join(work, 'seq'));
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x180:rate=24',
      '-frames:v',
      '10',
      '-start_number',
      '1001',
      path.join(work, 'seq/plate.%04d.png'),
    ]);

    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('first page JavaScript is under 300 kB gzipped', () => {
    const html = readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8');
    const entry = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    const total = entry.reduce((n, f) => n + gzipSync(readFileSync(path.join(WEB_DIST, f))).length, 0);
    const all = readdirSync(path.join(WEB_DIST, 'assets')).filter((f) => f.endsWith('.js'));
    const everything = all.reduce(
      (n, f) => n + gzipSync(readFileSync(path.join(WEB_DIST, 'assets', f))).length,
      0,
    );
    writeResult({ firstPageJsGzipBytes: total, allJsGzipBytes: everything, firstPageFiles: entry });
    expect(total).toBeLessThan(300_000);
  });

  it('serves the app with CSP and SPA fallback, API 404s stay problem+json', async () => {
    const res = await fetch(`${base}/m/some-deep-link`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain('<div id="root">');
    const api = await fetch(`${base}/api/v1/nope`, {
      headers: { authorization: `Bearer ${served.adminToken}` },
    });
    expect(api.status).toBe(404);
    const asset = readdirSync(path.join(WEB_DIST, 'assets'))[0]!;
    expect((await fetch(`${base}/assets/${asset}`)).headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${base}/assets/missing-123.js`)).status).toBe(404);
  });

  it('artist signs in and uploads an image, a video and a sequence; processing finishes', async () => {
    const { page } = await signedInPage(browser, base, 'ana', VIEWPORT);
    await page.getByRole('button', { name: 'Upload…' }).click();
    const panel = page.getByRole('region', { name: 'Upload' });
    const uploadTo = async (task: string, files: string[]) => {
      await panel.getByRole('combobox', { name: 'Task' }).fill(task);
      await panel.locator('label:has-text("Add files…") input[type=file]').setInputFiles(files);
      await panel.getByRole('button', { name: 'Start upload' }).click();
    };
    await uploadTo(TASK_VIDEO, [path.join(work, 'shot_v1.mp4')]);
    await expect.poll(async () => (await findMedia(TASK_VIDEO)).length, { timeout: 60_000 }).toBe(1);
    await uploadTo(TASK_IMAGE, [path.join(work, 'still.png')]);
    const frames = readdirSync(path.join(work, 'seq')).map((f) => path.join(work, 'seq', f));
    await uploadTo(TASK_SEQ, frames);
    await expect.poll(async () => (await findMedia(TASK_SEQ)).length, { timeout: 60_000 }).toBe(1);
    await uploadTo(TASK_VIDEO, [path.join(work, 'shot_v2.mp4')]);
    await expect.poll(async () => (await findMedia(TASK_VIDEO)).length, { timeout: 60_000 }).toBe(2);
    // Every row ends "ready" (processing progress comes from the event stream, with a poll as backstop).
    await expect
      .poll(
        async () =>
          panel.locator('li[data-state]').evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))),
        { timeout: 180_000 },
      )
      .toEqual(['ready', 'ready', 'ready', 'ready']);
    await panel.getByRole('button', { name: 'Close upload panel' }).click();
    await expect.poll(() => page.locator('a[data-media-id]').count()).toBe(3);
    await page.waitForTimeout(500);
    await shot(page, 'browser');
    const seq = (await findMedia(TASK_SEQ))[0]!;
    expect(seq).toMatchObject({ processingState: 'ready' });
    await page.close();
  });

  it('steps to frame 12, draws an arrow, saves the note and finds it again after reload', async () => {
    const { page } = await signedInPage(browser, base, 'ana', VIEWPORT);
    const v1 = (await findMedia(TASK_VIDEO)).find((m) => m.version === 'v001')!;
    await openViewer(page, base, v1.id);
    const video = page.getByTestId('video');
    await page.getByRole('img', { name: /ep01_sq010_sh010_comp v001/ }).click({ position: { x: 5, y: 5 } });
    for (let i = 0; i < 12; i++) await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByTestId('frame-counter').textContent()).toBe('12');
    expect(await page.getByTestId('timecode').textContent()).toBe('00:00:00:12');
    // The frame really is 12: the video's current time comes to lie inside frame 12 (a step to a
    // frame decoded ahead shows it at once; the video seeks there after, decision 205).
    await expect
      .poll(() => page.evaluate(() => Math.floor(document.querySelector('video')!.currentTime * 24)))
      .toBe(12);
    await shot(page, 'viewer');

    // Draw an arrow from 30%,30% to 60%,50% of the picture.
    await page.keyboard.press('w');
    const box = (await video.boundingBox())!;
    const at = (x: number, y: number) => [box.x + box.width * x, box.y + box.height * y] as const;
    await page.mouse.move(...at(0.3, 0.3));
    await page.mouse.down();
    await page.mouse.move(...at(0.45, 0.4), { steps: 5 });
    await page.mouse.move(...at(0.6, 0.5), { steps: 5 });
    await page.mouse.up();
    await page.getByLabel(/New note at frame 12/).fill('Arrow here: fix the edge @sam');
    await page.getByRole('button', { name: 'Save note' }).click();
    await page.getByRole('list', { name: 'Notes' }).getByText('fix the edge').waitFor();
    await shot(page, 'drawing');

    const notes = await adminApi<
      Array<{
        frame: number;
        drawing: {
          shapes: Array<{ type: string; from: { x: number; y: number }; to: { x: number; y: number } }>;
        };
        mentions: string[];
      }>
    >('GET', `/media/${v1.id}/annotations`);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.frame).toBe(12);
    const arrow = notes[0]!.drawing.shapes[0]!;
    expect(arrow.type).toBe('arrow');
    expect(arrow.from.x).toBeCloseTo(0.3, 2);
    expect(arrow.from.y).toBeCloseTo(0.3, 2);
    expect(arrow.to.x).toBeCloseTo(0.6, 2);
    expect(arrow.to.y).toBeCloseTo(0.5, 2);

    // Reload: the viewer opens on the frame in the address (12); from frame 0, clicking the note
    // jumps to frame 12 and shows the arrow in place.
    await page.reload();
    await page.getByTestId('video').waitFor();
    await videoReady(page);
    await expect.poll(() => page.getByTestId('frame-counter').textContent()).toBe('12');
    await page.keyboard.press('Home');
    await expect.poll(() => page.getByTestId('frame-counter').textContent()).toBe('0');
    await page
      .getByRole('list', { name: 'Notes' })
      .getByRole('button', { name: /frame 12/ })
      .click();
    await expect.poll(() => page.getByTestId('frame-counter').textContent()).toBe('12');
    await page.waitForTimeout(300);
    const box2 = (await page.getByTestId('video').boundingBox())!;
    const canvasBox = (await page.getByTestId('drawing-canvas').boundingBox())!;
    // A pixel in the middle of the shaft is the arrow's red; one away from it is transparent.
    const px = await page.evaluate(
      ({ x, y, x2, y2 }) => {
        const c = document.querySelector('[data-testid=drawing-canvas]') as HTMLCanvasElement;
        const ctx = c.getContext('2d')!;
        const d = window.devicePixelRatio || 1;
        return [
          Array.from(ctx.getImageData(Math.round(x * d), Math.round(y * d), 1, 1).data),
          Array.from(ctx.getImageData(Math.round(x2 * d), Math.round(y2 * d), 1, 1).data),
        ];
      },
      {
        x: box2.x - canvasBox.x + box2.width * 0.45,
        y: box2.y - canvasBox.y + box2.height * 0.4,
        x2: box2.x - canvasBox.x + box2.width * 0.45,
        y2: box2.y - canvasBox.y + box2.height * 0.7,
      },
    );
    // The shaft's middle is the arrow's red, at least half covered (its edge is anti-aliased: the
    // stroke's width is in source pixels since decision 172); one away from it is transparent.
    expect(px[0]![0]).toBeGreaterThan(200);
    expect(px[0]![3]).toBeGreaterThan(127);
    expect(px[1]![3]).toBe(0);
    await shot(page, 'drawing-reloaded');
    await page.close();
  });

  it('compares v001 and v002 with a wipe', async () => {
    const { page } = await signedInPage(browser, base, 'ana', VIEWPORT);
    await page.goto(`${base}/compare/${PROJECT}/${TASK_VIDEO}?a=v001&b=v002&mode=wipe`);
    const handle = page.getByTestId('wipe-handle');
    await handle.waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('video')].every((v) => v.readyState >= 2));
    const stack = (await page.getByTestId('compare-stack').boundingBox())!;
    const hb = (await handle.boundingBox())!;
    await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
    await page.mouse.down();
    await page.mouse.move(stack.x + stack.width * 0.3, hb.y + hb.height / 2, { steps: 5 });
    await page.mouse.up();
    expect(Number(await handle.getAttribute('aria-valuenow'))).toBeGreaterThan(25);
    expect(Number(await handle.getAttribute('aria-valuenow'))).toBeLessThan(35);
    // Synced frames: stepping moves both videos to the same frame (the focused wipe handle takes
    // the arrow keys for itself, so step with the button, then the keyboard from the page).
    await page.getByRole('button', { name: 'Next frame' }).click();
    await page.getByRole('button', { name: 'Next frame' }).click();
    await page.getByRole('button', { name: 'Next frame' }).blur();
    await page.keyboard.press('ArrowRight');
    await expect
      .poll(() =>
        page.evaluate(() =>
          [...document.querySelectorAll('video')].map((v) => Math.floor(v.currentTime * 24)),
        ),
      )
      .toEqual([3, 3]);
    await page.waitForTimeout(300);
    await shot(page, 'compare');
    await page.close();
  });

  it('artist submits and has no approve button; supervisor approves', async () => {
    const v2 = (await findMedia(TASK_VIDEO)).find((m) => m.version === 'v002')!;
    const { page } = await signedInPage(browser, base, 'ana', VIEWPORT);
    await page.goto(`${base}/m/${v2.id}`);
    await page.getByRole('tab', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Submit for review' }).click();
    await expect
      .poll(async () => (await adminApi<MediaLite>('GET', `/media/${v2.id}`)).status)
      .toBe('pending_review');
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await page
      .getByText(/Approve needs the supervisor role/)
      .waitFor()
      .catch(async (e: unknown) => {
        await shot(page, 'review-artist-failed');
        throw e;
      });
    await shot(page, 'review-artist');
    await page.getByRole('button', { name: 'Sign out' }).click();

    await signIn(page, 'sam');
    await page.goto(`${base}/m/${v2.id}`);
    await page.getByRole('tab', { name: 'Review' }).click();
    await page.getByLabel('Comment').fill('Looks great');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect
      .poll(async () => (await adminApi<MediaLite>('GET', `/media/${v2.id}`)).status)
      .toBe('approved');
    await page
      .getByRole('list', { name: 'History' })
      .getByText('Looks great')
      .waitFor({ timeout: 10_000 })
      .catch(() => undefined);
    await shot(page, 'review-supervisor');
    await page.goto(`${base}/p/${PROJECT}/dashboard`);
    await page.getByRole('heading', { name: /Dashboard/ }).waitFor();
    await page.waitForTimeout(300);
    await shot(page, 'dashboard');
    await page.close();
  });

  it('pauses and resumes a tus upload (same upload, resumed at its offset); a failed upload shows its reason', async () => {
    // A few MB of high-quality MJPEG (quick to make and to process) and a file that is no media at all.
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1280x720:rate=24',
      '-frames:v',
      '48',
      '-c:v',
      'mjpeg',
      '-q:v',
      '1',
      '-pix_fmt',
      'yuvj420p',
      path.join(work, 'raw.mov'),
    ]);
    writeFileSync(
      path.join(work, 'broken.mov'),
      Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919) % 251)),
    );
    const page = await newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    // Slow uploads down (~1 MB/s) so there is time to pause.
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 1_000_000,
    });
    const tus: Array<{ method: string; offset: string | null }> = [];
    page.on('request', (r) => {
      if (/\/api\/v1\/uploads(\/|$)/.test(new URL(r.url()).pathname))
        tus.push({ method: r.method(), offset: r.headers()['upload-offset'] ?? null });
    });
    await signIn(page, 'ana');
    await page.getByRole('button', { name: 'Upload…' }).click();
    const panel = page.getByRole('region', { name: 'Upload' });
    await panel.getByRole('combobox', { name: 'Task' }).fill('ep01_sq020_sh010_comp');
    await panel
      .locator('label:has-text("Add files…") input[type=file]')
      .setInputFiles([path.join(work, 'raw.mov')]);
    await panel.getByRole('button', { name: 'Start upload' }).click();
    const row = panel.locator('li[data-state]').first();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 20_000 }).toBe('uploading');
    await expect
      .poll(async () => Number(/(\d+)%/.exec((await row.locator('.stat').textContent()) ?? '')?.[1] ?? 0), {
        timeout: 30_000,
      })
      .toBeGreaterThan(5);
    await row.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => row.getAttribute('data-state')).toBe('paused');
    await shot(page, 'upload-paused');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await row.getByRole('button', { name: 'Resume' }).click();
    await expect
      .poll(() => row.getAttribute('data-state').then((st) => (st === 'failed' ? 'failed (final)' : st)), {
        timeout: 90_000,
      })
      .toBe('ready')
      .catch(async (e: unknown) => {
        await shot(page, 'upload-resume-failed');
        throw new Error(
          `${(e as Error).message}; row: ${await row.textContent()}; tus: ${JSON.stringify(tus)}`,
        );
      });
    // One tus upload was created; the resume asked the server for its offset (HEAD) and went on from there.
    expect(tus.filter((r) => r.method === 'POST')).toHaveLength(1);
    const head = tus.findIndex((r) => r.method === 'HEAD');
    expect(head).toBeGreaterThan(0);
    const resumed = tus.slice(head).find((r) => r.method === 'PATCH');
    expect(Number(resumed?.offset ?? -1)).toBeGreaterThan(0);
    const m = (await findMedia('ep01_sq020_sh010_comp'))[0]!;
    expect(m.processingState).toBe('ready');
    expect((await adminApi<{ size: number }>('GET', `/media/${m.id}`)).size).toBe(
      readFileSync(path.join(work, 'raw.mov')).length,
    );

    // A file that is not media: its row fails and says why.
    await panel.getByRole('combobox', { name: 'Task' }).fill('ep01_sq020_sh020_comp');
    await panel
      .locator('label:has-text("Add files…") input[type=file]')
      .setInputFiles([path.join(work, 'broken.mov')]);
    await panel.getByRole('button', { name: 'Start upload' }).click();
    const failed = panel.locator('li[data-state=failed]');
    await failed.waitFor({ timeout: 60_000 });
    const reason = (await failed.getByRole('alert').textContent()) ?? '';
    expect(reason.trim().length).toBeGreaterThan(5);
    await expect(failed.getByRole('button', { name: 'Retry' })).toBeTruthy();
    await shot(page, 'upload-failed');
    console.log(`resumed PATCH at offset ${resumed?.offset}; failure reason: ${reason}`);
    await page.close();
  });

  it('replies to a note and resolves it', async () => {
    const v1 = (await findMedia(TASK_VIDEO)).find((m) => m.version === 'v001')!;
    const { page } = await signedInPage(browser, base, 'sam', VIEWPORT);
    await page.goto(`${base}/m/${v1.id}`);
    const notes = page.getByRole('list', { name: 'Notes' });
    const note = notes.locator('li').filter({ hasText: 'fix the edge' });
    await note.waitFor();
    await note.getByRole('button', { name: 'Reply' }).click();
    await note.getByLabel('Reply').fill('Fixed in v002, please check');
    await note.getByRole('button', { name: 'Send reply' }).click();
    await note.getByText('Fixed in v002, please check').waitFor();
    await note.getByRole('button', { name: 'Resolve' }).click();
    await note.getByRole('button', { name: 'Reopen' }).waitFor();
    await note.getByText('resolved', { exact: true }).waitFor();
    type Note = { id: string; content: string; resolved: boolean; parentId?: string | null };
    const all = await adminApi<Note[]>('GET', `/media/${v1.id}/annotations`);
    const root = all.find((n) => n.content.includes('fix the edge'))!;
    expect(root.resolved).toBe(true);
    expect(all.some((n) => n.parentId === root.id && n.content === 'Fixed in v002, please check')).toBe(true);
    await shot(page, 'notes-reply-resolve');
    await page.close();
  });

  it('creates a playlist, adds versions, and its CSV export is CSV', async () => {
    const { page } = await signedInPage(browser, base, 'sam', VIEWPORT);
    await page.goto(`${base}/p/${PROJECT}/playlists`);
    await page.getByLabel('New playlist').fill('Dailies e2e');
    await page.getByRole('button', { name: 'Create' }).click();
    const detail = page.getByRole('region', { name: 'Dailies e2e' });
    await detail.waitFor();
    await detail.getByLabel('Find versions to add').fill(TASK_VIDEO);
    await detail
      .locator('.playlist-add li')
      .filter({ hasText: TASK_VIDEO })
      .filter({ hasText: 'v002' })
      .getByRole('button', { name: 'Add' })
      .click();
    await detail
      .locator('.playlist-add li')
      .filter({ hasText: TASK_VIDEO })
      .filter({ hasText: 'v001' })
      .getByRole('button', { name: 'Add' })
      .click();
    await expect.poll(() => detail.getByRole('button', { name: /^Remove / }).count()).toBe(2);
    const href = (await detail.getByRole('link', { name: /CSV/ }).getAttribute('href'))!;
    const res = await page.request.get(`${base}${href}`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toMatch(/text\/csv/);
    const csv = await res.text();
    expect(csv.split(/\r?\n/)[0]).toMatch(/,/);
    expect(csv).toContain(TASK_VIDEO);
    await shot(page, 'playlist');
    const playlistUrl = page.url();
    await page.close();

    // An artist who did not make it may add to it, not reorder or remove (decision 078).
    const { page: artist } = await signedInPage(browser, base, 'ana', VIEWPORT);
    await artist.goto(playlistUrl);
    const seen = artist.getByRole('region', { name: 'Dailies e2e' });
    await seen.getByRole('link', { name: new RegExp(`${TASK_VIDEO} v002`) }).waitFor();
    expect(await seen.getByRole('button', { name: /^(Remove|Move) |^Edit$|^Delete$/ }).count()).toBe(0);
    await seen.getByLabel('Find versions to add').waitFor();
    await shot(artist, 'playlist-artist');
    await artist.close();

    // Its owner renames it (the index shows its item count) and deletes it.
    const { page: owner } = await signedInPage(browser, base, 'sam', VIEWPORT);
    await owner.goto(playlistUrl);
    const mine = owner.getByRole('region', { name: 'Dailies e2e' });
    await mine.getByRole('button', { name: 'Edit' }).click();
    await mine.getByLabel('Playlist name').fill('Dailies e2e Tuesday');
    await mine.getByLabel('Review date').fill('2026-11-24');
    await mine.getByRole('button', { name: 'Save' }).click();
    const renamed = owner.getByRole('region', { name: 'Dailies e2e Tuesday' });
    await renamed.getByRole('heading', { name: 'Dailies e2e Tuesday' }).waitFor();
    const index = owner.getByRole('region', { name: 'Playlists' });
    await index.getByRole('listitem').filter({ hasText: 'Dailies e2e Tuesday 2026-11-24 · (2)' }).waitFor();
    // Reorder (PUT) and remove (DELETE): unsafe methods that need the session's CSRF token.
    const order = () => renamed.locator('.playlist-items li a').allInnerTexts();
    expect(await order()).toEqual([`${TASK_VIDEO} v002`, `${TASK_VIDEO} v001`]);
    await renamed.getByRole('button', { name: `Move ${TASK_VIDEO} v002 down` }).click();
    await expect.poll(order).toEqual([`${TASK_VIDEO} v001`, `${TASK_VIDEO} v002`]);
    await renamed.getByRole('button', { name: `Remove ${TASK_VIDEO} v001` }).click();
    await expect.poll(order).toEqual([`${TASK_VIDEO} v002`]);
    await index.getByRole('listitem').filter({ hasText: 'Dailies e2e Tuesday 2026-11-24 · (1)' }).waitFor();
    expect(await renamed.getByRole('alert').count()).toBe(0);
    await shot(owner, 'playlist-curated');
    owner.once('dialog', (d) => void d.accept());
    await renamed.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => index.getByRole('listitem').filter({ hasText: 'Dailies e2e' }).count()).toBe(0);
    await expect.poll(() => owner.url()).not.toContain('?id=');
    await owner.close();
  });

  it('isolates channels and shows a still at 1:1', async () => {
    const still = (await findMedia(TASK_IMAGE))[0]!;
    const { page } = await signedInPage(browser, base, 'ana', VIEWPORT);
    await page.goto(`${base}/m/${still.id}`);
    const img = page.getByTestId('image');
    await img.waitFor();
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=image]') as HTMLImageElement | null)?.complete === true,
    );
    await page.keyboard.press('r');
    await expect.poll(() => img.evaluate((el) => getComputedStyle(el).filter)).toContain('montu-ch-r');
    expect(await page.getByRole('button', { name: 'R', exact: true }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    await shot(page, 'viewer-red-channel');
    await page.keyboard.press('r');
    await expect.poll(() => img.evaluate((el) => getComputedStyle(el).filter)).toBe('none');
    // 1:1: one image pixel per device pixel.
    await page.keyboard.press('1');
    await expect
      .poll(() =>
        img.evaluate(
          (el) =>
            Math.round(
              ((el.getBoundingClientRect().width * devicePixelRatio) /
                (el as HTMLImageElement).naturalWidth) *
                100,
            ) / 100,
        ),
      )
      .toBe(1);
    await shot(page, 'viewer-1to1');
    await page.close();
  });

  it("shows which display transform made a linear EXR's picture", async () => {
    const exr = path.join(work, 'grey.exr');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=0x2e2e2e:size=320x180',
      '-frames:v',
      '1',
      '-pix_fmt',
      'gbrpf32le',
      '-c:v',
      'exr',
      exr,
    ]);
    const form = new FormData();
    form.set('projectId', PROJECT);
    form.set('taskId', 'sq010_sh040_light');
    form.set('file', new Blob([readFileSync(exr)]), 'grey.exr');
    const res = await fetch(`${base}/api/v1/media?wait=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${served.adminToken}` },
      body: form,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await expect
      .poll(
        async () => (await adminApi<{ processingState: string }>('GET', `/media/${id}`)).processingState,
        {
          timeout: 60_000,
        },
      )
      .toBe('ready');
    const { page } = await signedInPage(browser, base, 'ana', VIEWPORT);
    await page.goto(`${base}/m/${id}`);
    await page.getByRole('tab', { name: 'Metadata' }).click();
    const row = page.locator('dl.meta div', { has: page.locator('dt', { hasText: /^Display$/ }) });
    await expect.poll(() => row.locator('dd').textContent()).toBe('linear → sRGB (built-in)');
    await shot(page, 'viewer-exr-metadata');
    await page.close();
  });

  it('plays a sequence proxy frame by frame (frame counter in sequence frame numbers)', async () => {
    const seq = (await findMedia(TASK_SEQ))[0]!;
    const { page } = await signedInPage(browser, base, 'ana', VIEWPORT);
    await openViewer(page, base, seq.id);
    const counter = page.getByTestId('frame-counter');
    await expect.poll(() => counter.textContent()).toBe('1001');
    await page.getByRole('button', { name: 'Next frame' }).click();
    await page.getByRole('button', { name: 'Next frame' }).blur();
    for (const want of ['1002', '1003', '1004']) {
      if (want !== '1002') await page.keyboard.press('ArrowRight');
      await expect.poll(() => counter.textContent()).toBe(want);
    }
    await page.keyboard.press('End');
    await expect.poll(() => counter.textContent()).toBe('1010');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => counter.textContent()).toBe('1009');
    await page.keyboard.press('Home');
    await expect.poll(() => counter.textContent()).toBe('1001');
    // Playing moves the counter through the frames.
    const seen = new Set<string>();
    await page.keyboard.press('Space');
    for (let i = 0; i < 30 && seen.size < 3; i++) {
      seen.add((await counter.textContent()) ?? '');
      await page.waitForTimeout(50);
    }
    await page.keyboard.press('Space');
    expect(seen.size).toBeGreaterThanOrEqual(3);
    // Paused: the counter names the frame that holds the video's current time (the one on screen).
    await page.waitForFunction(() => !document.querySelector('video')!.seeking);
    await expect
      .poll(async () => {
        const t = await page.evaluate(() => document.querySelector('video')!.currentTime);
        return Number(await counter.textContent()) - (1001 + Math.floor(t * 24));
      })
      .toBe(0);
    await shot(page, 'sequence');
    await page.close();
  });

  it('scrolls a browser page of 5,000 media items (long tasks reported)', async () => {
    const { page } = await signedInPage(browser, base, 'ana', VIEWPORT);
    const N = 5000;
    const now = Date.now();
    const statuses = ['wip', 'pending_review', 'approved', 'changes_requested'];
    const item = (i: number) => ({
      id: `m${i}`,
      projectId: PROJECT,
      taskId: `ep${String(1 + Math.floor(i / 1000)).padStart(2, '0')}_sq${String(10 * (1 + (Math.floor(i / 100) % 10))).padStart(3, '0')}_sh${String(10 * (1 + (Math.floor(i / 4) % 25))).padStart(3, '0')}_task${i % 4}`,
      version: `v${String(1 + (i % 3)).padStart(3, '0')}`,
      versionNumber: 1 + (i % 3),
      mediaType: 'image',
      fileName: `f${i}.png`,
      mimeType: 'image/png',
      size: 1000,
      author: 'ana',
      description: '',
      tags: [],
      status: statuses[i % 4],
      reviewSelected: false,
      approval: null,
      archivedAt: null,
      processingState: 'ready',
      processingError: null,
      metadata: {},
      createdAt: new Date(now - i * 60_000).toISOString(),
      updatedAt: new Date(now - i * 60_000).toISOString(),
    });
    const png = readFileSync(path.join(work, 'still.png'));
    await page.route(/\/api\/v1\/media\/m\d+\/files\/thumbnail$/, (r) =>
      r.fulfill({ body: png, contentType: 'image/png' }),
    );
    await page.route(/\/api\/v1\/media\?/, (r) => {
      const u = new URL(r.request().url());
      const from = Number(u.searchParams.get('cursor') ?? 0);
      const limit = Number(u.searchParams.get('limit') ?? 200);
      const items = Array.from({ length: Math.min(limit, N - from) }, (_, k) => item(from + k));
      return r.fulfill({ json: { items, nextCursor: from + limit < N ? String(from + limit) : null } });
    });
    await page.goto(`${base}/p/${PROJECT}`);
    await page.getByLabel('Stack versions').uncheck();
    const scroller = page.getByTestId('browser-scroll');
    await scroller.waitFor();
    // Load every page (infinite scroll) first, then measure a full scroll through.
    for (let i = 0; i < 60; i++) {
      const count = await page.locator('.count').textContent();
      if (count?.startsWith(`${N} `)) break;
      await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.waitForTimeout(150);
    }
    expect(await page.locator('.count').textContent()).toMatch(new RegExp(`^${N} versions`));
    // Two scrolls: a fling through all 5,000 (400 px per frame; thumbnails wait until it settles)
    // and a wheel-speed scroll of 400 frames at 40 px per frame (thumbnails load as they come in).
    const fling = await measureScroll(page, 400, Infinity);
    await shot(page, 'browser-5000');
    const wheel = await measureScroll(page, 40, 400);
    writeResult({
      scroll5000: {
        items: N,
        viewport: '1366x768',
        view: 'grid',
        method:
          'page.evaluate loop: scrollTop += step, then await requestAnimationFrame, until the end (or a frame count); ' +
          "PerformanceObserver('longtask') counts wall-clock long tasks; a Chromium trace (CDP Tracing, devtools.timeline) " +
          'gives the main thread CPU time of each task (thread time), which separates real work from time lost to other processes on a busy 2-core VM',
        loadAverage1m: loadavg()[0],
        fling: { stepPx: 400, ...fling },
        wheel: { stepPx: 40, ...wheel },
      },
    });
    expect(fling.frames).toBeGreaterThan(50);
    expect(wheel.thumbnailsLoaded).toBeGreaterThan(50);
    await page.close();
  });
});

type ScrollResult = {
  frames: number;
  durationMs: number;
  longTasks: number;
  longTasksOver50ms: number;
  maxLongTaskMs: number;
  tasksOver50msCpu: number;
  maxTaskCpuMs: number;
  mainThreadCpuMs: number;
  p50FrameMs: number;
  p95FrameMs: number;
  domNodes: number;
  thumbnailsLoaded: number;
};

/** Scrolls the browser grid from the top by `step` px per animation frame, measuring long tasks (wall clock and CPU). */
async function measureScroll(page: Page, step: number, maxFrames: number): Promise<ScrollResult> {
  await page.getByTestId('browser-scroll').evaluate((el) => (el.scrollTop = 0));
  await page.waitForTimeout(500);
  const cdp = await page.context().newCDPSession(page);
  const events: Array<{
    name: string;
    ph: string;
    pid: number;
    tid: number;
    dur?: number;
    tdur?: number;
    args?: { name?: string };
  }> = [];
  cdp.on('Tracing.dataCollected', (e) => {
    for (const v of e.value as typeof events) events.push(v);
  });
  await cdp.send('Tracing.start', {
    categories: '__metadata,devtools.timeline,disabled-by-default-devtools.timeline',
    transferMode: 'ReportEvents',
  });
  let thumbnails = 0;
  const onRequest = (req: { url(): string }): void => void (req.url().endsWith('/thumbnail') && thumbnails++);
  page.on('request', onRequest);
  const r = await page.evaluate(
    async ({ step, maxFrames }) => {
      const el = document.querySelector('[data-testid=browser-scroll]') as HTMLElement;
      const long: number[] = [];
      const obs = new PerformanceObserver((list) => list.getEntries().forEach((e) => long.push(e.duration)));
      obs.observe({ type: 'longtask', buffered: false });
      const frameTimes: number[] = [];
      let last = performance.now();
      const start = last;
      while (el.scrollTop + el.clientHeight < el.scrollHeight - 2 && frameTimes.length < maxFrames) {
        el.scrollTop += step;
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        const t = performance.now();
        frameTimes.push(t - last);
        last = t;
      }
      await new Promise((r) => setTimeout(r, 200));
      obs.disconnect();
      frameTimes.sort((a, b) => a - b);
      return {
        frames: frameTimes.length,
        durationMs: Math.round(last - start),
        longTasks: long.length,
        longTasksOver50ms: long.filter((d) => d > 50).length,
        maxLongTaskMs: Math.round(Math.max(0, ...long)),
        p50FrameMs: Math.round(frameTimes[frameTimes.length >> 1] ?? 0),
        p95FrameMs: Math.round(frameTimes[Math.floor(frameTimes.length * 0.95)] ?? 0),
        domNodes: document.querySelectorAll('*').length,
      };
    },
    { step, maxFrames: Number.isFinite(maxFrames) ? maxFrames : 1e9 },
  );
  const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.end');
  await done;
  await cdp.detach();
  page.off('request', onRequest);
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const tasks = events.filter(
    (e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.name === 'RunTask',
  );
  const cpu = tasks.map((e) => (e.tdur ?? 0) / 1000);
  return {
    ...r,
    tasksOver50msCpu: cpu.filter((d) => d > 50).length,
    maxTaskCpuMs: Math.round(Math.max(0, ...cpu)),
    mainThreadCpuMs: Math.round(cpu.reduce((a, b) => a + b, 0)),
    thumbnailsLoaded: thumbnails,
  };
}

function writeResult(part: Record<string, unknown>): void {
  const file = path.join(ROOT, 'bench/results/web.json');
  mkdirSync(path.dirname(file), { recursive: true });
  const prev = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(
    file,
    JSON.stringify(
      { ...prev, ...part, measuredAt: new Date().toISOString(), machine: 'chromium headless, 2-core VM' },
      null,
      2,
    ) + '\n',
  );
}

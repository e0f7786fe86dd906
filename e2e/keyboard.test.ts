/**
 * Keyboard and layout (issue 21 item 9), in Chromium against `montu serve` at 1920×1080: the skip
 * link reaches the first card in at most 3 Tabs, `?` lists the shortcuts, arrows on a focused tab
 * move between tabs and never step the video, review shortcuts (tabs, versions, compare, approve,
 * request changes) work, hold/reopen work with history in words, the browser stacks the versions
 * of a task into one card and fills the width, and a failed item says what went wrong in words,
 * with the raw error behind "Details", no broken image and no console error (no 404).
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHORTCUTS, SHORTCUT_GROUPS, keyCap, type Shortcut } from '../packages/web/src/lib/shortcuts.js';
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

const PROJECT = 'KEY';
const TASK = 'ep01_sq010_sh010_comp';
const FAILED_TASK = 'ep01_sq010_sh090_comp';
const VIEWPORT = { width: 1920, height: 1080 };

let served: Served;
let browser: Browser;
let v1 = '';
let v2 = '';
let failedId = '';

const status = async (id: string) => (await served.api<{ status: string }>('GET', `/media/${id}`)).status;
const frame = (page: Page) => page.getByTestId('frame-counter').textContent();

const openViewer = (w: WatchedPage, id: string): Promise<void> => openViewerAt(w.page, served.base, id);

describe.skipIf(!e2eReady)('keyboard and layout in chromium', () => {
  beforeAll(async () => {
    served = await startServe();
    await seedProject(served, { id: PROJECT, name: 'Keys', settings: { defaultFps: '24/1' } }, [
      ['sam', 'supervisor', 'Sam Supervisor'],
      ['ana', 'artist', 'Ana Artist'],
    ]);
    const work = served.work;
    // Two versions of one shot (movies), seven more shots of the sequence (stills), one broken file.
    for (const [i, src] of ['testsrc', 'smptebars'].entries()) {
      const file = path.join(work, `shot_v${i + 1}.mp4`);
      ffmpeg(
        ['-f', 'lavfi', '-i', `${src}=size=640x360:rate=24`, '-frames:v', '24'].concat([
          '-pix_fmt',
          'yuv420p',
          '-c:v',
          'libx264',
          file,
        ]),
      );
      await uploadFile(served, file, { projectId: PROJECT, taskId: TASK, author: 'ana' });
    }
    const still = path.join(work, 'still.png');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=480x270:rate=1', '-frames:v', '1', still]);
    for (let s = 2; s <= 8; s++)
      await uploadFile(served, still, {
        projectId: PROJECT,
        taskId: `ep01_sq010_sh0${s}0_comp`,
        author: 'ana',
      });
    const broken = path.join(work, 'plate.png');
    copyFileSync(path.join(ROOT, 'test/corpus/media/broken/truncated_image.png'), broken);
    await uploadFile(served, broken, { projectId: PROJECT, taskId: FAILED_TASK, author: 'ana' });

    const versions = await waitProcessed(served, PROJECT, TASK, 2);
    v1 = versions.find((m) => m.version === 'v001')!.id;
    v2 = versions.find((m) => m.version === 'v002')!.id;
    for (let s = 2; s <= 8; s++) await waitProcessed(served, PROJECT, `ep01_sq010_sh0${s}0_comp`, 1);
    const [failed] = await waitProcessed(served, PROJECT, FAILED_TASK, 1);
    expect(failed!.processingState).toBe('failed');
    failedId = failed!.id;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  it('the skip link reaches the first card in at most 3 Tabs; the grid fills the width', async () => {
    const w = await signedInPage(browser, served.base, 'sam', { viewport: VIEWPORT });
    const { page } = w;
    await page.goto(`${served.base}/p/${PROJECT}`);
    await page.locator('[data-media-id]').first().waitFor();
    let tabs = 0;
    const onCard = () => page.evaluate(() => document.activeElement?.hasAttribute('data-media-id') ?? false);
    while (tabs < 3 && !(await onCard())) {
      await page.keyboard.press('Tab');
      tabs++;
      const name = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
      if (name === 'Skip to media') {
        await shot(page, 'keyboard-skip-link');
        await page.keyboard.press('Enter');
      }
    }
    expect(await onCard()).toBe(true);
    expect(tabs).toBeLessThanOrEqual(3);
    const first = await page.evaluate(() => document.activeElement?.getAttribute('data-media-id'));
    expect(first).toBe(await page.locator('[data-media-id]').first().getAttribute('data-media-id'));

    // One card per task (9 tasks, 10 versions), the 9 shots of the sequence share rows that fill 1920 px.
    await expect.poll(() => page.locator('.media-card').count()).toBe(9);
    const row = page.locator('.grid-row').first();
    const cards = await row.locator('.media-card').count();
    expect(cards).toBeGreaterThanOrEqual(7);
    const span = await row.evaluate((el) => {
      const cs = [...el.querySelectorAll('.media-card')].map((c) => c.getBoundingClientRect());
      return (cs[cs.length - 1]!.right - cs[0]!.left) / el.getBoundingClientRect().width;
    });
    expect(span).toBeGreaterThan(0.9);
    await page.waitForTimeout(400);
    await shot(page, 'keyboard-browser-1920');
    // `/` goes to the search field (and is not typed into it).
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Search');
    expect(await page.getByRole('searchbox', { name: 'Search' }).inputValue()).toBe('');
    expect(w.errors).toEqual([]);
    await page.context().close();
  });

  it('the version stack card shows the count and switches versions', async () => {
    const w = await signedInPage(browser, served.base, 'sam', { viewport: VIEWPORT });
    const { page } = w;
    const card = page.locator('.media-card', { has: page.getByLabel(`Version of ${TASK}`) });
    await card.waitFor();
    await card.getByText('2 versions').waitFor();
    const link = card.locator('[data-media-id]');
    expect(await link.getAttribute('data-media-id')).toBe(v2);
    const thumbV2 = await card.locator('img.thumb').getAttribute('src');
    await card.getByLabel(`Version of ${TASK}`).selectOption({ label: 'v001 · Work in progress' });
    expect(await link.getAttribute('data-media-id')).toBe(v1);
    expect(await link.getAttribute('aria-label')).toContain(`${TASK} v001`);
    await expect.poll(() => card.locator('img.thumb').getAttribute('src')).not.toBe(thumbV2);
    // The picture changed too: the v001 thumbnail (testsrc) is not the v002 one (colour bars).
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('.media-card img.thumb')].every((i) => i.complete),
    );
    await shot(page, 'keyboard-version-stack');
    await link.click();
    await page.waitForURL(new RegExp(`/m/${v1}$`));
    expect(w.errors).toEqual([]);
    await page.context().close();
  });

  it('? lists the shortcuts; arrows on a focused tab move between tabs, not the video', async () => {
    const w = await signedInPage(browser, served.base, 'sam', { viewport: VIEWPORT });
    const { page } = w;
    await openViewer(w, v1);
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    // Every shortcut of the one table, compare's included, in its group's table with its keys.
    const byGroup = new Map<string, Array<{ keys: string; label: string }>>();
    for (const { group } of SHORTCUT_GROUPS) byGroup.set(group, []);
    for (const sc of Object.values(SHORTCUTS) as Shortcut[])
      byGroup.get(sc.group)!.push({ keys: sc.keys.map(keyCap).join(' / '), label: sc.label });
    const listed = await dialog.locator('table').evaluateAll((tables) =>
      tables.map((t) => ({
        group: t.querySelector('caption')!.firstChild!.textContent!,
        rows: [...t.querySelectorAll('tr')].map((tr) => ({
          keys: tr.cells[0]!.textContent!,
          label: tr.cells[1]!.textContent!,
        })),
      })),
    );
    expect(listed).toEqual([...byGroup].map(([group, rows]) => ({ group, rows })));
    expect(listed.find((t) => t.group === 'Compare')?.rows.map((r) => r.keys)).toEqual(['A', 'B', 'T']);
    await shot(page, 'keyboard-overlay');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // A focused tab keeps its arrows: the next tab is selected, the frame stays 0.
    await page.getByRole('tab', { name: 'Review' }).click();
    await page.keyboard.press('ArrowRight');
    await expect
      .poll(() => page.getByRole('tab', { name: 'Metadata' }).getAttribute('aria-selected'))
      .toBe('true');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Metadata');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expect
      .poll(() => page.getByRole('tab', { name: /Notes/ }).getAttribute('aria-selected'))
      .toBe('true');
    expect(await frame(page)).toBe('0');
    // A focused field keeps them too.
    await page.getByRole('tab', { name: /Notes/ }).click();
    await page.locator('#note-text').focus();
    await page.keyboard.press('ArrowRight');
    expect(await frame(page)).toBe('0');
    // Elsewhere the arrow steps the video.
    await page.getByRole('img', { name: new RegExp(`${TASK} v001`) }).click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => frame(page)).toBe('1');

    // Tab shortcuts.
    await page.keyboard.press('Alt+2');
    await expect
      .poll(() => page.getByRole('tab', { name: 'Review' }).getAttribute('aria-selected'))
      .toBe('true');
    await page.keyboard.press('Alt+3');
    await expect
      .poll(() => page.getByRole('tab', { name: 'Metadata' }).getAttribute('aria-selected'))
      .toBe('true');
    await page.keyboard.press('Alt+1');
    await expect
      .poll(() => page.getByRole('tab', { name: /Notes/ }).getAttribute('aria-selected'))
      .toBe('true');
    expect(w.errors).toEqual([]);
    await page.context().close();
  });

  it('review shortcuts: next/previous version, compare, request changes on WIP, approve; hold and reopen', async () => {
    const w = await signedInPage(browser, served.base, 'sam', { viewport: VIEWPORT });
    const { page } = w;
    await openViewer(w, v1);
    await page.getByRole('img', { name: new RegExp(`${TASK} v001`) }).click({ position: { x: 5, y: 5 } });
    await page.keyboard.press(']');
    // Next/previous version keep the frame on screen (the address carries it: decision 175).
    await page.waitForURL(new RegExp(`/m/${v2}(\\?frame=\\d+)?$`));
    await page.getByRole('heading', { name: new RegExp(`${TASK} v002`) }).waitFor();
    await page.keyboard.press('[');
    await page.waitForURL(new RegExp(`/m/${v1}(\\?frame=\\d+)?$`));
    await page.getByRole('heading', { name: new RegExp(`${TASK} v001`) }).waitFor();
    await page.keyboard.press('c');
    await page.waitForURL(new RegExp(`/compare/${PROJECT}/${TASK}\\?a=v002&b=v001`));
    await page.goBack();
    await page.getByRole('heading', { name: new RegExp(`${TASK} v001`) }).waitFor();

    // A supervisor requests changes on a WIP version (the workflow's one rule), then approves.
    expect(await status(v1)).toBe('wip');
    await page.keyboard.press('Shift+C');
    await expect.poll(() => status(v1)).toBe('changes_requested');
    await page.getByText('Changes requested: ').waitFor();
    await page.keyboard.press('Shift+A');
    await expect.poll(() => status(v1)).toBe('approved');

    // Hold and reopen are enabled for the supervisor and work; history is in words.
    await openViewer(w, v2);
    await page.getByRole('tab', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Put on hold' }).click();
    await expect.poll(() => status(v2)).toBe('on_hold');
    await page.getByRole('button', { name: 'Reopen' }).click();
    await expect.poll(() => status(v2)).toBe('wip');
    const history = page.getByRole('list', { name: 'History' });
    await history.getByText('Put on hold').waitFor();
    await history.getByText('Reopened').waitFor();
    await history.getByText('Version created').waitFor();
    expect(await history.textContent()).not.toMatch(/media\.|status_changed/);
    await shot(page, 'keyboard-review-history');
    expect(w.errors).toEqual([]);
    await page.context().close();
  });

  it('a failed item says why in words, with details; no broken image, no console error', async () => {
    const w = await signedInPage(browser, served.base, 'sam', { viewport: VIEWPORT });
    const { page } = w;
    const notFound: string[] = [];
    page.on('response', (r) => r.status() === 404 && notFound.push(r.url()));
    const raw = (await served.api<{ processingError: string }>('GET', `/media/${failedId}`)).processingError;
    const card = page.locator('.media-card', { has: page.locator(`[data-media-id="${failedId}"]`) });
    await card.waitFor();
    const summary = card.locator('.problem-summary');
    expect(await summary.textContent()).toMatch(/^Could not (read the file|make a thumbnail|make a preview)/);
    expect(await summary.textContent()).not.toContain(raw);
    await card.getByText('Details').click();
    expect(await card.locator('.problem-details pre').textContent()).toBe(raw);
    expect(await card.locator('img').count()).toBe(0);
    await shot(page, 'keyboard-failed-card');

    await page.goto(`${served.base}/m/${failedId}`);
    const problem = page.locator('.viewer-main .problem');
    await problem.waitFor();
    expect(await problem.locator('.problem-summary').textContent()).toMatch(/^Could not /);
    await problem.getByText('Details').click();
    expect(await problem.locator('pre').textContent()).toBe(raw);
    // No broken picture: nothing that failed to load.
    const broken = await page.evaluate(
      () => [...document.images].filter((i) => i.complete && i.naturalWidth === 0).length,
    );
    expect(broken).toBe(0);
    await page.waitForTimeout(500);
    await shot(page, 'keyboard-failed-viewer');
    expect(notFound).toEqual([]);
    expect(w.errors).toEqual([]);
    await page.context().close();
  });
});

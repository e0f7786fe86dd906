/**
 * What every browser e2e file shares: a real `montu serve` (the built CLI) on a fresh data
 * directory, an admin API client, Debian's chromium, pages that collect console errors, sign-in
 * and screenshots. Each e2e file starts its own server, so files can run in parallel.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SHOTS = path.join(ROOT, 'e2e/screenshots');
export const CHROMIUM = process.env['MONTU_CHROMIUM'] ?? '/usr/bin/chromium';
export const CLI = path.join(ROOT, 'packages/cli/dist/bin.js');
export const WEB_DIST = path.join(ROOT, 'packages/web/dist');
export const PASSWORD = 'correct-horse-battery';

/** True when the built CLI, the built web app and chromium are all there (else e2e files skip). */
export const e2eReady =
  existsSync(CHROMIUM) && existsSync(CLI) && existsSync(path.join(WEB_DIST, 'index.html'));

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-nostdin', ...args]);
}

export interface ServeOptions {
  /** Extra environment for the server (e.g. MONTU_STORAGE_* for S3). */
  env?: Record<string, string>;
  /** Extra `montu serve` arguments. */
  args?: string[];
}

/** A running `montu serve` with its admin token and a scratch directory removed on stop. */
export interface Served {
  base: string;
  adminToken: string;
  /** Scratch directory for test media (the data directory is `${work}/data`). */
  work: string;
  /** The admin API: JSON in, JSON out; throws with the problem text on a non-2xx. */
  api<T>(method: string, p: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startServe(options: ServeOptions = {}): Promise<Served> {
  const work = mkdtempSync(path.join(tmpdir(), 'montu-e2e-'));
  const port = await freePort();
  const server: ChildProcess = spawn(
    process.execPath,
    [
      CLI,
      'serve',
      '--data-dir',
      path.join(work, 'data'),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      ...(options.args ?? []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MONTU_LOG_LEVEL: 'warn', ...options.env },
    },
  );
  let out = '';
  server.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  server.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const base = `http://127.0.0.1:${port}`;
  let adminToken = '';
  for (let i = 0; i < 400 && server.exitCode === null; i++) {
    const m = /API token:\s*(\S+)/.exec(out);
    if (m) adminToken = m[1]!;
    const up =
      adminToken &&
      (await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      ));
    if (up) break;
    await new Promise((r) => setTimeout(r, 150));
  }
  if (!adminToken) {
    server.kill('SIGKILL');
    throw new Error(`montu serve did not start:\n${out}`);
  }
  const api = async <T>(method: string, p: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}/api/v1${p}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  };
  const stop = async (): Promise<void> => {
    if (server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    rmSync(work, { recursive: true, force: true });
  };
  return { base, adminToken, work, api, stop };
}

/** Creates a project and one member per `[username, role]`, all with PASSWORD. */
export async function seedProject(
  served: Served,
  project: { id: string; name: string; settings?: Record<string, unknown> },
  members: ReadonlyArray<readonly [string, string, string?]>,
): Promise<void> {
  await served.api('POST', '/projects', project);
  for (const [username, role, displayName] of members) {
    const u = await served.api<{ id: string }>('POST', '/users', {
      username,
      password: PASSWORD,
      displayName: displayName ?? username,
    });
    await served.api('PUT', `/projects/${project.id}/members/${u.id}`, { role });
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A page whose uncaught errors and console errors are collected in `errors` (assert it is empty). */
export interface WatchedPage {
  page: Page;
  errors: string[];
}

export async function watchedPage(
  browser: Browser,
  options: BrowserContextOptions = { viewport: { width: 1366, height: 768 } },
): Promise<WatchedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console error: ${m.text()}`);
  });
  return { page, errors };
}

/**
 * A watched page signed in as `username`: failing requests are named in its errors too (the
 * console only says "Failed to load resource"), and the sign-in itself must leave no error — the
 * signed-out page asks who is signed in with `GET /auth/session`, which answers 200 `{ me: null }`.
 */
export async function signedInPage(
  browser: Browser,
  base: string,
  username: string,
  options?: BrowserContextOptions,
): Promise<WatchedPage> {
  const w = await watchedPage(browser, options);
  w.page.on('response', (r) => {
    if (r.status() >= 400)
      w.errors.push(`HTTP ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  await signIn(w.page, base, username);
  if (w.errors.length) throw new Error(`signing in as ${username} logged errors:\n${w.errors.join('\n')}`);
  return w;
}

export async function signIn(page: Page, base: string, username: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('search', { name: 'Filter media' }).waitFor({ timeout: 20_000 });
}

/** Waits until the page's video has its current frame (readyState ≥ HAVE_CURRENT_DATA). */
export async function videoReady(page: Page): Promise<void> {
  await page.waitForFunction(
    () => ((document.querySelector('video') as HTMLVideoElement | null)?.readyState ?? 0) >= 2,
  );
}

/** Opens the viewer of a media item (`query` as in `?frame=12`) and waits for its video's first frame. */
export async function openViewer(page: Page, base: string, mediaId: string, query = ''): Promise<void> {
  await page.goto(`${base}/m/${mediaId}${query}`);
  await page.getByTestId('video').waitFor();
  await videoReady(page);
}

/** Saves a screenshot to e2e/screenshots/<name>.png (look at it: the picture is the test too). */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** Polls the admin API until every item of the task has finished processing (ready or failed). */
export async function waitProcessed(
  served: Served,
  projectId: string,
  taskId: string,
  count: number,
  timeoutMs = 90_000,
): Promise<Array<{ id: string; version: string; processingState: string }>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { items } = await served.api<{
      items: Array<{ id: string; version: string; processingState: string }>;
    }>('GET', `/media?projectId=${projectId}&taskId=${taskId}&limit=100`);
    const done = items.filter((m) => m.processingState === 'ready' || m.processingState === 'failed');
    if (items.length >= count && done.length === items.length) return items;
    if (Date.now() > until)
      throw new Error(`${taskId}: ${done.length}/${count} processed after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Uploads a file as a new version through POST /media (multipart), as the admin. */
export async function uploadFile(
  served: Served,
  file: string,
  fields: { projectId: string; taskId: string; version?: string; author?: string; description?: string },
): Promise<{ id: string; version: string }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) form.append(k, v);
  form.append('file', new Blob([readFileSync(file)]), path.basename(file));
  const res = await fetch(`${served.base}/api/v1/media`, {
    method: 'POST',
    headers: { authorization: `Bearer ${served.adminToken}` },
    body: form,
  });
  if (!res.ok) throw new Error(`upload ${file}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; version: string };
}

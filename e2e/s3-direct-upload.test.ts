/**
 * The web app's uploader in direct-to-S3 mode (decision 160), in a real browser (Debian's
 * chromium through playwright-core) against a real `montu serve` whose storage is a real S3
 * protocol server (s3rver on loopback, its bucket's CORS rule allowing the page's origin): the
 * page PUTs the parts to presigned URLs on the bucket, the server verifies and records.
 * Screenshots go to e2e/screenshots/ (not committed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { chromium, type Browser } from 'playwright-core';
import { startS3rver, type S3rverHandle } from '../packages/core/test/helpers/s3rver.js';
import { png } from '../packages/client/test/helpers/png.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = path.join(ROOT, 'e2e/screenshots');
const CHROMIUM = process.env.MONTU_CHROMIUM ?? '/usr/bin/chromium';
const CLI = path.join(ROOT, 'packages/cli/dist/bin.js');
const WEB_DIST = path.join(ROOT, 'packages/web/dist');
const ready = existsSync(CHROMIUM) && existsSync(CLI) && existsSync(path.join(WEB_DIST, 'index.html'));
const PROJECT = 'DIR';
const TASK = 'ep01_sq010_sh010_plate';
const PASSWORD = 'correct-horse-battery';

let server: ChildProcess;
let s3: S3rverHandle;
let base = '';
let adminToken = '';
let browser: Browser;
let work = '';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function adminApi<T>(method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

describe.skipIf(!ready)('web uploader straight to S3 (s3rver) in chromium', () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'montu-e2e-direct-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // The bucket lets the page's origin PUT parts and read the ETag of the answer.
    s3 = await startS3rver({
      cors: `<CORSConfiguration><CORSRule><AllowedOrigin>${base}</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>`,
    });
    server = spawn(
      process.execPath,
      [CLI, 'serve', '--data-dir', path.join(work, 'data'), '--port', String(port), '--host', '127.0.0.1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          MONTU_LOG_LEVEL: 'warn',
          MONTU_STORAGE: 's3',
          MONTU_S3_BUCKET: s3.bucket,
          MONTU_S3_ENDPOINT: s3.endpoint,
          MONTU_S3_FORCE_PATH_STYLE: 'true',
          MONTU_S3_ACCESS_KEY_ID: s3.accessKeyId,
          MONTU_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
        },
      },
    );
    let err = '';
    server.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    server.stdout!.on('data', (b: Buffer) => (err += b.toString()));
    for (let i = 0; i < 600; i++) {
      const m = /API token:\s*(\S+)/.exec(err);
      if (m) adminToken = m[1]!;
      if (
        adminToken &&
        (await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        ))
      )
        break;
      await new Promise((r) => setTimeout(r, 150));
    }
    if (!adminToken) throw new Error(`montu serve did not start:\n${err}`);
    await adminApi('POST', '/projects', { id: PROJECT, name: 'Direct uploads' });
    const u = await adminApi<{ id: string }>('POST', '/users', { username: 'ana', password: PASSWORD });
    await adminApi('PUT', `/projects/${PROJECT}/members/${u.id}`, { role: 'artist' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    await s3?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('an artist uploads a 20 MiB plate: the parts go to the bucket, the item is the file', async () => {
    const bytes = Buffer.concat([png(3), randomBytes(20 * 1024 * 1024)]); // 3 parts
    const file = path.join(work, 'plate.png');
    writeFileSync(file, bytes);

    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
    });
    const partPuts: string[] = [];
    page.on('requestfinished', (r) => {
      if (r.method() === 'PUT' && r.url().startsWith(s3.endpoint)) partPuts.push(r.url());
    });

    await page.goto(`${base}/login`);
    await page.getByLabel('User name').fill('ana');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('search', { name: 'Filter media' }).waitFor({ timeout: 30_000 });
    // The sign-in page asks /auth/me before anyone is signed in (a 401 the app expects); from
    // here on nothing may fail.
    problems.length = 0;
    await page.getByRole('button', { name: 'Upload…' }).click();
    const panel = page.getByRole('region', { name: 'Upload' });
    await panel.getByRole('combobox', { name: 'Task' }).fill(TASK);
    await panel.locator('label:has-text("Add files…") input[type=file]').setInputFiles([file]);
    await panel.getByRole('button', { name: 'Start upload' }).click();

    const items = async () =>
      (
        await adminApi<{ items: Array<{ id: string; sha256: string; size: number }> }>(
          'GET',
          `/media?projectId=${PROJECT}&taskId=${TASK}`,
        )
      ).items;
    await expect.poll(async () => (await items()).length, { timeout: 120_000 }).toBe(1);
    const [media] = await items();
    expect(media!.size).toBe(bytes.length);
    expect(media!.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    // Three parts went from the page to the bucket; the server recorded a direct upload.
    expect(partPuts).toHaveLength(3);
    const db = new Database(path.join(work, 'data', 'montu.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT kind, state FROM upload_session WHERE media_id = ?').get(media!.id)).toEqual({
        kind: 's3-direct',
        state: 'complete',
      });
    } finally {
      db.close();
    }
    await expect
      .poll(() => panel.locator('li[data-state]').first().getAttribute('data-state'), { timeout: 60_000 })
      .not.toBe('uploading');
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 's3-direct-upload.png') });
    expect(problems).toEqual([]);
    await page.close();
  }, 240_000);
});

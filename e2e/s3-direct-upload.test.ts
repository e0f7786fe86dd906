/**
 * The web app's uploader in direct-to-S3 mode (decision 160), in a real browser (Debian's
 * chromium through playwright-core) against a real `montu serve` whose storage is a real S3
 * protocol server (s3rver on loopback, its bucket's CORS rule allowing loopback pages): the page
 * PUTs the parts to presigned URLs on the bucket, the server verifies and records.
 * Screenshots go to e2e/screenshots/ (not committed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { startS3rver, type S3rverHandle } from '../packages/core/test/helpers/s3rver.js';
import { png } from '../packages/client/test/helpers/png.js';
import {
  e2eReady,
  launchChromium,
  seedProject,
  shot,
  signedInPage,
  startServe,
  type Served,
} from './harness.js';

const PROJECT = 'DIR';
const TASK = 'ep01_sq010_sh010_plate';

let served: Served;
let s3: S3rverHandle;
let browser: Browser;

describe.skipIf(!e2eReady)('web uploader straight to S3 (s3rver) in chromium', () => {
  beforeAll(async () => {
    // The bucket lets loopback pages PUT parts and read the ETag of the answer.
    s3 = await startS3rver({
      cors: `<CORSConfiguration><CORSRule><AllowedOrigin>http://127.0.0.1:*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>`,
    });
    served = await startServe({
      env: {
        MONTU_STORAGE: 's3',
        MONTU_S3_BUCKET: s3.bucket,
        MONTU_S3_ENDPOINT: s3.endpoint,
        MONTU_S3_FORCE_PATH_STYLE: 'true',
        MONTU_S3_ACCESS_KEY_ID: s3.accessKeyId,
        MONTU_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      },
    });
    await seedProject(served, { id: PROJECT, name: 'Direct uploads' }, [['ana', 'artist', 'Ana Artist']]);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await s3?.close();
  });

  it('an artist uploads a 20 MiB plate: the parts go to the bucket, the item is the file', async () => {
    const bytes = Buffer.concat([png(3), randomBytes(20 * 1024 * 1024)]); // 3 parts
    const file = path.join(served.work, 'plate.png');
    writeFileSync(file, bytes);

    // Failing requests, the bucket's included, are named in `errors`: nothing may fail.
    const { page, errors } = await signedInPage(browser, served.base, 'ana');
    const partPuts: string[] = [];
    page.on('requestfinished', (r) => {
      if (r.method() === 'PUT' && r.url().startsWith(s3.endpoint)) partPuts.push(r.url());
    });
    await page.getByRole('button', { name: 'Upload…' }).click();
    const panel = page.getByRole('region', { name: 'Upload' });
    await panel.getByRole('combobox', { name: 'Task' }).fill(TASK);
    await panel.locator('label:has-text("Add files…") input[type=file]').setInputFiles([file]);
    await panel.getByRole('button', { name: 'Start upload' }).click();

    const items = async () =>
      (
        await served.api<{ items: Array<{ id: string; sha256: string; size: number }> }>(
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
    const db = new Database(path.join(served.work, 'data', 'montu.db'), { readonly: true });
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
    await shot(page, 's3-direct-upload');
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);
});

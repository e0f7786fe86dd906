/** The job map refuses media jobs without their item's project at compile time: the refusals in job-spec-types.ts hold. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));

it('refuses a media job without its media item or project, and a webhook delivery with one, at compile time', () => {
  const tsc = path.resolve(here, '../../../../node_modules/typescript/bin/tsc');
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.job-types.json')], {
      encoding: 'utf8',
    });
  } catch (e) {
    output = String((e as { stdout?: string }).stdout ?? e);
  }
  expect(output).toBe('');
}, 120_000);

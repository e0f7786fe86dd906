/** The client is strictly typed: the compile-time refusals in typed-calls.ts all hold. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));

it('refuses wrong paths, parameters, bodies and fields at compile time', () => {
  const tsc = path.resolve(here, '../../../node_modules/typescript/bin/tsc');
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.typed.json')], { encoding: 'utf8' });
  } catch (e) {
    output = String((e as { stdout?: string }).stdout ?? e);
  }
  expect(output).toBe('');
}, 120_000);

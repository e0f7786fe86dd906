/** CI check: the committed openapi.json, src/schema.ts and src/components.ts are what the server generates now. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

it('regenerating the OpenAPI document and types changes nothing', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-gen-'));
  try {
    // @ts-expect-error -- plain ESM script without type declarations
    const { generate } = (await import('../scripts/generate.mjs')) as {
      generate(dir: string): Promise<{ json: string; types: string; named: string }>;
    };
    const { json, types, named } = await generate(out);
    const hint =
      'out of date: run `npm run build && npm run generate -w @montu/client` and commit the result';
    expect(json === fs.readFileSync(path.join(pkg, 'openapi.json'), 'utf8'), `openapi.json ${hint}`).toBe(
      true,
    );
    expect(
      types === fs.readFileSync(path.join(pkg, 'src', 'schema.ts'), 'utf8'),
      `src/schema.ts ${hint}`,
    ).toBe(true);
    expect(
      named === fs.readFileSync(path.join(pkg, 'src', 'components.ts'), 'utf8'),
      `src/components.ts ${hint}`,
    ).toBe(true);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}, 120_000);

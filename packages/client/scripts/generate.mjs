#!/usr/bin/env node
/**
 * Writes the OpenAPI document of the server (built from its route schemas, in process: no
 * listening socket, no database beyond a throwaway data directory) and the TypeScript types
 * generated from it by openapi-typescript:
 *
 *   <out>/openapi.json      the document, as served at /api/v1/openapi.json
 *   <out>/src/schema.ts     `paths`, `components`, `operations` types
 *   <out>/src/components.ts a named type for every component (`Media`, `ReviewNote`, …)
 *
 * Usage: npm run generate -w @montu/client [-- <out dir>]   (default: this package)
 * Needs the server built (npm run build). The sync test regenerates into a temp dir and compares.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(process.argv[2] ?? path.join(here, '..'));

export async function serverDocument() {
  const { openMontu } = await import('@montu/core');
  const { createServer, loadConfig } = await import('@montu/server');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-openapi-'));
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('MONTU_')) delete process.env[k];
  try {
    const config = loadConfig({ dataDir, logLevel: 'silent' });
    const montu = await openMontu({
      dataDir,
      storage: { type: 'local', root: path.join(dataDir, 'storage') },
    });
    try {
      const app = await createServer({ montu, config });
      await app.ready();
      const doc = app.swagger();
      await app.close();
      return JSON.parse(JSON.stringify(doc));
    } finally {
      await montu.close();
    }
  } finally {
    process.env = saved;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function generate(outDir) {
  const doc = await serverDocument();
  const json = JSON.stringify(doc, null, 2) + '\n';
  const ast = await openapiTS(doc, { alphabetize: true, exportType: false });
  const header =
    '/**\n * Generated from openapi.json by `npm run generate -w @montu/client` (openapi-typescript).\n * Do not edit: change the wire schemas (@montu/domain/wire) and regenerate.\n */\n\n';
  const types = header + astToString(ast);
  const names = Object.keys(doc.components?.schemas ?? {}).sort();
  const named =
    "/**\n * Generated from openapi.json by `npm run generate -w @montu/client`: one type per component.\n * Do not edit: change the wire schemas (@montu/domain/wire) and regenerate.\n */\nimport type { components } from './schema.js';\n\n" +
    names.map((n) => `export type ${n} = components['schemas']['${n}'];\n`).join('');
  fs.mkdirSync(path.join(outDir, 'src'), { recursive: true });
  fs.writeFileSync(path.join(outDir, 'openapi.json'), json);
  fs.writeFileSync(path.join(outDir, 'src', 'schema.ts'), types);
  fs.writeFileSync(path.join(outDir, 'src', 'components.ts'), named);
  return { json, types, named };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await generate(out);
  process.stdout.write(`wrote ${path.join(out, 'openapi.json')}, src/schema.ts and src/components.ts\n`);
}

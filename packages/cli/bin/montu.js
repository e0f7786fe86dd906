#!/usr/bin/env node
// The installed `montu` command. It exists before the build so that `npm ci` links it into
// node_modules/.bin (npm skips a bin whose file is missing at install time); it runs the built CLI.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  console.error('montu: the command line is not built yet; run `npm run build` in the checkout first');
  process.exit(1);
}
await import(built.href);

#!/usr/bin/env node
import { run } from './program.js';

const code = await run(process.argv);
// Let stdout drain, then leave even if a library left a handle open (a pool, a child process).
process.exitCode = code;
process.stdout.write('', () => process.exit(code));

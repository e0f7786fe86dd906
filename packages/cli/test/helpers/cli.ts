import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
export const BIN = path.join(ROOT, 'packages/cli/dist/bin.js');
/** test/corpus (always there) and the corpus to walk whole folders of: the larger optional one when present. */
export { CORPUS, WIDEST_CORPUS } from '../../../core/test/helpers/env.js';

/** Builds the CLI (and what it references) when dist is missing. */
export function ensureBuilt(): void {
  if (fs.existsSync(BIN)) return;
  execFileSync('npx', ['tsc', '-b', 'packages/cli'], { cwd: ROOT, stdio: 'inherit' });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `montu ARGS` as a child process; never throws on a non-zero exit. */
export function montu(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<CliResult> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    MONTU_SERVER: undefined,
    MONTU_TOKEN: undefined,
    MONTU_DATA_DIR: undefined,
    MONTU_DATABASE_URL: undefined,
    ...options.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd ?? os.tmpdir(), env: env as NodeJS.ProcessEnv, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Starts a long-running `montu …` (serve) and resolves once `ready` matches its output. */
export function spawnMontu(args: string[], ready: RegExp, env: Record<string, string | undefined> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const started = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (ready.test(output)) resolve(output);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`montu ${args.join(' ')} exited with ${code}: ${output}`)));
  });
  return { child, started, output: () => output };
}

export function tempDir(prefix = 'montu-cli-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);
}

/** A PNG sequence `name.NNNN.png` with frames `frames` in `dir`. */
export function makeSequence(dir: string, name: string, frames: number[]): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const first = path.join(dir, `${name}.first.png`);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=64x48', '-frames:v', '1', first]);
  const out = frames.map((f) => {
    const p = path.join(dir, `${name}.${String(f).padStart(4, '0')}.png`);
    fs.copyFileSync(first, p);
    return p;
  });
  fs.rmSync(first);
  return out;
}

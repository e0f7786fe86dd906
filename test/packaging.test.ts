/**
 * Packaging as an operator meets it: `npx montu` in a checkout, the Python client installed with
 * pip into a fresh virtual environment (offline: nothing may be downloaded), and the Dockerfile
 * that docs/examples/compose.yaml builds (only where a Docker engine answers).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = process.env['PYTHON'] ?? 'python3';
const readJson = (p: string) =>
  JSON.parse(fs.readFileSync(path.join(root, p), 'utf8')) as Record<string, unknown>;
const cliVersion = readJson('packages/cli/package.json')['version'] as string;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'montu-packaging-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe('npx montu in a checkout', () => {
  it('the root package does not shadow the CLI package, so npm links the montu command', () => {
    expect(readJson('package.json')['name']).not.toBe('montu');
    expect(readJson('packages/cli/package.json')['name']).toBe('montu');
    // npm links a bin only if its file exists at install time, before any build.
    const bin = (readJson('packages/cli/package.json')['bin'] as Record<string, string>)['montu']!;
    expect(bin.includes('dist/'), 'the bin must be a committed file, not a build output').toBe(false);
    expect(fs.existsSync(path.join(root, 'packages/cli', bin))).toBe(true);
  });

  it('runs `npx montu --version` from the checkout', () => {
    expect(fs.existsSync(path.join(root, 'packages/cli/dist/bin.js')), 'npm run build first').toBe(true);
    const r = spawnSync('npx', ['--no-install', 'montu', '--version'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(cliVersion);
  });
});

const venvWorks = spawnSync(python, ['-c', 'import venv, ensurepip'], { encoding: 'utf8' }).status === 0;
if (!venvWorks)
  console.warn(`packaging: skipping the pip install test: ${python} has no venv/ensurepip module`);

describe.skipIf(!venvWorks)('pip install ./clients/python', () => {
  it('installs offline into a fresh virtual environment and imports from there', () => {
    const venv = path.join(scratch, 'venv');
    const made = spawnSync(python, ['-m', 'venv', venv], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const vpython = path.join(venv, 'bin', 'python');
    // No index, no find-links, no configuration: the build must need nothing from outside.
    const env: NodeJS.ProcessEnv = { ...process.env, PIP_CONFIG_FILE: os.devnull, PIP_NO_INDEX: '1' };
    for (const k of Object.keys(env))
      if (k.startsWith('PIP_') && !['PIP_CONFIG_FILE', 'PIP_NO_INDEX'].includes(k)) delete env[k];
    const install = spawnSync(
      vpython,
      ['-m', 'pip', 'install', '--no-index', '--disable-pip-version-check', './clients/python'],
      { cwd: root, encoding: 'utf8', env },
    );
    expect(install.status, `${install.stdout}\n${install.stderr}`).toBe(0);
    const check = spawnSync(
      vpython,
      [
        '-c',
        'import importlib.metadata as m, montu_client; print(m.version("montu-client")); print(montu_client.__file__); print(montu_client.MontuClient.__name__)',
      ],
      { cwd: scratch, encoding: 'utf8', env },
    );
    expect(check.status, check.stderr).toBe(0);
    const [version, file, cls] = check.stdout.trim().split('\n');
    const pyproject = fs.readFileSync(path.join(root, 'clients/python/pyproject.toml'), 'utf8');
    expect(version).toBe(/^version = "([^"]+)"/m.exec(pyproject)?.[1]);
    expect(file!.startsWith(venv), file).toBe(true);
    expect(cls).toBe('MontuClient');
    expect(fs.existsSync(path.join(path.dirname(file!), 'py.typed'))).toBe(true);
  });
});

const docker = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' });
const dockerReason =
  docker.error || docker.status !== 0
    ? (docker.error?.message ?? docker.stderr.trim().split('\n')[0] ?? 'docker info failed')
    : null;
if (dockerReason)
  console.warn(`packaging: skipping the Docker image build: no Docker engine (${dockerReason})`);

describe('Dockerfile', () => {
  it('is the image that the compose example builds', () => {
    const compose = fs.readFileSync(path.join(root, 'docs/examples/compose.yaml'), 'utf8');
    expect(compose).toMatch(/build: \{ context: \.\.\/\.\., dockerfile: Dockerfile \}/);
    const file = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(file).toMatch(/^FROM node:20-bookworm/m);
    expect(file).toMatch(/apt-get install[^\n]*ffmpeg/);
    // The stay-open prober is compiled in the build stage against Debian's ffmpeg headers.
    expect(file).toMatch(/libavformat-dev/);
    expect(file).toMatch(/bash scripts\/build-avprobe\.sh/);
  });

  it.skipIf(dockerReason !== null)(
    'builds, and its montu answers --version',
    () => {
      const tag = `montu-packaging-test:${process.pid}`;
      const build = spawnSync('docker', ['build', '-q', '-t', tag, '.'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 1_500_000,
      });
      expect(build.status, build.stderr).toBe(0);
      try {
        const run = spawnSync('docker', ['run', '--rm', tag, '--version'], { encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(0);
        expect(run.stdout.trim()).toBe(cliVersion);
        const ff = spawnSync('docker', ['run', '--rm', '--entrypoint', 'ffprobe', tag, '-version'], {
          encoding: 'utf8',
        });
        expect(ff.status, ff.stderr).toBe(0);
      } finally {
        spawnSync('docker', ['rmi', '-f', tag]);
      }
    },
    1_800_000,
  );
});

/**
 * Runs the Python client's unittest suite (clients/python/tests) against a real `montu serve`
 * started by the suite itself from the built CLI (`npm test` builds first). It includes the Montu
 * Manager media services document's examples, run as written (test_manager_document.py): they
 * must run, not be skipped, wherever the document's paths (/path/to/…) can be made (as root in CI).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = process.env['PYTHON'] ?? 'python3';
const hasPython = spawnSync(python, ['--version']).status === 0;

describe.skipIf(!hasPython)('Python client (montu_client) against a real server', () => {
  it('passes python3 -m unittest', () => {
    expect(
      existsSync(path.join(root, 'packages/cli/dist/bin.js')),
      'build the CLI first (npm run build)',
    ).toBe(true);
    const run = spawnSync(python, ['-m', 'unittest', 'discover', '-s', 'clients/python/tests', '-v'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 540_000,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
    const ran = Number(/Ran (\d+) tests?/.exec(output)?.[1] ?? 0);
    if (run.status !== 0 || ran < 20) console.error(output);
    expect(run.status, output.slice(-4000)).toBe(0);
    expect(ran).toBeGreaterThanOrEqual(20);
    if (process.getuid?.() === 0)
      expect(output).toMatch(/test_the_documents_examples_run_as_written \([^)]*\) \.\.\. ok/);
  }, 600_000);
});

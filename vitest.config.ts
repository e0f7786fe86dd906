import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'e2e/**/*.test.ts'],
    // The 60 s / 200-connection load run is for `npm run test:soak` only (vitest.soak.config.ts).
    exclude: [...configDefaults.exclude, 'test/reliability/soak-load.test.ts'],
    // Prints once whether the optional larger media corpus is there (test/corpus is always).
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: run test files two at a time so heavy media tests do not starve each other.
    maxWorkers: 2,
    pool: 'forks',
    // In CI a failed test is run once more before the run fails: the multi-process, crash and
    // browser tests race real processes on 2 shared cores. A retried test is reported as such
    // (vitest marks it flaky), so a flake stays visible instead of silently passing.
    retry: process.env['CI'] ? 1 : 0,
  },
});

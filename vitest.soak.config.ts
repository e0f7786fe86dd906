import { defineConfig } from 'vitest/config';

/**
 * `npm run test:soak`: the long variants of the reliability suite (test/soak/**), with more
 * fuzz runs. Not part of `npm test`.
 */
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts', 'test/reliability/**/*.test.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 10 * 60_000,
    maxWorkers: 1,
    pool: 'forks',
    env: { MONTU_FUZZ_RUNS: '400', MONTU_SOAK: '1' },
  },
});

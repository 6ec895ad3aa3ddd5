import { defineConfig } from 'vitest/config';

// Tests spawn real worker and mock-Queue processes on loopback, so they get generous
// per-test timeouts; every loop inside them is bounded on its own.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'reports/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});

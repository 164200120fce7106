import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'apps/*/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start servers and databases; run files in separate processes, two at a time (2 cores).
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
  },
});

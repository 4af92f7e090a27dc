import { defineConfig } from 'vitest/config';

// Integration tests spawn real processes on a 2-core machine: run files one at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: false,
    // Timeouts only catch hangs: tests wait on conditions, never on the clock. A test whose work is long on a
    // slow machine (the full-size example, chaos, batch jobs) sets its own timeout and says why.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

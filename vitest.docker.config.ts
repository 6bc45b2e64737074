// The Docker end-to-end tests (test/docker): a real Docker Engine, real Compose, real Envoy.
// Run by scripts/test-docker (which prepares the engine and the images), one file at a time.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/docker/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});

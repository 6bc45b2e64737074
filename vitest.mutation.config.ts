import { defineConfig } from 'vitest/config';

// The unit tests only, for `npm run mutation` (stryker.config.mjs): the integration tests need
// Envoy and take minutes, too slow to run once per mutant.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

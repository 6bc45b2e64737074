import { defineConfig } from 'vitest/config';

// For `npm run mutation` (stryker.config.mjs): the unit tests of the four mutated folders, run
// once per mutant. Not the tests that start Envoy (test/integration, envoy-validate.test.ts:
// seconds each), nor the other unit tests: those that build a mesh in beforeAll or at import
// (control, runtime) make every line they reach a "static" mutant, re-run with every test.
// Property tests run 10 cases instead of hundreds: they are there to find crashes, not to kill
// mutants, and dominate the time per mutant otherwise.
export default defineConfig({
  test: {
    include: ['test/unit/{config,compile,envoy,xds}/**/*.test.ts'],
    exclude: ['test/unit/compile/envoy-validate.test.ts', '**/node_modules/**'],
    env: { FC_RUNS: '10' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

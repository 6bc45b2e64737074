// Mutation testing of the pure core (config, compile, xds) against the unit tests:
//   npm run mutation                                  all three folders
//   npm run mutation -- --mutate 'src/xds/**/*.ts'    one folder (the others' results are kept)
// Incremental: results are kept in reports/stryker-incremental.json, so a re-run only tests
// the mutants whose code or covering tests changed (`-- --force` runs everything again).
// Not part of CI: a full run takes tens of minutes on 2 cores.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  // Static mutants (code run at import: zod schemas, constant tables) are each tested by re-running
  // every test in a fresh process, most of a run's time for few mutants; they are left out
  // (reported as Ignored). `STRYKER_STATIC=1 npm run mutation` includes them.
  ignoreStatic: process.env.STRYKER_STATIC !== '1',
  mutate: ['src/config/**/*.ts', 'src/compile/**/*.ts', 'src/envoy/**/*.ts', 'src/xds/**/*.ts'],
  ignorePatterns: ['.cache', '.mesh', 'out', 'reports', '.stryker-tmp*'],
  concurrency: 2,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, reportTests: false, reportMutants: false },
  thresholds: { high: 85, low: 70, break: null },
  tempDirName: '.stryker-tmp',
  // Stryker rewrites the paths of the tsconfig named here with the TypeScript 5 API, which
  // TypeScript 7 no longer has; ours has no paths to rewrite (no extends, no references).
  tsconfigFile: 'no-tsconfig-to-rewrite.json',
  cleanTempDir: 'always',
};

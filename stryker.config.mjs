// Mutation testing: `npm run test:mutation` (everything) or `npm run test:mutation:ci`
// (incremental: only mutants in code or tests changed since reports/stryker-incremental.json).
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.stryker.config.ts" },
  coverageAnalysis: "perTest",
  mutate: [
    "src/resources/**/*.ts",
    "src/engine/**/*.ts",
    "src/state/**/*.ts",
    "src/aws/**/*.ts",
    "handler/**/*.ts",
  ],
  // The shell, not the code: type-only files have nothing to mutate.
  ignorePatterns: ["dist", "coverage", "reports", ".serverless-automation", "test/emulator"],
  incrementalFile: "reports/stryker-incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  concurrency: 2,
  // `npm run test:mutation:ci` scores its files with the quick unit and single-kind suites only
  // (stryker.unit.config.mjs; reports/stryker-incremental.json keeps the results of what did not
  // change): a mutant that only an integration suite would kill counts as surviving there, so
  // its score is a lower bound. A change that lets it fall under 80 % fails the run, and so CI.
  thresholds: { high: 95, low: 85, break: 80 },
  // A static mutant (code run once, when a module loads or in a suite's beforeAll) would rerun
  // every test; they are reported as ignored, not counted.
  ignoreStatic: true,
  timeoutMS: 60_000,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};

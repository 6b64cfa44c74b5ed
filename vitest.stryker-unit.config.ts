import { defineConfig } from "vitest/config";
import full from "./vitest.stryker.config.js";

/**
 * The quick suites only: unit and single-kind behaviour tests, each file a few seconds at most.
 * Used to score files whose mutants every integration suite also covers (src/state,
 * src/resources): with the full set, each surviving mutant reruns minutes of `up`/`down`
 * integration tests. A mutant these suites kill is killed whatever else runs, so the incremental
 * report it leaves stays valid; one they leave alive is tried again by the full set (the
 * integration suites are new tests for it) on the next `npm run test:mutation:ci`.
 */
// Spread, not mergeConfig: that would add these globs to the full set's instead of replacing them.
export default defineConfig({
  ...full,
  test: {
    ...full.test,
    include: [
      "test/handler/**/*.test.ts",
      "test/resources/**/*.test.ts",
      "test/state/**/*.test.ts",
      "test/engine/**/*.test.ts",
      "test/aws/**/*.test.ts",
      "test/equal.test.ts",
      "test/config.test.ts",
      "test/engine-owner.test.ts",
      "test/state-dir.test.ts",
      "test/reliability/state.test.ts",
      "test/reliability/bad-input.test.ts",
    ],
  },
});

import { defineConfig } from "vitest/config";

/**
 * The suites Stryker runs against each mutant: every fake-based suite, without the emulator
 * (moto) suites and without the global setup's build of dist, which no fake-based suite uses.
 */
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // crash.test.ts replays a whole up for each of its ~90 crash points: too slow to run against
    // each mutant (it stays in `npm test`).
    exclude: [
      "test/emulator/**",
      "test/reliability/crash.test.ts",
      "test/process/**",
      "**/node_modules/**",
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});

import { statSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Quick files first. Each mutant runs only the tests that cover it and stops at the first
 * failure, so a mutant that a unit test kills costs that test, not the integration suites that
 * also cover it (vitest's own order runs the longest files first).
 */
class QuickFirst extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache, config } = this.ctx;
    const cost = (spec: TestSpecification): number => {
      const key = `${spec.project.name}:${path.relative(config.root, spec.moduleId)}`;
      const duration = cache.getFileTestResults(key)?.duration;
      // Unknown: by size, a file of a few tests being a few kilobytes.
      return duration ?? statSync(spec.moduleId).size / 10;
    };
    return Promise.resolve([...files].sort((a, b) => cost(a) - cost(b)));
  }
}

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
    sequence: { sequencer: QuickFirst },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});

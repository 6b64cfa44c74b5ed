// The quick scoring run (see vitest.stryker-unit.config.ts):
// `npx stryker run stryker.unit.config.mjs --incremental --mutate <files>`.
import base from "./stryker.config.mjs";

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  ...base,
  vitest: { configFile: "vitest.stryker-unit.config.ts" },
};

import { beforeEach, describe, it } from "vitest";
import {
  lambdaFixture,
  LAMBDA_VERSION_SCENARIOS,
  type LambdaBackend,
} from "../support/lambda-versions.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

// The scenarios test/fake-lambda-versions.test.ts runs against the fake, here against moto.
const em = useEmulator({ proxy: false, resetEach: true });
let backend: LambdaBackend;

describe.skipIf(MOTO_SKIP_REASON !== undefined)("moto Lambda versions and aliases", () => {
  beforeEach(async () => {
    backend = { clients: em.aws, settle: async () => undefined };
    await lambdaFixture(backend);
  });
  for (const [name, scenario] of Object.entries(LAMBDA_VERSION_SCENARIOS)) {
    it(name, () => scenario(backend));
  }
});

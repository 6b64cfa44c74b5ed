import { beforeEach, describe, it } from "vitest";
import { FakeAccount } from "./fake-aws/index.js";
import {
  lambdaFixture,
  LAMBDA_VERSION_SCENARIOS,
  type LambdaBackend,
} from "./support/lambda-versions.js";

// The same scenarios run against moto in test/emulator/lambda-versions.test.ts.
let backend: LambdaBackend;

beforeEach(async () => {
  const fake = new FakeAccount();
  fake.iam.timings.propagationMs = 0;
  backend = {
    clients: fake.clients(),
    settle: () => new Promise((r) => setTimeout(r, 40)),
  };
  await lambdaFixture(backend);
});

describe("fake Lambda versions and aliases", () => {
  for (const [name, scenario] of Object.entries(LAMBDA_VERSION_SCENARIOS)) {
    it(name, () => scenario(backend));
  }
});

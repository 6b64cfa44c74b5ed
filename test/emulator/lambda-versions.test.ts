import { afterAll, beforeAll, beforeEach, describe, it } from "vitest";
import {
  lambdaFixture,
  LAMBDA_VERSION_SCENARIOS,
  type LambdaBackend,
} from "../support/lambda-versions.js";
import { awsAt } from "./aws.js";
import { Moto, MOTO_SKIP_REASON } from "./moto.js";

// The scenarios test/fake-lambda-versions.test.ts runs against the fake, here against moto.
let moto: Moto;
let backend: LambdaBackend;

describe.skipIf(MOTO_SKIP_REASON !== undefined)("moto Lambda versions and aliases", () => {
  beforeAll(async () => {
    moto = await Moto.start();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    backend = { clients: awsAt(moto.endpoint), settle: async () => undefined };
    await lambdaFixture(backend);
  });
  for (const [name, scenario] of Object.entries(LAMBDA_VERSION_SCENARIOS)) {
    it(name, () => scenario(backend));
  }
});

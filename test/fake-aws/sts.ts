import type { FakeService } from "./core.js";

export class FakeSts implements FakeService {
  readonly name = "STS";
  readonly operations: FakeService["operations"];

  constructor(account: string) {
    this.operations = {
      GetCallerIdentity: () => ({
        Account: account,
        Arn: `arn:aws:iam::${account}:user/deployer`,
        UserId: "AIDAFAKEDEPLOYER",
      }),
    };
  }
}

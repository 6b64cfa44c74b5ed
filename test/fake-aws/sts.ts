import { partitionOf, type FakeService } from "./core.js";

export class FakeSts implements FakeService {
  readonly name = "STS";
  readonly operations: FakeService["operations"];

  constructor(account: string) {
    this.operations = {
      GetCallerIdentity: (_i, c) => ({
        Account: account,
        Arn: `arn:${partitionOf(c.region)}:iam::${account}:user/deployer`,
        UserId: "AIDAFAKEDEPLOYER",
      }),
    };
  }
}

import type { Ctx } from "../../src/engine/types.js";
import { FakeAccount } from "../fake-aws/index.js";
import { FAST } from "../helpers.js";

/**
 * One resource kind driven on its own against a fake account: the calls it makes (and their
 * inputs) are what these tests assert, without a whole `up` around them.
 */
export interface KindWorld {
  fake: FakeAccount;
  ctx: Ctx;
  /** What the kind reported waiting for. */
  progress: string[];
  /** The inputs of the calls of `operation`, in order. */
  inputs(operation: string): Record<string, unknown>[];
  /** The operations called, in order ("Service.Operation" not needed: names are unique enough). */
  operations(): string[];
}

export function kindWorld(over: Partial<Ctx> = {}): KindWorld {
  const fake = new FakeAccount({ region: "us-east-1" });
  const progress: string[] = [];
  // Only the fields the resource kinds read; config and names belong to the stack builder.
  const ctx = {
    clients: fake.clients(),
    account: fake.account,
    region: fake.region,
    partition: "aws",
    tags: {},
    owner: {},
    timing: FAST,
    progress: (m: string) => void progress.push(m),
    ...over,
  } as unknown as Ctx;
  return {
    fake,
    ctx,
    progress,
    inputs: (operation) =>
      fake
        .callLog()
        .filter((c) => c.operation === operation)
        .map((c) => c.input),
    operations: () => fake.callLog().map((c) => c.operation),
  };
}

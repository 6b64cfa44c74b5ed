/**
 * The stack as the README's "What it provisions" and the shared AWS notes describe it, written
 * by hand (test/emulator/expected.ts), asserted here against the fake account: a regression in
 * the code cannot move the target, as a snapshot made by the same code would.
 */
import type { FakeAccount } from "./fake-aws/index.js";
import { expectStack } from "./emulator/aws.js";

export * from "./emulator/expected.js";
export { statements } from "./emulator/aws.js";

/**
 * Asserts that the fake account holds exactly one of everything the stack has, each with the
 * properties the reference design gives it (role policy and trust, every invoke permission's
 * SourceArn and SourceAccount, bucket policy, stage settings, alarms…), read back through the SDK.
 */
export async function expectDesignedStack(
  fake: FakeAccount,
  stage = "production",
  opts: {
    email?: string;
    auth?: "iam" | "api-key" | "cognito" | "none";
    waf?: { rateLimit?: number };
  } = {},
): Promise<void> {
  await expectStack(fake.clients(), stage, opts);
}

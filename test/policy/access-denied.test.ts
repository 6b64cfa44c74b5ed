/**
 * Denied is explained (issue 28): an AWS refusal in any service's spelling stops the run with
 * the state whole and the lock released, names the action and resource AWS refused, and says
 * which command prints the permissions the tool needs.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { awsError } from "../fake-aws/index.js";
import { quickWorld, tinyHandler } from "../reliability/support.js";

const ACCOUNT = "123456789012";
const STACK = "serverless-automation-production";
const FN = `${STACK}-api`;
const FN_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${FN}`;
const IO = { handlerEntry: tinyHandler() };
const POLICY_HINT = "`npx serverless-automation policy --for deploy` prints every permission";

describe("an AccessDenied mid-up", () => {
  it("stops cleanly, names what AWS refused, and the next up converges once it is granted", async () => {
    const w = quickWorld();
    w.fake.inject({
      service: "Lambda",
      operation: "CreateFunction",
      times: Infinity,
      error: () =>
        awsError(
          "Lambda",
          "AccessDeniedException",
          `User: arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ci is not authorized to perform: lambda:CreateFunction on resource: ${FN_ARN} because no identity-based policy allows the lambda:CreateFunction action`,
          403,
        ),
    });
    const r = await w.run(["up"], IO);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`creating Lambda function (${FN})`);
    expect(r.stderr).toContain(
      `AWS refused lambda:CreateFunction on ${FN_ARN}: grant it to the credentials you deploy with.`,
    );
    expect(r.stderr).toContain(POLICY_HINT);
    expect(r.stderr).not.toMatch(/looks like a bug|^\s+at /m);
    // Not retried, the lock released, and what was made before the refusal recorded.
    expect(
      w.fake.callLog({ service: "Lambda" }).filter((c) => c.operation === "CreateFunction"),
    ).toHaveLength(1);
    expect(existsSync(`${w.statePath()}.lock`)).toBe(false);
    const state = JSON.parse(readFileSync(w.statePath(), "utf8")) as {
      resources: Record<string, { id: string }>;
    };
    expect(Object.keys(state.resources)).toEqual(
      expect.arrayContaining(["role", "table", "bucket"]),
    );
    expect(Object.keys(state.resources)).not.toContain("function");

    w.fake.clearFaults();
    const again = await w.run(["up"], IO);
    expect(again.code, again.stderr).toBe(0);
    expect(w.fake.lambda.functions.has(FN)).toBe(true);
  });

  it("SNS's AuthorizationError is explained the same way, without a resource when AWS names none", async () => {
    const w = quickWorld();
    w.fake.inject({
      service: "SNS",
      operation: "CreateTopic",
      times: Infinity,
      error: () =>
        awsError(
          "SNS",
          "AuthorizationError",
          `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: SNS:CreateTopic`,
          403,
        ),
    });
    const r = await w.run(["up", "--alarm-email", "ops@example.com"], IO);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "AWS refused SNS:CreateTopic: grant it to the credentials you deploy with.",
    );
    expect(r.stderr).toContain(POLICY_HINT);
    expect(existsSync(`${w.statePath()}.lock`)).toBe(false);
  });
});

describe("an AccessDenied outside a resource's step", () => {
  it("logs: the refusal and the policy command, not a bug report", async () => {
    const w = quickWorld();
    expect((await w.run(["up"], IO)).code).toBe(0);
    w.fake.inject({
      service: "CloudWatchLogs",
      operation: "FilterLogEvents",
      times: Infinity,
      error: () =>
        awsError(
          "CloudWatchLogs",
          "AccessDeniedException",
          `User: arn:aws:iam::${ACCOUNT}:user/reader is not authorized to perform: logs:FilterLogEvents on resource: arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/${FN}:log-stream: because no identity-based policy allows the logs:FilterLogEvents action`,
          400,
        ),
    });
    const r = await w.run(["logs"], IO);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("AccessDeniedException: User:");
    expect(r.stderr).toContain(
      `AWS refused logs:FilterLogEvents on arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/${FN}:log-stream:`,
    );
    expect(r.stderr).toContain(POLICY_HINT);
    expect(r.stderr).not.toContain("looks like a bug");
  });
});

// AGPL-licensed: a devDependency used only in tests, never shipped.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { GetPolicyCommand } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { ACCOUNT, quickWorld, tinyHandler } from "./reliability/support.js";

/**
 * No policy document of the stack grants anything through a pattern that another project's or
 * stage's names could match: every document, evaluated by an IAM policy simulator, allows the
 * stack's own resource and denies the same on a sibling named <stage>-x and <name>-x.
 */

const REGION = "us-east-1";
const STACK = "serverless-automation-production";
/** What a sibling's name puts where this stack's has its prefix. */
const SIBLINGS = ["serverless-automation-production-x", "serverless-automation-x-production"];

// The stack as deployed: the role's policy, the bucket's, the alarm key's and topic's, and the
// function's invoke permissions, exactly as the account holds them after `up`.
const w = quickWorld();
const r = await w.run(["up", "--alarm-email", "oncall@example.com"], {
  handlerEntry: tinyHandler(),
});
if (r.code !== 0) throw new Error(`up failed:\n${r.stderr}`);
const rolePolicy = JSON.parse(
  [...(w.fake.iam.roles.get(`${STACK}-function-${REGION}`)?.inlinePolicies.values() ?? [])][0] ??
    "{}",
) as object;
const bucket = `${STACK}-${ACCOUNT}-${REGION}`;
const bucketPolicy = JSON.parse(w.fake.s3.buckets.get(bucket)?.policy ?? "{}") as object;
const key = w.fake.kms.byAlias(`alias/${STACK}-alarms`);
const keyPolicy = JSON.parse(key?.policy ?? "{}") as object;
const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:${STACK}-alarms`;
const topicPolicy = JSON.parse(
  w.fake.sns.topics.get(topicArn)?.attributes.Policy ?? "{}",
) as object;
const functionPolicy = JSON.parse(
  (await w.fake.clients().lambda.send(new GetPolicyCommand({ FunctionName: `${STACK}-api:live` })))
    .Policy ?? "{}",
) as object;

async function decide(o: {
  principal: string;
  action: string;
  resource: string;
  identity?: object;
  resourcePolicy?: object;
  context?: Record<string, string>;
}): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: o.principal,
        action: o.action,
        resource: { resource: o.resource, accountId: ACCOUNT },
        contextVariables: o.context ?? {},
      },
      identityPolicies: o.identity ? [{ name: "identity", policy: o.identity }] : [],
      resourcePolicy: o.resourcePolicy,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

const alarmArn = (prefix: string) =>
  `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${prefix}-error-rate`;

describe("every policy document matches the stack's own names only", () => {
  const role = `arn:aws:iam::${ACCOUNT}:role/${STACK}-function-${REGION}`;

  it.each([
    ["dynamodb:PutItem", (p: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${p}-items`],
    [
      "logs:PutLogEvents",
      (p: string) =>
        `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${p}-api:log-stream:s`,
    ],
  ])("the function role: %s on its own, not on a sibling's", async (action, arnOf) => {
    const ask = (p: string) =>
      decide({ principal: role, action, resource: arnOf(p), identity: rolePolicy });
    expect(await ask(STACK)).toBe("Allowed");
    for (const sibling of SIBLINGS) expect(await ask(sibling), sibling).not.toBe("Allowed");
  });

  it("the alarm key: CloudWatch may use it for the stack's alarms, not a sibling's", async () => {
    const ask = (alarm: string) =>
      decide({
        principal: "cloudwatch.amazonaws.com",
        action: "kms:GenerateDataKey",
        resource: key?.arn ?? "",
        resourcePolicy: keyPolicy,
        context: { "aws:SourceArn": alarm, "aws:SourceAccount": ACCOUNT },
      });
    expect(await ask(alarmArn(STACK))).toBe("Allowed");
    for (const sibling of SIBLINGS)
      expect(await ask(alarmArn(sibling)), sibling).not.toBe("Allowed");
  });

  it("the alarm topic: CloudWatch may publish for the stack's alarms, not a sibling's", async () => {
    const ask = (alarm: string) =>
      decide({
        principal: "cloudwatch.amazonaws.com",
        action: "sns:Publish",
        resource: topicArn,
        resourcePolicy: topicPolicy,
        context: { "aws:SourceArn": alarm, "aws:SourceAccount": ACCOUNT },
      });
    expect(await ask(alarmArn(STACK))).toBe("Allowed");
    for (const sibling of SIBLINGS)
      expect(await ask(alarmArn(sibling)), sibling).not.toBe("Allowed");
  });

  it("the function's invoke permissions: this API's stage only", async () => {
    const [api] = [...w.fake.apigateway.apis.values()];
    const ask = (sourceArn: string) =>
      decide({
        principal: "apigateway.amazonaws.com",
        action: "lambda:InvokeFunction",
        resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${STACK}-api:live`,
        resourcePolicy: functionPolicy,
        context: { "aws:SourceArn": sourceArn, "aws:SourceAccount": ACCOUNT },
      });
    const own = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${api?.id ?? ""}`;
    expect(await ask(`${own}/prod/GET/some-id`)).toBe("Allowed");
    expect(await ask(`${own}/prod-x/GET/some-id`)).not.toBe("Allowed");
    expect(await ask(`${own}x/prod/GET/some-id`)).not.toBe("Allowed");
    expect(await ask(`arn:aws:execute-api:${REGION}:${ACCOUNT}:otherapi01/prod/GET/x`)).not.toBe(
      "Allowed",
    );
  });

  it("the bucket's policy names this bucket alone", () => {
    const resources = JSON.stringify(bucketPolicy);
    expect(resources).toContain(`"arn:aws:s3:::${bucket}"`);
    expect(resources).toContain(`"arn:aws:s3:::${bucket}/*"`);
    expect(resources.match(/arn:aws:s3:::[^"]*/g)?.sort()).toEqual(
      [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`].sort(),
    );
  });
});

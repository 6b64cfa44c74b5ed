import { describe, expect, it } from "vitest";
import { resolveConfig, resourceNames, stackTags } from "../src/config.js";
import { desiredStack, type StackPurpose } from "../src/stack.js";

/** The stack for the default options (no alarm address, no WAF, auth iam) in us-east-1. */
function keysFor(purpose: StackPurpose): string[] {
  const config = resolveConfig({ region: "us-east-1" }, {}, "/tmp", undefined);
  const account = "123456789012";
  return desiredStack({
    ...purpose,
    config,
    names: resourceNames({ ...config, account }),
    account,
    region: config.region,
    partition: "aws",
    tags: stackTags(config),
  }).map((s) => s.key);
}

const ARTIFACT = { zip: Buffer.from("zip"), sha256Hex: "00", sha256Base64: "AA==" };
const OPTIONAL = ["alarmKey", "alarmTopic", "webAcl", "webAclAssociation", "apiKey", "usagePlan"];

describe("the stack's purpose", () => {
  it("deploy: only what the options ask for, with the code bundle", () => {
    const keys = keysFor({ purpose: "deploy", artifact: ARTIFACT });
    for (const k of OPTIONAL) expect(keys).not.toContain(k);
    expect(keys).toContain("artifact");
    expect(keys).toContain("function");
  });

  it("teardown: every optional resource whatever the options say, no bundle to upload", () => {
    const keys = keysFor({ purpose: "teardown" });
    for (const k of OPTIONAL) expect(keys).toContain(k);
    expect(keys).not.toContain("artifact");
    // The subscription goes with its topic: nothing of its own to look for.
    expect(keys).not.toContain("alarmSubscription");
    expect(keys).toContain("function");
  });
});

/** The `policy` command as a user runs it: what it prints, what it asks AWS, what it refuses. */
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../src/ops/policy.js";
import { quickWorld } from "../reliability/support.js";

const resources = (d: PolicyDocument) => d.Statement.flatMap((s) => [s.Resource].flat());
const actions = (d: PolicyDocument) => d.Statement.flatMap((s) => s.Action);

describe("policy", () => {
  it("with --account: the document on stdout, the account in its ARNs, and no AWS call at all", async () => {
    const w = quickWorld();
    const r = await w.run(["policy", "--account", "210987654321", "--stage", "dev"]);
    expect(r.code, r.stderr).toBe(0);
    expect(w.fake.calls).toEqual([]);
    const doc = JSON.parse(r.stdout) as PolicyDocument;
    expect(doc.Version).toBe("2012-10-17");
    expect(resources(doc)).toContain(
      "arn:aws:dynamodb:us-east-1:210987654321:table/serverless-automation-dev-items",
    );
    expect(resources(doc)).toContain(
      "arn:aws:iam::210987654321:role/serverless-automation-dev-function-us-east-1",
    );
    expect(r.stderr).toMatch(
      /^The deploy policy of serverless-automation \(stage dev\) in us-east-1, account 210987654321: \d+ actions\.\n$/,
    );
  });

  it("without --account: STS names the account, once", async () => {
    const w = quickWorld();
    const r = await w.run(["policy", "--for", "plan", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(w.fake.operations()).toEqual(["STS.GetCallerIdentity"]);
    expect(r.json).toMatchObject({
      command: "policy",
      for: "plan",
      stage: "production",
      account: "123456789012",
    });
  });

  it("--all-stages: each name with the stage as a wildcard between the project and its suffix", async () => {
    const w = quickWorld();
    const r = await w.run(["policy", "--all-stages", "--account", "123456789012", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json.policy as PolicyDocument;
    expect(resources(doc)).toContain(
      "arn:aws:dynamodb:us-east-1:123456789012:table/serverless-automation-*-items",
    );
    expect(resources(doc)).toContain(
      "arn:aws:lambda:us-east-1:123456789012:function:serverless-automation-*-api",
    );
    expect(JSON.stringify(doc)).toContain(
      '"StringLike":{"aws:ResourceTag/serverless-automation:stack":"serverless-automation-*"}',
    );
  });

  it("--all-stages covers a feature only one stage of the config file turns on", async () => {
    const w = quickWorld();
    await fs.writeFile(
      path.join(w.cwd, "serverless-automation.config.json"),
      JSON.stringify({ stages: { dev: { waf: true } } }),
    );
    const one = await w.run(["policy", "--account", "123456789012", "--json"]);
    const all = await w.run(["policy", "--all-stages", "--account", "123456789012", "--json"]);
    expect(actions(one.json.policy as PolicyDocument)).not.toContain("wafv2:CreateWebACL");
    expect(actions(all.json.policy as PolicyDocument)).toContain("wafv2:CreateWebACL");
  });

  it("state-init names the state bucket; the deploy policy then covers the state object and its lock", async () => {
    const w = quickWorld();
    const init = await w.run([
      "policy",
      "--for",
      "state-init",
      "--state",
      "s3://team-state",
      "--account",
      "123456789012",
      "--json",
    ]);
    expect(init.code, init.stderr).toBe(0);
    const state = "arn:aws:s3:::team-state/serverless-automation/production.us-east-1.json";
    expect(new Set(resources(init.json.policy as PolicyDocument))).toEqual(
      // The key the same setting meant before keys named the region: read once, to move it.
      new Set([
        "arn:aws:s3:::team-state",
        state,
        `${state}.lock`,
        "arn:aws:s3:::team-state/serverless-automation/production.json",
      ]),
    );
    const deploy = await w.run([
      "policy",
      "--state",
      "s3://team-state",
      "--account",
      "123456789012",
      "--json",
    ]);
    expect(resources(deploy.json.policy as PolicyDocument)).toEqual(
      expect.arrayContaining([state, `${state}.lock`]),
    );
  });

  it.each([
    [["--for", "everything"], /Unknown --for "everything"/],
    [["--account", "12345"], /--account "12345" is not an account id/],
    [["--stage", "dev", "--all-stages"], /--stage and --all-stages cannot be combined/],
    [["--for", "state-init"], /The state of this stack is a local file/],
  ])("refuses %j before any AWS call", async (args, message) => {
    const w = quickWorld();
    const account = args.includes("--account") ? [] : ["--account", "123456789012"];
    const r = await w.run(["policy", ...args, ...account]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(w.fake.calls).toEqual([]);
  });

  it("fits in a role's inline policies (10,240 characters) with every option and the state in S3", async () => {
    const w = quickWorld();
    await fs.writeFile(
      path.join(w.cwd, "serverless-automation.config.json"),
      JSON.stringify({
        alarmEmail: "ops@example.com",
        waf: true,
        auth: "api-key",
        state: "s3://team-state",
      }),
    );
    const r = await w.run(["policy", "--account", "123456789012"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.replace(/\s/g, "").length).toBeLessThanOrEqual(10_240);
  });
});

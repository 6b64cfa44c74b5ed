/** The `policy` command as a user runs it: what it prints, what it asks AWS, what it refuses. */
import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../src/ops/policy.js";
import { quickWorld } from "../reliability/support.js";

const resources = (d: PolicyDocument) => d.Statement.flatMap((s) => [s.Resource].flat());
const actions = (d: PolicyDocument) => d.Statement.flatMap((s) => s.Action);

describe("policy", () => {
  it("with --account: the documents on stdout, the account in its ARNs, and no AWS call at all", async () => {
    const w = quickWorld();
    const r = await w.run(["policy", "--account", "210987654321", "--stage", "dev"]);
    expect(r.code, r.stderr).toBe(0);
    expect(w.fake.calls).toEqual([]);
    // Larger than one managed policy may be: an array of documents, each within it.
    const docs = JSON.parse(r.stdout) as PolicyDocument[];
    for (const d of docs) expect(d.Version).toBe("2012-10-17");
    const doc = { Version: "2012-10-17" as const, Statement: docs.flatMap((d) => d.Statement) };
    expect(resources(doc)).toContain(
      "arn:aws:dynamodb:us-east-1:210987654321:table/serverless-automation-dev-items",
    );
    expect(resources(doc)).toContain(
      "arn:aws:iam::210987654321:role/serverless-automation-dev-function-us-east-1",
    );
    expect(r.stderr).toMatch(
      /^The deploy policy of serverless-automation \(stage dev\) in us-east-1, account 210987654321: \d+ actions in 2 documents \(a JSON array; \d+, \d+ characters\)\.\nCreate each of the 2 documents as a managed policy and attach them all to the role that deploys/,
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

  it("every option, every stage and the state in S3: documents that each fit a managed policy, and stderr says how to attach them", async () => {
    const w = quickWorld();
    const zone = w.fake.route53.createZone("example.com");
    await fs.writeFile(
      path.join(w.cwd, "serverless-automation.config.json"),
      JSON.stringify({
        alarmEmail: "ops@example.com",
        waf: true,
        auth: "api-key",
        state: "s3://team-state",
        secrets: { DB_PASSWORD: "ssm:/my-app/db-password", STRIPE: "secretsmanager:my-app/stripe" },
        domain: { name: "api.example.com", hostedZoneId: zone },
        stages: { staging: { domain: { name: "staging.example.com", hostedZoneId: zone } } },
      }),
    );
    const text = await w.run(["policy", "--all-stages", "--account", "123456789012"]);
    expect(text.code, text.stderr).toBe(0);
    const docs = JSON.parse(text.stdout) as PolicyDocument[];
    expect(docs.length).toBeGreaterThan(1);
    expect(docs.length).toBeLessThanOrEqual(10);
    for (const d of docs) expect(JSON.stringify(d).length).toBeLessThanOrEqual(6_144);
    expect(text.stderr).toContain(`in ${docs.length} documents (a JSON array;`);
    expect(text.stderr).toContain(
      `Create each of the ${docs.length} documents as a managed policy`,
    );
    expect(text.stderr).toContain("aws iam attach-role-policy");
    // The same statements as the whole policy --json shows, none lost in the split.
    const r = await w.run(["policy", "--all-stages", "--account", "123456789012", "--json"]);
    const whole = r.json.policy as PolicyDocument;
    expect(r.json.documents).toEqual(docs);
    expect(docs.flatMap((d) => d.Statement).sort((a, b) => a.Sid.localeCompare(b.Sid))).toEqual(
      [...whole.Statement].sort((a, b) => a.Sid.localeCompare(b.Sid)),
    );
    expect(r.json.sizes).toEqual(docs.map((d) => JSON.stringify(d).length));
    console.info(
      `policy --all-stages, every option: ${String(r.json.actions)} actions, ${JSON.stringify(whole).length} characters whole, documents ${(r.json.sizes as number[]).join(", ")}`,
    );
    // Both stages' domains, in their zone, and no other records.
    const records = whole.Statement.find((st) =>
      st.Action.includes("route53:ChangeResourceRecordSets"),
    );
    expect(records?.Resource).toBe(`arn:aws:route53:::hostedzone/${zone}`);
    expect(records?.Condition?.["ForAllValues:StringLike"]).toEqual({
      "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
        "api.example.com",
        "_*.api.example.com",
        "staging.example.com",
        "_*.staging.example.com",
      ],
    });
  });

  it("secrets: DescribeSecret on each secret by its name and Secrets Manager's six characters, or the ARN given", async () => {
    const w = quickWorld();
    const given = "arn:aws:secretsmanager:us-east-1:123456789012:secret:shared/token-Xy12Zw";
    await fs.writeFile(
      path.join(w.cwd, "serverless-automation.config.json"),
      JSON.stringify({
        secrets: { A: "secretsmanager:my-app/stripe", B: `secretsmanager:${given}` },
      }),
    );
    const r = await w.run(["policy", "--account", "123456789012", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json.policy as PolicyDocument;
    const describe = doc.Statement.filter((st) =>
      st.Action.includes("secretsmanager:DescribeSecret"),
    );
    expect(describe.map((st) => st.Resource)).toEqual([
      [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:my-app/stripe-??????",
        given,
        `${given}-??????`,
      ],
    ]);
    // No parameter named: no ssm:DescribeParameters on "*".
    expect(actions(doc)).not.toContain("ssm:DescribeParameters");
    expect(actions(doc)).toContain("kms:DescribeKey");
  });

  it("secrets and the custom domain off: no action of theirs", async () => {
    const w = quickWorld();
    const r = await w.run(["policy", "--account", "123456789012", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const services = new Set(actions(r.json.policy as PolicyDocument).map((a) => a.split(":")[0]));
    for (const s of ["acm", "route53", "ssm", "secretsmanager"]) expect(services).not.toContain(s);
    expect(resources(r.json.policy as PolicyDocument).join(" ")).not.toContain("/domainnames");
  });
});

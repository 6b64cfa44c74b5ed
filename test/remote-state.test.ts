import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { awsError } from "./fake-aws/index.js";
import { world, type World } from "./helpers.js";

/**
 * The state in S3, against the fake (whose S3 answers conditional writes as S3 does): one run
 * at a time per state, a write never lands over a newer state, a dead run's lock is named and
 * removed by id, the state bucket is set up right and idempotently.
 */

const BUCKET = "team-state";
const STATE = `s3://${BUCKET}/production.json`;
const KEY = "production.json";

function objectVersions(w: World, key: string) {
  return w.fake.s3.buckets.get(BUCKET)?.objects.get(key) ?? [];
}

function current(w: World, key: string): Record<string, unknown> | undefined {
  const v = objectVersions(w, key)[0];
  return v && !v.deleteMarker && v.body
    ? (JSON.parse(v.body.toString("utf8")) as Record<string, unknown>)
    : undefined;
}

/** One of every resource the default stack has: nothing made twice by two runs. */
function expectOneStack(w: World): void {
  expect(w.fake.lambda.functions.size).toBe(1);
  expect(w.fake.dynamodb.tables.size).toBe(1);
  expect(w.fake.apigateway.apis.size).toBe(1);
  expect(w.fake.iam.roles.size).toBeLessThanOrEqual(2);
}

async function withBucket(): Promise<World> {
  const w = world();
  const r = await w.run(["state", "init", `s3://${BUCKET}`]);
  expect(r.code, r.stderr).toBe(0);
  return w;
}

describe("state init", () => {
  it("creates the bucket done right; a second run makes no mutating call", async () => {
    const w = world();
    const first = await w.run(["state", "init", `s3://${BUCKET}`, "--json"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json).toMatchObject({ bucket: BUCKET, created: true });
    const b = w.fake.s3.buckets.get(BUCKET);
    expect(b?.versioning).toBe("Enabled");
    expect(b?.encryption).toBe("AES256");
    expect(b?.ownership).toBe("BucketOwnerEnforced");
    expect(b?.publicAccessBlock).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const policy = JSON.parse(b?.policy ?? "{}") as { Statement: Record<string, unknown>[] };
    expect(policy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: "Deny",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
    expect(b?.tags).toEqual(
      expect.arrayContaining([{ Key: "project", Value: "serverless-automation" }]),
    );

    w.fake.resetCalls();
    const second = await w.run(["state", "init", `s3://${BUCKET}`, "--json"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json).toMatchObject({ created: false, changes: 0 });
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("fixes only what differs on an existing bucket, keeping the user's policy statements and tags", async () => {
    const w = world();
    const s3 = w.fake.s3.operations;
    s3.CreateBucket?.({ Bucket: BUCKET }, { region: "us-east-1", now: Date.now() });
    const theirs = {
      Sid: "Theirs",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:DeleteBucket",
      Resource: `arn:aws:s3:::${BUCKET}`,
    };
    s3.PutBucketPolicy?.(
      { Bucket: BUCKET, Policy: JSON.stringify({ Version: "2012-10-17", Statement: [theirs] }) },
      { region: "us-east-1", now: 0 },
    );
    s3.PutBucketTagging?.(
      { Bucket: BUCKET, Tagging: { TagSet: [{ Key: "team", Value: "payments" }] } },
      { region: "us-east-1", now: 0 },
    );
    w.fake.resetCalls();
    const r = await w.run(["state", "init", `s3://${BUCKET}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(w.fake.operations({ mutating: true }).sort()).toEqual([
      "S3.PutBucketPolicy",
      "S3.PutBucketTagging",
      "S3.PutBucketVersioning",
    ]);
    const b = w.fake.s3.buckets.get(BUCKET);
    expect(JSON.parse(b?.policy ?? "{}").Statement).toContainEqual(theirs);
    expect(b?.tags).toContainEqual({ Key: "team", Value: "payments" });
  });

  it("refuses a bucket name another account owns, and anything but s3://", async () => {
    const w = world();
    w.fake.s3.foreignBuckets.add("taken-name");
    const r = await w.run(["state", "init", "s3://taken-name"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/belongs to another AWS account/);
    const bad = await w.run(["state", "init", "my-bucket"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/is not an S3 bucket/);
    expect(bad.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe("up with --state s3://", () => {
  it("keeps the state in the bucket, not on disk; the lock is gone after the run; the next run changes nothing", async () => {
    const w = await withBucket();
    const r = await w.run(["up", "--state", STATE]);
    expect(r.code, r.stderr).toBe(0);
    expect(current(w, KEY)).toMatchObject({ stage: "production", account: w.fake.account });
    expect(
      Object.keys((current(w, KEY) as { resources: object }).resources).length,
    ).toBeGreaterThan(5);
    expect(current(w, `${KEY}.lock`)).toBeUndefined();
    expect(existsSync(w.statePath())).toBe(false);
    w.fake.resetCalls();
    const again = await w.run(["up", "--state", STATE, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    // Only the lock and the state itself are written.
    expect([...new Set(w.fake.operations({ mutating: true }))].sort()).toEqual([
      "S3.DeleteObject",
      "S3.PutObject",
    ]);
    expect(again.json.statePath).toBe(STATE);
  });

  it("the config file's per-stage state applies; s3://bucket alone gets the stage's key", async () => {
    const w = await withBucket();
    writeFileSync(
      path.join(w.cwd, "serverless-automation.config.json"),
      JSON.stringify({ stages: { dev: { state: `s3://${BUCKET}` } } }),
    );
    const r = await w.run(["up", "--stage", "dev"]);
    expect(r.code, r.stderr).toBe(0);
    expect(current(w, "serverless-automation/dev.us-east-1.json")).toMatchObject({ stage: "dev" });
    const o = await w.run(["outputs", "--stage", "dev", "--json"]);
    expect(o.code, o.stderr).toBe(0);
    expect(o.json).toMatchObject({
      stage: "dev",
      statePath: `s3://${BUCKET}/serverless-automation/dev.us-east-1.json`,
    });
    expect(o.json.endpoint).toMatch(/^https:/);
    const s = await w.run(["status", "--stage", "dev", "--json"]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.json.inSync).toBe(true);
  });

  it("a bucket that does not exist: an error whose hint is state init; nothing is created", async () => {
    const w = world();
    const r = await w.run(["up", "--state", "s3://no-such-bucket/production.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the bucket no-such-bucket does not exist/);
    expect(r.stderr).toMatch(/serverless-automation state init s3:\/\/no-such-bucket/);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("an unversioned bucket: a warning naming state init, and the run goes on", async () => {
    const w = world();
    w.fake.s3.operations.CreateBucket?.({ Bucket: BUCKET }, { region: "us-east-1", now: 0 });
    const r = await w.run(["up", "--state", STATE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Versioning is off on the state bucket team-state/);
    expect(r.stderr).toMatch(/state init s3:\/\/team-state/);
  });

  it("moving to S3: the first run copies the local state file up and says so; nothing is re-created", async () => {
    const w = await withBucket();
    expect((await w.run(["up"])).code).toBe(0);
    const local = readFileSync(w.statePath(), "utf8");
    // Before the first remote run, status and outputs describe the stack from the local file.
    const o = await w.run(["outputs", "--state", STATE, "--json"]);
    expect(o.code, o.stderr).toBe(0);
    expect(o.json.endpoint).toMatch(/^https:/);
    w.fake.resetCalls();
    const r = await w.run(["up", "--state", STATE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /Copied the state file .*production\.us-east-1\.json to s3:\/\/team-state\/production\.json/,
    );
    expect(w.fake.operations({ mutating: true }).filter((op) => !op.startsWith("S3."))).toEqual([]);
    expect(current(w, KEY)?.resources).toEqual(JSON.parse(local).resources);
    // Left as it was.
    expect(readFileSync(w.statePath(), "utf8")).toBe(local);
  });
});

describe("two runs on one remote state", () => {
  it("started together: exactly one proceeds, the other is refused naming the holder; one of everything", async () => {
    const w = await withBucket();
    // The run that gets the lock is still working when the other one asks for it.
    w.fake.inject({ service: "Lambda", operation: "CreateFunction", times: 1, delayMs: 300 });
    const [a, b] = await Promise.all([
      w.run(["up", "--state", STATE]),
      w.run(["up", "--state", STATE]),
    ]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 1]);
    const loser = a.code === 1 ? a : b;
    expect(loser.stderr).toMatch(
      /Another serverless-automation run holds the lock on s3:\/\/team-state\/production\.json: .+@.+ \(up, started .+ ago; lock [0-9a-f]{12}\)/,
    );
    expect(loser.stderr).toMatch(/--lock-timeout/);
    expect(loser.stderr).toMatch(
      /serverless-automation unlock [0-9a-f]{12} --state s3:\/\/team-state\/production\.json/,
    );
    expectOneStack(w);
    expect(current(w, `${KEY}.lock`)).toBeUndefined();
  });

  it("with --lock-timeout the second waits, then proceeds and changes nothing", async () => {
    const w = await withBucket();
    w.fake.inject({ service: "Lambda", operation: "CreateFunction", times: 1, delayMs: 300 });
    const [a, b] = await Promise.all([
      w.run(["up", "--state", STATE, "--lock-timeout", "1m", "--json"]),
      w.run(["up", "--state", STATE, "--lock-timeout", "1m", "--json"]),
    ]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    expect(a.stderr + b.stderr).toMatch(
      /Waiting for the lock on s3:\/\/team-state\/production\.json/,
    );
    const actions = (r: typeof a) =>
      (r.json.resources as { action: string }[]).filter((x) => x.action !== "noop").length;
    // One made the stack; the other found it made.
    expect([actions(a), actions(b)].sort((x, y) => x - y)[0]).toBe(0);
    expectOneStack(w);
  });

  it("a run killed with the lock held: the next run names it, unlock with another id removes nothing, unlock with its id clears it, the run after converges", async () => {
    const w = await withBucket();
    // What a killed run leaves: its lock object.
    const dead = {
      id: "0123456789ab",
      who: "ci@runner-7",
      command: "up",
      startedAt: new Date(Date.now() - 600_000).toISOString(),
      state: STATE,
    };
    w.fake.s3.operations.PutObject?.(
      { Bucket: BUCKET, Key: `${KEY}.lock`, Body: JSON.stringify(dead) },
      { region: "us-east-1", now: 0 },
    );
    const refused = await w.run(["up", "--state", STATE]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /holds the lock .*: ci@runner-7 \(up, started .*, 10 min ago; lock 0123456789ab\)/,
    );
    expect(w.fake.lambda.functions.size).toBe(0);

    const wrong = await w.run(["unlock", "ffffffffffff", "--state", STATE]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /is 0123456789ab, held by ci@runner-7 .*not ffffffffffff\. Nothing was removed/,
    );
    expect(current(w, `${KEY}.lock`)).toMatchObject({ id: dead.id });

    const ok = await w.run(["unlock", dead.id, "--state", STATE]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Removed the lock 0123456789ab .* held by ci@runner-7/);
    expect(current(w, `${KEY}.lock`)).toBeUndefined();

    const after = await w.run(["up", "--state", STATE]);
    expect(after.code, after.stderr).toBe(0);
    expectOneStack(w);
    const none = await w.run(["unlock", dead.id, "--state", STATE]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/There is no lock/);
  });

  it("a state written by someone else mid-run: this run stops at its next write, saying who and when; both versions are kept and this run's record is saved", async () => {
    const w = await withBucket();
    let theirs: string | undefined;
    w.fake.inject({
      service: "Lambda",
      operation: "CreateFunction",
      times: 1,
      after: () => {
        // Another writer (no lock: an old tool version, or a hand edit) replaces the state.
        const before = current(w, KEY) ?? {};
        theirs = JSON.stringify({
          ...before,
          updatedAt: new Date().toISOString(),
          endpoint: "https://theirs.example",
        });
        w.fake.s3.operations.PutObject?.(
          {
            Bucket: BUCKET,
            Key: KEY,
            Body: theirs,
            Metadata: { "written-by": "bob%40laptop", command: "up" },
          },
          { region: "us-east-1", now: 0 },
        );
      },
    });
    const r = await w.run(["up", "--state", STATE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /The state changed under this run: another run wrote it at \d{4}-\d\d-\d\dT[\d:.]+Z \(bob@laptop, up\)/,
    );
    // Said once as the run's error, whichever steps met it.
    expect(r.stderr.match(/error: The state changed under this run/g)).toHaveLength(1);
    // The other write survives, and versioning keeps the one before it.
    const versions = objectVersions(w, KEY);
    expect(versions[0]?.body?.toString("utf8")).toBe(theirs);
    expect(versions.length).toBeGreaterThanOrEqual(2);
    // What this run made since is saved locally, the function included.
    const dir = path.dirname(w.statePath());
    const saved = readdirSync(dir).filter((f) => f.startsWith("production.unsaved-"));
    expect(saved).toHaveLength(1);
    const rescue = JSON.parse(readFileSync(path.join(dir, saved[0] as string), "utf8")) as {
      resources: Record<string, unknown>;
    };
    expect(rescue.resources.function).toBeDefined();
    expect(r.stderr).toContain(saved[0]);
    // The lock is released; the next run converges from the newer state.
    expect(current(w, `${KEY}.lock`)).toBeUndefined();
    const again = await w.run(["up", "--state", STATE]);
    expect(again.code, again.stderr).toBe(0);
    expectOneStack(w);
  });

  it("a failure mid-run leaves the remote state whole and the lock released; the next run converges", async () => {
    const w = await withBucket();
    w.fake.inject({
      service: "Lambda",
      operation: "CreateFunction",
      times: 1,
      error: () => awsError("Lambda", "InvalidParameterValueException", "Unsupported runtime"),
    });
    const r = await w.run(["up", "--state", STATE]);
    expect(r.code).toBe(1);
    expect(current(w, `${KEY}.lock`)).toBeUndefined();
    const state = current(w, KEY) as { resources: Record<string, unknown> };
    expect(state.resources.table).toBeDefined();
    expect(state.resources.function).toBeUndefined();
    const again = await w.run(["up", "--state", STATE]);
    expect(again.code, again.stderr).toBe(0);
    expectOneStack(w);
  });

  it("409 ConditionalRequestConflict on a state write is retried, as S3 asks", async () => {
    const w = await withBucket();
    w.fake.inject({
      service: "S3",
      operation: "PutObject",
      when: (i) => i.Key === KEY,
      times: 2,
      error: () =>
        awsError(
          "S3",
          "ConditionalRequestConflict",
          "A conflicting conditional operation is currently in progress against this resource. Please try again.",
          409,
        ),
    });
    const r = await w.run(["up", "--state", STATE]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      w.fake.callLog({ service: "S3" }).filter((c) => c.error === "ConditionalRequestConflict"),
    ).toHaveLength(2);
  });

  it("Ctrl-C: the run stops after the calls in flight and releases the lock", async () => {
    const w = await withBucket();
    const ctrlC = new AbortController();
    w.fake.inject({
      service: "DynamoDB",
      operation: "CreateTable",
      times: 1,
      after: () => ctrlC.abort(),
    });
    const r = await w.run(["up", "--state", STATE], { signal: ctrlC.signal });
    expect(r.code).toBe(130);
    expect(current(w, `${KEY}.lock`)).toBeUndefined();
    expect(current(w, KEY)).toMatchObject({ stage: "production" });
    const again = await w.run(["up", "--state", STATE]);
    expect(again.code, again.stderr).toBe(0);
    expectOneStack(w);
  });

  it("down removes the state object (its versions stay) and the lock", async () => {
    const w = await withBucket();
    expect((await w.run(["up", "--state", STATE])).code).toBe(0);
    const d = await w.run(["down", "--yes", "--state", STATE]);
    expect(d.code, d.stderr).toBe(0);
    expect(current(w, KEY)).toBeUndefined();
    expect(current(w, `${KEY}.lock`)).toBeUndefined();
    expect(objectVersions(w, KEY).length).toBeGreaterThan(1);
    expect(w.fake.lambda.functions.size).toBe(0);
  });
});

describe("the README's CI recipe, command by command", () => {
  it("state from the config file: the plan changes nothing and takes no lock; up deploys; status exits 2 on drift", async () => {
    const w = await withBucket();
    writeFileSync(
      path.join(w.cwd, "serverless-automation.config.json"),
      JSON.stringify({ region: "us-east-1", state: `s3://${BUCKET}` }),
    );
    w.fake.resetCalls();
    const plan = await w.run(["up", "--dry-run", "--json", "--stage", "production"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json).toMatchObject({ dryRun: true, ok: true });
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    const deploy = await w.run(["up", "--stage", "production", "--lock-timeout", "10m"]);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(current(w, "serverless-automation/production.us-east-1.json")).toBeDefined();
    const inSync = await w.run(["status", "--stage", "production"]);
    expect(inSync.code, inSync.stderr).toBe(0);
    w.fake.lambda.functions.clear();
    const drift = await w.run(["status", "--stage", "production"]);
    expect(drift.code).toBe(2);
  });
});

import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { CallRecord } from "./fake-aws/index.js";
import { awsError } from "./fake-aws/index.js";
import type { Bucket } from "./fake-aws/s3.js";
import { world, type World } from "./helpers.js";

/**
 * Bucket names are global, and the code bucket's is predictable: every request the tool sends
 * to the code bucket and to the state bucket carries ExpectedBucketOwner, so that a bucket of
 * that name in another account — even one whose policy lets this account in — is refused by
 * S3 before anything is written to it.
 */

const ME = "123456789012";
const SQUATTER = "222222222222";
const CODE_BUCKET = `serverless-automation-production-${ME}-us-east-1`;
const STATE_BUCKET = "team-state";
const STATE = `s3://${STATE_BUCKET}/production.json`;

/** Calls to a bucket (CreateBucket aside: a bucket being created has no owner to expect). */
function bucketCalls(w: World, bucket: string): CallRecord[] {
  return w.fake
    .callLog({ service: "S3" })
    .filter((c) => c.input.Bucket === bucket && c.operation !== "CreateBucket");
}

function withoutOwner(calls: CallRecord[], owner: string): string[] {
  return calls.filter((c) => c.input.ExpectedBucketOwner !== owner).map((c) => c.operation);
}

/** What a user can see of a bucket: its settings and its objects. */
function snapshot(b: Bucket | undefined): unknown {
  return b && { ...b, objects: [...b.objects.keys()] };
}

/** A bucket another account made with a policy that lets this account in. */
function squat(w: World, name: string): Bucket {
  return w.fake.s3.otherAccountBucket(name, SQUATTER, {
    encryption: "aws:kms",
    versioning: "Suspended",
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${ME}:root` },
          Action: "s3:*",
          Resource: [`arn:aws:s3:::${name}`, `arn:aws:s3:::${name}/*`],
        },
      ],
    }),
    tags: [{ Key: "owner", Value: "squatter" }],
  });
}

function configFile(w: World, config: Record<string, unknown>): void {
  writeFileSync(path.join(w.cwd, "serverless-automation.config.json"), JSON.stringify(config));
}

describe("ExpectedBucketOwner on every request to the tool's buckets", () => {
  it("state init, up, status, outputs, down: every call to the code and state buckets names this account", async () => {
    const w = world();
    for (const argv of [
      ["state", "init", `s3://${STATE_BUCKET}`],
      ["up", "--state", STATE],
      ["status", "--state", STATE],
      ["outputs", "--state", STATE],
      ["down", "--yes", "--state", STATE],
    ]) {
      const r = await w.run(argv);
      expect(r.code, `${argv.join(" ")}: ${r.stderr}`).toBe(0);
    }
    const code = bucketCalls(w, CODE_BUCKET);
    const state = bucketCalls(w, STATE_BUCKET);
    // The code bucket was configured, uploaded to, emptied and deleted; the state read, written,
    // locked and removed.
    expect(new Set(code.map((c) => c.operation))).toEqual(
      new Set([
        "HeadBucket",
        "GetBucketEncryption",
        "GetPublicAccessBlock",
        "GetBucketOwnershipControls",
        "GetBucketPolicy",
        "GetBucketVersioning",
        "GetBucketLifecycleConfiguration",
        "GetBucketTagging",
        "PutBucketPolicy",
        "PutBucketVersioning",
        "PutBucketLifecycleConfiguration",
        // (No PutBucketTagging: the bucket is tagged as it is made.)
        "HeadObject",
        "PutObject",
        "ListObjectVersions",
        "DeleteObjects",
        "DeleteBucket",
      ]),
    );
    expect(state.map((c) => c.operation)).toEqual(
      expect.arrayContaining(["GetObject", "PutObject", "DeleteObject", "GetBucketVersioning"]),
    );
    expect(withoutOwner(code, ME)).toEqual([]);
    expect(withoutOwner(state, ME)).toEqual([]);
  });

  it("stateBucketOwner: the state bucket's calls name that account, the code bucket's this one; the read does not wait for STS", async () => {
    const w = world();
    const theirs = w.fake.s3.otherAccountBucket(STATE_BUCKET, SQUATTER, { versioning: "Enabled" });
    configFile(w, { state: `s3://${STATE_BUCKET}`, stateBucketOwner: SQUATTER });
    // STS slow enough that a read waiting for it could not start first, even on a busy machine.
    w.fake.inject({ service: "STS", times: 1, delayMs: 1000 });
    const r = await w.run(["up"]);
    expect(r.code, r.stderr).toBe(0);
    expect(theirs.objects.has("serverless-automation/production.us-east-1.json")).toBe(true);
    expect(withoutOwner(bucketCalls(w, STATE_BUCKET), SQUATTER)).toEqual([]);
    expect(withoutOwner(bucketCalls(w, CODE_BUCKET), ME)).toEqual([]);
    const sts = w.fake.callLog({ service: "STS" })[0];
    const read = bucketCalls(w, STATE_BUCKET)[0];
    expect(read?.operation).toBe("GetObject");
    expect(read?.startedAt).toBeLessThan(sts?.endedAt ?? 0);

    // The flag says the same for one run.
    w.fake.resetCalls();
    configFile(w, {});
    const flag = await w.run([
      "status",
      "--state",
      `s3://${STATE_BUCKET}`,
      "--state-bucket-owner",
      SQUATTER,
    ]);
    expect(flag.code, flag.stderr).toBe(0);
    expect(bucketCalls(w, STATE_BUCKET).length).toBeGreaterThan(0);
    expect(withoutOwner(bucketCalls(w, STATE_BUCKET), SQUATTER)).toEqual([]);
  });

  it("without stateBucketOwner the state is read with the account STS gave", async () => {
    const w = world();
    expect((await w.run(["state", "init", `s3://${STATE_BUCKET}`])).code).toBe(0);
    w.fake.resetCalls();
    w.fake.latencyMs = 20;
    const r = await w.run(["up", "--dry-run", "--state", STATE]);
    expect(r.code, r.stderr).toBe(0);
    const sts = w.fake.callLog({ service: "STS" });
    const read = bucketCalls(w, STATE_BUCKET)[0];
    expect(sts.length).toBe(1);
    expect(read?.input.ExpectedBucketOwner).toBe(ME);
    expect(read?.startedAt).toBeGreaterThanOrEqual(sts[0]?.endedAt ?? Infinity);
  });
});

describe("a bucket another account owns", () => {
  it("the code bucket's predictable name taken by a bucket that lets this account in: up refuses, uploads nothing, changes none of its settings", async () => {
    const w = world();
    const before = snapshot(squat(w, CODE_BUCKET));
    const r = await w.run(["up"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `The S3 bucket ${CODE_BUCKET} belongs to another AWS account (ExpectedBucketOwner ${ME} refused): nothing was written to it.`,
    );
    expect(r.stderr).toMatch(/predictable/);
    expect(r.stderr).toMatch(/another --stage/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(w.fake.s3.buckets.get(CODE_BUCKET))).toEqual(before);
    expect(bucketCalls(w, CODE_BUCKET).filter((c) => c.mutating)).toEqual([]);
    // The function was never pointed at it.
    expect(w.fake.lambda.functions.size).toBe(0);
  });

  it("--state naming another account's bucket (a typo): refused before any change, nothing written to it", async () => {
    const w = world();
    const before = snapshot(squat(w, "team-stat"));
    const r = await w.run(["up", "--state", "s3://team-stat/production.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `The state bucket team-stat belongs to another AWS account (ExpectedBucketOwner ${ME} refused): nothing was written to it.`,
    );
    expect(r.stderr).toMatch(/Check the bucket name in --state/);
    expect(r.stderr).toMatch(/--state-bucket-owner/);
    expect(snapshot(w.fake.s3.buckets.get("team-stat"))).toEqual(before);
    expect(w.fake.callLog({ mutating: true })).toEqual([]);
  });

  it("stateBucketOwner naming the wrong account: refused, and the hint names the setting", async () => {
    const w = world();
    const before = snapshot(squat(w, STATE_BUCKET));
    const r = await w.run(["up", "--state", STATE, "--state-bucket-owner", "333333333333"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `The state bucket ${STATE_BUCKET} belongs to another AWS account (ExpectedBucketOwner 333333333333 refused)`,
    );
    expect(r.stderr).toMatch(/--state-bucket-owner/);
    expect(snapshot(w.fake.s3.buckets.get(STATE_BUCKET))).toEqual(before);
    expect(w.fake.callLog({ mutating: true })).toEqual([]);
  });

  it("state init on another account's bucket that lets this account in: refused, its settings unchanged", async () => {
    const w = world();
    const before = snapshot(squat(w, STATE_BUCKET));
    const r = await w.run(["state", "init", `s3://${STATE_BUCKET}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `The bucket ${STATE_BUCKET} belongs to another AWS account (ExpectedBucketOwner ${ME} refused): nothing was written to it.`,
    );
    expect(snapshot(w.fake.s3.buckets.get(STATE_BUCKET))).toEqual(before);
    expect(w.fake.callLog({ mutating: true })).toEqual([]);
  });
});

describe("a refusal of this account's own bucket is not called another account's", () => {
  it("a missing permission on the state: the access-denied message, not 'another account'", async () => {
    const w = world();
    expect((await w.run(["state", "init", `s3://${STATE_BUCKET}`])).code).toBe(0);
    w.fake.inject({
      service: "S3",
      operation: "GetObject",
      times: Infinity,
      error: () => awsError("S3", "AccessDenied", "Access Denied", 403),
    });
    const r = await w.run(["status", "--state", STATE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cannot read the state ${STATE}: access denied`);
    expect(r.stderr).not.toMatch(/another AWS account/);
  });

  it("a bucket these credentials may not even look at, and no s3:ListAllMyBuckets: says both possibilities", async () => {
    const w = world();
    w.fake.s3.foreignBuckets.add(STATE_BUCKET);
    w.fake.inject({
      service: "S3",
      operation: "ListBuckets",
      times: Infinity,
      error: () => awsError("S3", "AccessDenied", "Access Denied", 403),
    });
    const r = await w.run(["status", "--state", STATE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /Either the bucket team-state belongs to another AWS account, or these credentials may not use it; nothing was written to it\./,
    );
  });
});

describe("stateBucketOwner is checked", () => {
  it("in the config file, top level or per stage, and as --state-bucket-owner: 12 digits", async () => {
    const w = world();
    configFile(w, { state: `s3://${STATE_BUCKET}`, stateBucketOwner: "12345" });
    const file = await w.run(["status"]);
    expect(file.code).toBe(1);
    expect(file.stderr).toMatch(
      /Invalid serverless-automation\.config\.json: stateBucketOwner must be a 12-digit AWS account id/,
    );
    configFile(w, { stages: { production: { stateBucketOwner: 123456789012 } } });
    const stage = await w.run(["status"]);
    expect(stage.stderr).toMatch(/stages\.production\.stateBucketOwner must be a 12-digit/);
    configFile(w, {});
    const flag = await w.run(["status", "--state", STATE, "--state-bucket-owner", "me"]);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/--state-bucket-owner "me" is not an AWS account id/);
    expect(w.fake.calls).toEqual([]);
  });

  it("goes with the state it is written next to: a stage's own state does not take the top level's owner", async () => {
    const w = world();
    expect((await w.run(["state", "init", "s3://mine-state"])).code).toBe(0);
    configFile(w, {
      state: `s3://${STATE_BUCKET}`,
      stateBucketOwner: SQUATTER,
      stages: { production: { state: "s3://mine-state" } },
    });
    w.fake.resetCalls();
    const r = await w.run(["up", "--dry-run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(bucketCalls(w, "mine-state").length).toBeGreaterThan(0);
    expect(withoutOwner(bucketCalls(w, "mine-state"), ME)).toEqual([]);
  });
});

import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  ListObjectVersionsCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { beforeEach, describe, expect, it } from "vitest";
import { inventory, isEmpty } from "./aws.js";
import { CREDENTIALS, runMain, workdir } from "./cli.js";
import * as E from "./expected.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * Buckets of the tool's names made first by another account, against moto (whose S3 honours
 * x-amz-expected-bucket-owner through the launcher's patch, as S3 documents): the squatter is
 * moto's account 222222222222, reached by assuming a role in it.
 */

Object.assign(process.env, CREDENTIALS);

const SQUATTER = "222222222222";

const em = useEmulator({ proxy: false, resetEach: true });
/** S3 as the other account sees it. */
let theirs: S3Client;

const DEFAULT_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };

async function squatterS3(endpoint: string): Promise<S3Client> {
  const sts = new STSClient({ region: E.REGION, endpoint, credentials: DEFAULT_CREDENTIALS });
  const role = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${SQUATTER}:role/x`,
      RoleSessionName: "squatter",
    }),
  );
  const c = role.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error("AssumeRole gave no credentials");
  return new S3Client({
    region: E.REGION,
    endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
    },
  });
}

/** A bucket the other account makes, letting this account in, with its own settings. */
async function squat(Bucket: string): Promise<void> {
  await theirs.send(new CreateBucketCommand({ Bucket }));
  await theirs.send(
    new PutBucketPolicyCommand({
      Bucket,
      Policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${E.ACCOUNT}:root` },
            Action: "s3:*",
            Resource: [`arn:aws:s3:::${Bucket}`, `arn:aws:s3:::${Bucket}/*`],
          },
        ],
      }),
    }),
  );
  await theirs.send(
    new PutBucketEncryptionCommand({
      Bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" } }],
      },
    }),
  );
  await theirs.send(
    new PutBucketTaggingCommand({
      Bucket,
      Tagging: { TagSet: [{ Key: "owner", Value: "squatter" }] },
    }),
  );
}

/** What the other account sees of its bucket: its settings and every object version. */
async function seen(Bucket: string): Promise<unknown> {
  const [enc, policy, tags, versions] = await Promise.all([
    theirs.send(new GetBucketEncryptionCommand({ Bucket })),
    theirs.send(new GetBucketPolicyCommand({ Bucket })),
    theirs.send(new GetBucketTaggingCommand({ Bucket })),
    theirs.send(new ListObjectVersionsCommand({ Bucket })),
  ]);
  return {
    encryption: enc.ServerSideEncryptionConfiguration?.Rules,
    policy: policy.Policy,
    tags: tags.TagSet,
    objects: [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].map((v) => v.Key),
  };
}

describe.skipIf(MOTO_SKIP_REASON !== undefined)(
  "buckets another account owns, against moto",
  () => {
    beforeEach(async () => {
      theirs = await squatterS3(em.moto.endpoint);
    });

    it("the code bucket's name made first by another account that lets this one in: up exits non-zero, says so, and the bucket holds no object, its settings as they were", async () => {
      const bucket = E.names("production").bucket;
      await squat(bucket);
      const before = await seen(bucket);
      expect(before).toMatchObject({ objects: [] });

      const r = await runMain(["up"], workdir(), em.env);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(
        `The S3 bucket ${bucket} belongs to another AWS account (ExpectedBucketOwner ${E.ACCOUNT} refused): nothing was written to it.`,
      );
      expect(r.stderr).toMatch(/another --stage/);
      expect(await seen(bucket)).toEqual(before);
      // No function was made from (or pointed at) their bucket.
      expect((await inventory(em.aws)).functions).toEqual([]);
    }, 120_000);

    it("--state naming another account's bucket: refused before anything is made, nothing written to it; with --state-bucket-owner naming that account it is used", async () => {
      await squat("their-state");
      const before = await seen("their-state");

      const r = await runMain(
        ["up", "--state", "s3://their-state/production.json"],
        workdir(),
        em.env,
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(
        `The state bucket their-state belongs to another AWS account (ExpectedBucketOwner ${E.ACCOUNT} refused): nothing was written to it.`,
      );
      expect(r.stderr).toMatch(/Check the bucket name in --state/);
      expect(await seen("their-state")).toEqual(before);
      expect(isEmpty(await inventory(em.aws))).toBe(true);

      // Meant: the owner named, the state is read there (a plan, changing nothing).
      const meant = await runMain(
        [
          "up",
          "--dry-run",
          "--state",
          "s3://their-state/production.json",
          "--state-bucket-owner",
          SQUATTER,
        ],
        workdir(),
        em.env,
      );
      expect(meant.code, meant.stderr).toBe(0);
      expect(await seen("their-state")).toEqual(before);
    }, 120_000);
  },
);

import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import {
  isAccountId,
  isBucketName,
  isRemoteState,
  legacyS3Location,
  parseS3Location,
  stateBucketOwnerFor,
  validateStateBucketOwner,
} from "../../src/state/location.js";

/** Where a remote state lives, from the setting the user wrote, and what is refused. */

const ID = { name: "shop", stage: "production", region: "eu-west-1" };

function refusal(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error("expected a UserError");
}

describe("remote state locations", () => {
  it("s3:// in any case is remote; a path is not", () => {
    expect(isRemoteState("s3://b/k.json")).toBe(true);
    expect(isRemoteState("S3://b")).toBe(true);
    expect(isRemoteState("./s3://b")).toBe(false);
    expect(isRemoteState("state/s3.json")).toBe(false);
  });

  it("bucket names: 3 to 63 lowercase letters, digits, dots and hyphens, no '..'", () => {
    expect(isBucketName("abc")).toBe(true);
    expect(isBucketName("my.team-state1")).toBe(true);
    expect(isBucketName("a".repeat(63))).toBe(true);
    expect(isBucketName("ab")).toBe(false);
    expect(isBucketName("a".repeat(64))).toBe(false);
    expect(isBucketName("My-bucket")).toBe(false);
    expect(isBucketName("-abc")).toBe(false);
    expect(isBucketName("abc-")).toBe(false);
    expect(isBucketName("a..b")).toBe(false);
    expect(isBucketName("a_b")).toBe(false);
  });

  it("a full key is used as given", () => {
    expect(parseS3Location("s3://team-state/x/prod.json", ID)).toEqual({
      bucket: "team-state",
      key: "x/prod.json",
      url: "s3://team-state/x/prod.json",
    });
  });

  it("a bare bucket gets <name>/<stage>.<region>.json; a prefix gets <stage>.<region>.json", () => {
    expect(parseS3Location("s3://team-state", ID)).toEqual({
      bucket: "team-state",
      key: "shop/production.eu-west-1.json",
      url: "s3://team-state/shop/production.eu-west-1.json",
    });
    expect(parseS3Location("s3://team-state/", ID).key).toBe("shop/production.eu-west-1.json");
    expect(parseS3Location("  S3://team-state/envs/  ", ID)).toEqual({
      bucket: "team-state",
      key: "envs/production.eu-west-1.json",
      url: "s3://team-state/envs/production.eu-west-1.json",
    });
  });

  it("not an S3 location, or a bad bucket name: says how to write it", () => {
    for (const given of [
      "s3://",
      "s3://AB",
      "https://team-state/k",
      "xs3://team-state/k",
      "s3://a..b/k",
      "s3://team-state/a\nb",
    ]) {
      const e = refusal(() => parseS3Location(given, ID));
      expect(e.message).toBe(`"${given}" is not an S3 location for the state.`);
      expect(e.hint).toBe(
        "Write it as s3://<bucket>/<key>, e.g. s3://my-team-state/serverless-automation/production.json (a bucket name is 3-63 lowercase letters, digits, dots and hyphens).",
      );
    }
  });

  it("a key ending in .lock is refused: it names the lock", () => {
    const e = refusal(() => parseS3Location("s3://team-state/prod.lock", ID));
    expect(e.message).toBe(
      'The state key "prod.lock" ends in .lock, which names the state\'s lock.',
    );
    expect(e.hint).toBe("Choose a key ending in .json, e.g. s3://bucket/production.json.");
  });

  it("the key older versions used for the same setting; none for a key given in full", () => {
    expect(legacyS3Location("s3://team-state", "production")).toEqual({
      bucket: "team-state",
      key: "serverless-automation/production.json",
      url: "s3://team-state/serverless-automation/production.json",
    });
    expect(legacyS3Location("s3://team-state/envs/", "dev")?.key).toBe("envs/dev.json");
    expect(legacyS3Location("s3://team-state/envs/dev.json", "dev")).toBeUndefined();
  });
});

describe("the state bucket's owner", () => {
  it("an account id is 12 digits", () => {
    expect(isAccountId("123456789012")).toBe(true);
    expect(isAccountId("12345678901")).toBe(false);
    expect(isAccountId("1234567890123")).toBe(false);
    expect(isAccountId("12345678901a")).toBe(false);
    expect(isAccountId(123456789012)).toBe(false);
  });

  it("a typo is refused naming where it was given", () => {
    expect(validateStateBucketOwner(undefined, "x")).toBeUndefined();
    expect(validateStateBucketOwner("123456789012", "x")).toBe("123456789012");
    const e = refusal(() => validateStateBucketOwner("12345", "--state-bucket-owner"));
    expect(e.message).toBe('--state-bucket-owner "12345" is not an AWS account id.');
    expect(e.hint).toContain("12-digit id of the account that owns the state bucket");
  });

  it("goes with the state it is given with", () => {
    const file = { state: "s3://a", owner: "111111111111" };
    expect(stateBucketOwnerFor({}, file)).toBe("111111111111");
    expect(stateBucketOwnerFor({ state: "s3://b" }, file)).toBeUndefined();
    expect(stateBucketOwnerFor({ state: "s3://b", owner: "222222222222" }, file)).toBe(
      "222222222222",
    );
    expect(stateBucketOwnerFor({}, undefined)).toBeUndefined();
    expect(refusal(() => stateBucketOwnerFor({ owner: "x" }, file)).message).toBe(
      '--state-bucket-owner "x" is not an AWS account id.',
    );
    expect(refusal(() => stateBucketOwnerFor({}, { owner: "y" })).message).toBe(
      'stateBucketOwner "y" is not an AWS account id.',
    );
  });
});

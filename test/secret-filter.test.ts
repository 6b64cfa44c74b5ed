/**
 * What the config refuses before any AWS call: secrets in `environment` (by name and by value),
 * malformed secret references and names that collide, and extra permissions that are not least
 * privilege. Each refusal names the variable or statement, never the value.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { validateSettings } from "../src/config.js";
import { UserError } from "../src/errors.js";
import { SECRET_NAMES, SECRET_VALUES, secretRefusal } from "../src/secret-filter.js";
import type { Settings } from "../src/settings.js";

function problems(input: Partial<Settings>): string[] {
  try {
    validateSettings(input);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    const lines = err.message.split("\n");
    return lines.length === 1
      ? [lines[0]!.replace(/^Invalid settings: /, "").replace(/\.$/, "")]
      : lines.slice(1).map((l) => l.replace(/^ {2}- /, ""));
  }
  return [];
}

const PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow…";

describe("names refused in environment, whatever the value", () => {
  it.each([
    // The list of names that used to pass.
    "DB_PASS",
    "PWD",
    "AUTH",
    "JWT",
    "SIGNING_KEY",
    "SESSION_KEY",
    // One for each further word.
    "BEARER_VALUE",
    "HMAC",
    "PASSWORD_SALT",
    "COOKIE_SECRET",
    "SESSION",
    "SENTRY_DSN",
    "STRIPE_KEY",
    "dbPass",
    // What was refused before stays refused.
    "DB_PASSWORD",
    "GITHUB_TOKEN",
    "OPENAI_API_KEY",
    "AWS_SECRET_ACCESS_KEY_X",
    "CLIENT_CREDENTIALS",
  ])("%s", (name) => {
    const found = problems({ environment: { [name]: "v" } });
    expect(
      found.some((p) => p.startsWith(`environment.${name} is refused: it looks like a secret`)),
    ).toBe(true);
  });
});

describe("values refused in environment, whatever the name", () => {
  it.each([
    ["REGION_HINT", "AKIAIOSFODNN7EXAMPLE", "AWS access key id"],
    ["ID", "ASIAY34FZKBOKMUTVV7A", "AWS access key id"],
    ["CERT_BUNDLE", PEM, "PEM private key header"],
    ["DATABASE_URL", "postgres://u:hunter2@db/x", "URL with a password"],
    ["WEBHOOK", "https://hooks.example.com/x?token=abc123", "credential in its query"],
    ["STRIPE_KEY_LIVE", "sk9Lq2Xv7RtY4pWz8MnB3cKd6FgH1jS5", "long high-entropy string"],
  ])("%s", (name, value, rule) => {
    const found = problems({ environment: { [name]: value } });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(
      `environment.${name} is refused: it looks like a secret (its value looks like`,
    );
    expect(found[0]).toContain(rule);
    expect(found[0]).not.toContain(value.slice(0, 12));
  });
});

describe("let through", () => {
  it.each([
    ["DATABASE_URL", "postgres://db.internal:5432/app", "a URL without credentials"],
    ["SMTP_URL", "smtp://mailer@mail.example.com", "a user but no password"],
    ["DB_PASSWORD_PARAM", "/my-app/db-password", "a reference suffix with a parameter path"],
    ["STRIPE_KEY_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:my-app/stripe-AbCdEf", "an ARN"],
    ["API_TOKEN_NAME", "my-app/api-token", "a hierarchical secret name"],
    ["PARTITION_KEY", "id", "a key attribute's name"],
    ["PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----\nMFkw…", "a public key"],
    ["CA_CERT", "-----BEGIN CERTIFICATE-----\nMIIB…", "a certificate"],
    ["BUILD_SHA", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "a hash under a plain name"],
    ["KMS_KEY_ID", "1234abcd-12ab-34cd-56ef-1234567890ab", "a key id (not at the end of a name with KEY)"],
    ["FEATURE_FLAG", "on", "configuration"],
    ["PASSENGER_LIMIT", "4", "PASS only as a whole word"],
  ])("%s (%s)", (name, value) => {
    expect(secretRefusal(name, value)).toBeUndefined();
    expect(problems({ environment: { [name]: value } })).toEqual([]);
  }); // prettier-ignore

  it("a reference suffix whose value is not a reference is refused, without the value", () => {
    const found = problems({ environment: { DB_PASSWORD_PARAM: "hunter2" } });
    expect(found).toEqual([
      "environment.DB_PASSWORD_PARAM is refused: it looks like a secret (its name ends in _PARAM but its value is not a reference (an ARN or a parameter path)), and environment variables are readable by anyone who can read the function's configuration",
    ]);
  });
});

describe("secrets", () => {
  it.each([
    ["vault:/x", 'must be "ssm:/parameter/name" or "secretsmanager:<name or ARN>"'],
    ["ssm:my-app/x", "does not start with /"],
    ["ssm:/aws/x", "which SSM reserves"],
    ["ssm:/a//b", "names no valid parameter"],
    ["ssm:/a b", "names no valid parameter"],
    ["secretsmanager:arn:aws:secretsmanager:us-east-1:1:secret:x", "is not a Secrets Manager ARN"],
    ["secretsmanager:my app", "names no valid secret"],
  ])("%s is refused", (ref, what) => {
    const found = problems({ secrets: { DB_PASSWORD: ref } });
    expect(found).toEqual([expect.stringContaining(what)]);
    expect(found[0]).toMatch(/^secrets\.DB_PASSWORD /);
  });

  it.each(["ssm:/my-app/db-password", "ssm:plain-name", "secretsmanager:my-app/stripe", "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf"])(
    "%s is taken",
    (ref) => expect(problems({ secrets: { DB_PASSWORD: ref } })).toEqual([]),
  ); // prettier-ignore

  it("a name or its variable colliding with environment, the tool's, Lambda's or another secret's", () => {
    expect(
      problems({
        environment: { DB: "x", A_PARAM: "/x" },
        secrets: {
          DB: "ssm:/x",
          A: "ssm:/a",
          TABLE_NAME: "ssm:/t",
          AWS_THING: "ssm:/t",
          B: "secretsmanager:b",
          B_SECRET_ARN: "ssm:/b",
        },
      }),
    ).toEqual([
      "secrets.DB collides with environment.DB",
      "secrets.A collides (the variable A_PARAM, which says where it is) with environment.A_PARAM",
      "secrets.TABLE_NAME collides with a variable serverless-automation sets itself",
      "secrets.AWS_THING collides with Lambda's reserved variables (AWS_*, LAMBDA_*, _*)",
      "secrets.B_SECRET_ARN collides with secrets.B",
    ]);
  });
});

describe("permissions", () => {
  const S3 = "arn:aws:s3:::my-inbox/*";
  it.each([
    [{ actions: ["*"], resources: [S3] }, 'actions[0] is refused: "*" allows every action of every service'],
    [{ actions: ["s3:*"], resources: [S3] }, 'actions[0] is refused: "s3:*" allows every action of s3'],
    [{ actions: ["iam:PassRole"], resources: ["arn:aws:iam::123456789012:role/x"] }, "actions[0] is refused: iam:PassRole lets the function change or take on IAM permissions"],
    [{ actions: ["sts:AssumeRole"], resources: ["arn:aws:iam::123456789012:role/x"] }, "actions[0] is refused: sts:AssumeRole"],
    [{ actions: ["sts:Assume*"], resources: ["arn:aws:iam::123456789012:role/x"] }, "actions[0] is refused: sts:Assume*"],
    [{ actions: ["s3:GetObject"], resources: ["*"] }, 'resources[0] is "*", but s3:GetObject supports resource-level permissions'],
    [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:us-east-1::bucket/x"] }, "resources[0] has a region, but s3 ARNs have none"],
    [{ actions: ["dynamodb:GetItem"], resources: ["arn:aws:dynamodb:::table/x"] }, "resources[0] needs a region"],
    [{ actions: ["dynamodb:GetItem"], resources: ["arn:aws:dynamodb:us-east-1:123:table/x"] }, "resources[0] needs a 12-digit account id"],
    [{ actions: ["s3:GetObject"], resources: ["my-inbox/*"] }, "resources[0] is not an ARN"],
    [{ actions: ["s3:GetObject"], resources: ["arn:azure:s3:::x"] }, 'resources[0] has an unknown partition "azure"'],
    [{ actions: ["s3:GetObject"], resources: [] }, "resources must be a non-empty list of ARNs"],
    [{ actions: ["GetObject"], resources: [S3] }, "actions[0] is not an action"],
    [{ actions: ["s3:GetObject"], resources: [S3], effect: "Deny" }, "permissions[0].effect is not a known field"],
  ])("%j is refused", (statement, what) => {
    const found = problems({ permissions: [statement] as never });
    expect(found).toEqual([expect.stringContaining(what)]);
    expect(found[0]).toMatch(/^permissions\[0\]/);
  }); // prettier-ignore

  it.each([
    [{ actions: ["s3:GetObject"], resources: [S3] }],
    [{ actions: ["s3:Get*"], resources: [S3] }],
    [{ actions: ["iam:PassRole"], resources: ["arn:aws:iam::123456789012:role/x"], allowPrivileged: true }],
    [{ actions: ["sts:AssumeRole"], resources: ["arn:aws:iam::123456789012:role/x"], allowPrivileged: true }],
    [{ actions: ["xray:PutTraceSegments", "cloudwatch:PutMetricData"], resources: ["*"] }],
    [{ actions: ["ec2:Describe*"], resources: ["*"] }],
    [{ actions: ["s3:GetObject"], resources: ["*"], allowAnyResource: true }],
    [{ actions: ["dynamodb:GetItem"], resources: ["arn:aws:dynamodb:*:123456789012:table/other"] }],
    [{ actions: ["sqs:SendMessage"], resources: ["arn:aws-cn:sqs:cn-north-1:123456789012:q"] }],
  ])("%j is taken", (statement) => {
    expect(problems({ permissions: [statement] })).toEqual([]);
  }); // prettier-ignore

  it("`*` and service:* stay refused with allowPrivileged", () => {
    expect(problems({ permissions: [{ actions: ["iam:*"], resources: ["*"], allowPrivileged: true, allowAnyResource: true }] })).toEqual([
      expect.stringContaining('permissions[0].actions[0] is refused: "iam:*"'),
    ]);
  }); // prettier-ignore
});

describe("the README lists every pattern of the filter", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  it.each([...SECRET_NAMES, ...SECRET_VALUES].map((r) => [r.pattern, r.why]))(
    "%s",
    (pattern, why) => {
      // One row of the posture section's table: the pattern, then why.
      const row = readme.split("\n").find((l) => l.startsWith("|") && l.includes(`| ${pattern} `));
      expect(row).toBeDefined();
      expect(row).toContain(`| ${why} `);
    },
  );
});

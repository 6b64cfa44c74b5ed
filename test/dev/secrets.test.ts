/**
 * `dev` and the config's secrets: values from dev's environment or an env file, never from AWS
 * unless --remote-secrets; the handler gets NAME with the value (not where it is), and dev says
 * which it could not resolve.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { parseEnvFile } from "../../src/dev/secrets.js";
import { FakeAccount } from "../fake-aws/index.js";
import { dev } from "./run-dev.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const SECRETS = {
  DB_PASSWORD: "ssm:/my-app/db-password",
  STRIPE_KEY: "secretsmanager:my-app/stripe",
  WEBHOOK_SECRET: "ssm:/my-app/webhook",
};

/** A project whose one route answers with the secrets' variables as the handler sees them. */
async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "sa-dev-secrets-"));
  dirs.push(dir);
  await mkdir(join(dir, "src"));
  await writeFile(
    join(dir, "src", "h.ts"),
    `const names = ${JSON.stringify(Object.keys(SECRETS).flatMap((n) => [n, `${n}_PARAM`, `${n}_SECRET_ARN`]))};
export const handler = async () => ({
  statusCode: 200,
  body: JSON.stringify(Object.fromEntries(names.filter((n) => process.env[n] !== undefined).map((n) => [n, process.env[n]]))),
});\n`,
  );
  await writeFile(
    join(dir, "serverless-automation.config.json"),
    JSON.stringify({
      name: "dev-secrets",
      handler: "src/h.ts",
      routes: ["GET /env"],
      secrets: SECRETS,
    }),
  );
  return dir;
}

describe("dev resolves the config's secrets locally", () => {
  it("from the environment and .env; names the one it could not resolve; never calls AWS", async () => {
    const dir = await project();
    await writeFile(
      join(dir, ".env"),
      "# local values\nSTRIPE_KEY='sk_test_from_file'\nDB_PASSWORD=overridden-by-env\nUNRELATED=x\n",
    );
    const fake = new FakeAccount();
    const run = await dev([], {
      cwd: dir,
      env: { DB_PASSWORD: "from-env" },
      clients: fake.clients(),
    });
    try {
      expect(run.url, run.stderr).toBeDefined();
      expect(run.stdout).toContain(
        "Secrets: DB_PASSWORD from the environment, STRIPE_KEY from .env",
      );
      expect(run.stderr).toContain(
        "warning: secrets not resolved: WEBHOOK_SECRET (ssm:/my-app/webhook)",
      );
      expect(run.stderr).toContain("or pass --remote-secrets");
      const seen = (await (await fetch(`${run.url}/env`)).json()) as Record<string, string>;
      // The values by their own names; no reference a handler would follow to AWS.
      expect(seen).toEqual({ DB_PASSWORD: "from-env", STRIPE_KEY: "sk_test_from_file" });
      expect(fake.calls).toEqual([]);
    } finally {
      await run.end();
    }
  });

  it("--env-file names the file; a missing one is an error", async () => {
    const dir = await project();
    await writeFile(join(dir, "local.env"), 'export WEBHOOK_SECRET="whsec_1"\n');
    const run = await dev(["--env-file", "local.env"], { cwd: dir });
    try {
      expect(run.stdout).toContain("Secrets: WEBHOOK_SECRET from local.env");
      expect(run.stderr).toContain(
        "secrets not resolved: DB_PASSWORD (ssm:/my-app/db-password), STRIPE_KEY",
      );
    } finally {
      await run.end();
    }
    const missing = await dev(["--env-file", "nope.env"], { cwd: dir });
    expect(await missing.end()).toBe(1);
    expect(missing.stderr).toContain(
      `Cannot read the env file ${join(dir, "nope.env")}: there is no such file.`,
    );
  });

  it("--remote-secrets reads the rest from AWS, with the caller's credentials", async () => {
    const dir = await project();
    const fake = new FakeAccount();
    fake.ssm.putParameter("/my-app/db-password", "from-ssm");
    fake.secretsmanager.create("my-app/stripe", "from-secrets-manager", undefined, {
      region: "us-east-1",
    });
    const run = await dev(["--remote-secrets"], {
      cwd: dir,
      env: { WEBHOOK_SECRET: "from-env", AWS_REGION: "us-east-1" },
      clients: fake.clients(),
    });
    try {
      expect(run.stdout).toContain(
        "Secrets: DB_PASSWORD from AWS, STRIPE_KEY from AWS, WEBHOOK_SECRET from the environment",
      );
      expect(run.stderr).not.toContain("not resolved");
      const seen = (await (await fetch(`${run.url}/env`)).json()) as Record<string, string>;
      expect(seen).toEqual({
        DB_PASSWORD: "from-ssm",
        STRIPE_KEY: "from-secrets-manager",
        WEBHOOK_SECRET: "from-env",
      });
      expect(fake.operations().sort()).toEqual([
        "SSM.GetParameter",
        "SecretsManager.GetSecretValue",
      ]);
      expect(fake.callLog({ service: "SSM" })[0]!.input).toMatchObject({ WithDecryption: true });
    } finally {
      await run.end();
    }
  });
});

describe("the env file format", () => {
  it("reads KEY=VALUE, export, quotes and comments", () => {
    expect(
      parseEnvFile(
        [
          "# comment",
          "A=1",
          "export B = two",
          "C='single # kept'",
          'D="line\\nbreak"',
          "E=plain # note",
          "not a line",
          "",
        ].join("\n"),
      ),
    ).toEqual({ A: "1", B: "two", C: "single # kept", D: "line\nbreak", E: "plain" });
  });

  it("init's project is untouched by dev without secrets: no .env is read", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sa-dev-nosecrets-"));
    dirs.push(dir);
    const quiet = { write: () => undefined };
    expect(await main(["init", "."], { stdout: quiet, stderr: quiet, env: {}, cwd: dir })).toBe(0);
    // A directory named .env would fail any read of it.
    await mkdir(join(dir, ".env"));
    const run = await dev([], { cwd: dir });
    try {
      expect(run.url, run.stderr).toBeDefined();
      expect(run.stdout).not.toContain("Secrets:");
    } finally {
      await run.end();
    }
  });
});

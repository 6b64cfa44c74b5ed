import { promises as fs } from "node:fs";
import path from "node:path";
import { UpdateFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { expectStack } from "./aws.js";
import { CREDENTIALS, runBin } from "./cli.js";
import * as E from "./expected.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * A plan file made, reviewed and applied through the built CLI against moto: applied exactly
 * when nothing moved, refused with no mutating call when a resource changed by hand.
 */

Object.assign(process.env, CREDENTIALS);

const em = useEmulator();

async function cli(argv: string[]) {
  em.proxy.arm(undefined);
  return runBin(argv, em.cwd, em.env);
}

interface Step {
  id: string;
  action: string;
  changes: { field: string; observed: unknown; desired: unknown }[];
}

describe.skipIf(MOTO_SKIP_REASON !== undefined)("plan files against moto", () => {
  it("a plan made on an empty account is applied exactly: the whole stack", async () => {
    const dry = await cli(["up", "--dry-run", "--out", "plan.json"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(em.mutating()).toEqual([]);
    expect(dry.stdout).toContain("npx serverless-automation up --plan plan.json");
    const up = await cli(["up", "--plan", "plan.json"]);
    expect(up.code, up.stderr).toBe(0);
    await expectStack(em.aws, "production");
  });

  it("a function changed by hand after the plan: refused with no mutating call; a new plan applies", async () => {
    const n = E.names("production");
    expect((await cli(["up", "--dry-run", "--out", "plan.json"])).code).toBe(0);
    await em.aws.lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: n.functionName, MemorySize: 512 }),
    );
    const refused = await cli(["up", "--plan", "plan.json"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `the Lambda function ${n.functionName} changed since the plan was made`,
    );
    expect(em.mutating()).toEqual([]);

    expect((await cli(["up", "--dry-run", "--out", "plan.json"])).code).toBe(0);
    const plan = JSON.parse(await fs.readFile(path.join(em.cwd, "plan.json"), "utf8")) as {
      steps: Step[];
    };
    expect(plan.steps.filter((s) => s.action !== "noop")).toEqual([
      expect.objectContaining({
        id: n.functionName,
        action: "update",
        changes: [{ field: "memorySize", observed: 512, desired: 256 }],
      }),
    ]);
    const up = await cli(["up", "--plan", "plan.json"]);
    expect(up.code, up.stderr).toBe(0);
    // UpdateFunctionConfiguration, as the wire names it: the one change the plan showed.
    expect(em.mutating()).toEqual([
      `lambda PUT /2015-03-31/functions/${n.functionName}/configuration`,
    ]);
  });
});

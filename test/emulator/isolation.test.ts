import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DescribeTableCommand, ListTagsOfResourceCommand } from "@aws-sdk/client-dynamodb";
import { GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { awsAt, expectStack, inventory } from "./aws.js";
import { CREDENTIALS, runMain, workdir } from "./cli.js";
import * as E from "./expected.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * Stacks that never touch each other, against moto: two projects in one account and region,
 * and one stage in two regions from one directory. Each is deployed, each is in sync, and the
 * down of one leaves the other whole, both ways.
 */

Object.assign(process.env, CREDENTIALS);

const em = useEmulator();

async function run(argv: string[], cwd: string, region = E.REGION): Promise<string> {
  const r = await runMain(argv, cwd, { ...em.env, AWS_REGION: region });
  expect(r.code, `${argv.join(" ")} (${region}):\n${r.stderr}`).toBe(0);
  return r.stderr;
}

/** `status` exits 0 and a second `up` makes no mutating call: in sync. */
async function inSync(cwd: string, region = E.REGION): Promise<void> {
  em.proxy.arm(undefined);
  await run(["status"], cwd, region);
  await run(["up"], cwd, region);
  expect(em.proxy.mutating().map((c) => c.operation)).toEqual([]);
}

/** A project of its own: a name, a handler and one route. */
function ordersProject(): string {
  const dir = workdir();
  mkdirSync(path.join(dir, "src"));
  writeFileSync(
    path.join(dir, "src", "api.ts"),
    "export const handler = async () => ({ statusCode: 200, body: 'orders' });\n",
  );
  writeFileSync(
    path.join(dir, "serverless-automation.config.json"),
    JSON.stringify({ name: "orders", handler: "src/api.ts", routes: ["GET /orders"] }),
  );
  return dir;
}

describe.skipIf(MOTO_SKIP_REASON !== undefined)("stacks that never touch each other (moto)", () => {
  it("two projects side by side: both up and in sync; down of either leaves the other whole", async () => {
    await em.moto.reset();
    const builtIn = workdir();
    const orders = ordersProject();
    await run(["up"], builtIn);
    await run(["up"], orders);
    const o = E.names("production", { name: "orders" });
    const table = await em.aws.dynamodb.send(new DescribeTableCommand({ TableName: o.table }));
    const tags = await em.aws.dynamodb.send(
      new ListTagsOfResourceCommand({ ResourceArn: table.Table?.TableArn }),
    );
    expect(Object.fromEntries((tags.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject(
      E.tags("production", "orders"),
    );
    const fn = await em.aws.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: o.functionName }),
    );
    expect(fn.Role).toBe(`arn:aws:iam::${E.ACCOUNT}:role/${o.role}`);
    expect(fn.Environment?.Variables?.TABLE_NAME).toBe(o.table);
    await inSync(builtIn);
    await inSync(orders);

    await run(["down", "--yes"], orders);
    await expectStack(em.aws, "production");
    await inSync(builtIn);

    // And the other way round.
    await run(["up"], orders);
    await run(["down", "--yes"], builtIn);
    const left = await inventory(em.aws);
    expect(left.tables).toEqual([o.table]);
    expect(left.functions).toEqual([o.functionName]);
    expect(left.buckets).toEqual([o.bucket]);
    await inSync(orders);
    await run(["down", "--yes"], orders);
  });

  it("one stage in two regions from one directory: two state files, two roles; down of either leaves the other whole", async () => {
    await em.moto.reset();
    const dir = workdir();
    const WEST = "us-west-2";
    const west = awsAt(em.moto.endpoint, WEST);
    const east = E.names("production");
    const w = E.names("production", { region: WEST });
    await run(["up"], dir);
    await run(["up"], dir, WEST);
    expect(existsSync(path.join(dir, ".serverless-automation", "production.us-east-1.json"))).toBe(
      true,
    );
    expect(existsSync(path.join(dir, ".serverless-automation", "production.us-west-2.json"))).toBe(
      true,
    );
    // IAM is global: each region's function has a role of its own.
    const roles = (await inventory(em.aws)).roles;
    expect(roles).toEqual(expect.arrayContaining([east.role, w.role]));
    const westFn = await west.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: w.functionName }),
    );
    expect(westFn.Role).toBe(`arn:aws:iam::${E.ACCOUNT}:role/${w.role}`);
    await inSync(dir);
    await inSync(dir, WEST);

    await run(["down", "--yes"], dir, WEST);
    await expectStack(em.aws, "production");
    expect((await inventory(west)).tables).toEqual([]);
    await inSync(dir);

    // And the other way round.
    await run(["up"], dir, WEST);
    await run(["down", "--yes"], dir);
    const left = await inventory(west);
    expect(left.tables).toEqual([w.table]);
    expect(left.functions).toEqual([w.functionName]);
    expect((await inventory(em.aws)).roles).toContain(w.role);
    expect((await inventory(em.aws)).roles).not.toContain(east.role);
    await inSync(dir, WEST);
    await run(["down", "--yes"], dir, WEST);
  });
});

/**
 * The transient refusals AWS answers on the paths the tool handles, produced by the fake's own
 * models (not injected as canned errors): API Gateway's concurrent-modification
 * ConflictException, Lambda's ResourceConflictException while a function is Pending or being
 * updated. Each time the tool must wait, retry and converge to the designed stack.
 */
import {
  CreateResourceCommand,
  CreateRestApiCommand,
  GetResourcesCommand,
} from "@aws-sdk/client-api-gateway";
import {
  AddPermissionCommand,
  GetFunctionCommand,
  RemovePermissionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import * as E from "./expected.js";
import type { World } from "./helpers.js";
import { quickWorld, SETTLE_MS, tinyHandler } from "./reliability/support.js";

const IO = { handlerEntry: tinyHandler() };
const n = E.names("production");

/** Each call to one operation, in order: "ok" or the error name. */
function attempts(w: World, service: string, operation: string): string[] {
  return w.fake
    .callLog({ service })
    .filter((c) => c.operation === operation)
    .map((c) => c.error ?? "ok");
}

describe("the fake answers as AWS does", () => {
  it("Lambda: a change while Pending or while an update runs is a ResourceConflictException", async () => {
    const w = quickWorld();
    w.fake.lambda.timings.pendingMs = 1_000;
    expect((await w.run(["up"], { ...IO, concurrency: 1 })).code).toBe(0);
    w.fake.lambda.makePending(n.functionName, 1_000);
    const lambda = w.fake.clients().lambda;
    await expect(
      lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: n.functionName, MemorySize: 512 })),
    ).rejects.toMatchObject({
      name: "ResourceConflictException",
      message:
        "The operation cannot be performed at this time. The function is currently in the following state: Pending",
    });
    await expect(
      lambda.send(
        new AddPermissionCommand({
          FunctionName: n.functionName,
          StatementId: "x",
          Action: "lambda:InvokeFunction",
          Principal: "apigateway.amazonaws.com",
        }),
      ),
    ).rejects.toMatchObject({ name: "ResourceConflictException" });

    const v = quickWorld();
    expect((await v.run(["up"], IO)).code).toBe(0);
    await sleep(SETTLE_MS);
    v.fake.lambda.timings.updatingMs = 1_000;
    const vl = v.fake.clients().lambda;
    await vl.send(new UpdateFunctionConfigurationCommand({ FunctionName: n.functionName, Timeout: 31 }));
    await expect(
      vl.send(new UpdateFunctionCodeCommand({ FunctionName: n.functionName, S3Bucket: n.bucket, S3Key: "x" })),
    ).rejects.toMatchObject({
      name: "ResourceConflictException",
      message: expect.stringMatching(/^The operation cannot be performed at this time\. An update is in progress for resource: arn:aws:lambda:/),
    });
  }); // prettier-ignore

  it("API Gateway: a change while another to the same API is applied is a ConflictException", async () => {
    const w = quickWorld();
    w.fake.apigateway.concurrency.busyMs = 1_000;
    const api = w.fake.clients().apigateway;
    const { id: restApiId, rootResourceId: parentId } = await api.send(new CreateRestApiCommand({ name: "x" }));
    await api.send(new CreateResourceCommand({ restApiId, parentId, pathPart: "a" }));
    await expect(
      api.send(new CreateResourceCommand({ restApiId, parentId, pathPart: "b" })),
    ).rejects.toMatchObject({
      name: "ConflictException",
      message: "Unable to complete operation due to concurrent modification. Please try again later.",
    });
    // Reads are answered, and other APIs are not affected.
    await api.send(new GetResourcesCommand({ restApiId }));
    const other = await api.send(new CreateRestApiCommand({ name: "y" }));
    await api.send(new CreateResourceCommand({ restApiId: other.id, parentId: other.rootResourceId, pathPart: "a" }));
  }); // prettier-ignore
});

describe("the tool waits them out and converges", () => {
  it("API Gateway's concurrent-modification ConflictException on every API change, up and down", async () => {
    const w = quickWorld();
    // Each change keeps the API busy for a while: every next change to it is refused once or twice.
    w.fake.apigateway.concurrency.busyMs = 250;
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    const refused = w.fake.callLog({ service: "APIGateway", ok: false });
    expect(refused.map((c) => c.error)).toContain("ConflictException");
    expect(r.stderr).toContain("waiting for API Gateway to finish a concurrent change");
    await sleep(SETTLE_MS);
    expect((await w.run(["status"], IO)).code).toBe(0);
    await E.expectDesignedStack(w.fake);

    const down = await w.run(["down", "--yes"], IO);
    expect(down.code, down.stderr).toBe(0);
    expect(w.fake.apigateway.apis.size).toBe(0);
  });

  it("Lambda Pending after it was observed (an Inactive function woken): the update is retried", async () => {
    const w = quickWorld();
    expect((await w.run(["up"], IO)).code).toBe(0);
    await sleep(SETTLE_MS);
    const lambda = w.fake.clients().lambda;
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: n.functionName, MemorySize: 512 }));
    await sleep(SETTLE_MS);
    // Right after up reads the function (Active), it turns Pending for a while.
    w.fake.inject({
      service: "Lambda",
      operation: "GetFunction",
      times: 1,
      after: () => w.fake.lambda.makePending(n.functionName, 1_000),
    });
    w.fake.resetCalls();
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    const tries = attempts(w, "Lambda", "UpdateFunctionConfiguration");
    expect(tries[0]).toBe("ResourceConflictException");
    expect(tries.at(-1)).toBe("ok");
    expect(r.stderr).toContain("waiting for the function's previous update to finish");
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: n.functionName }));
    expect(got.Configuration?.MemorySize).toBe(256);
  }); // prettier-ignore

  it("Lambda AddPermission while someone else's update runs: retried until it is done", async () => {
    const w = quickWorld();
    expect((await w.run(["up"], IO)).code).toBe(0);
    await sleep(SETTLE_MS);
    const lambda = w.fake.clients().lambda;
    await lambda.send(new RemovePermissionCommand({ FunctionName: `${n.functionName}:live`, StatementId: "apigateway-get-root" }));
    // Right after up reads the function's policy, someone else's update starts (one that
    // changes nothing the tool compares), and runs for a while.
    w.fake.inject({
      service: "Lambda",
      operation: "GetPolicy",
      times: 1,
      after: () => w.fake.lambda.beginUpdate(n.functionName, 1_000),
    });
    w.fake.resetCalls();
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    const tries = attempts(w, "Lambda", "AddPermission");
    expect(tries[0]).toBe("ResourceConflictException");
    expect(tries.at(-1)).toBe("ok");
    await sleep(SETTLE_MS);
    await E.expectDesignedStack(w.fake);
  }); // prettier-ignore
});

import { CreateRoleCommand } from "@aws-sdk/client-iam";
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from "@aws-sdk/client-lambda";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { beforeEach, describe, expect, it } from "vitest";
import type { Clients } from "../src/aws/clients.js";
import { FakeAccount } from "./fake-aws/index.js";

/**
 * The fake's Lambda versions and aliases behave as the Lambda API reference says
 * (PublishVersion, CreateAlias, UpdateAlias, DeleteFunction with a Qualifier, AddPermission on
 * an alias): what safe deploys will rest on.
 */

const FN = "fn";
let fake: FakeAccount;
let c: Clients;

async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 40));
}

async function upload(key: string, body: string): Promise<void> {
  await c.s3.send(new PutObjectCommand({ Bucket: "code", Key: key, Body: body }));
}

const errorName = (p: Promise<unknown>) =>
  p.then(
    () => "no error",
    (e: Error) => e.name,
  );

beforeEach(async () => {
  fake = new FakeAccount();
  fake.iam.timings.propagationMs = 0;
  c = fake.clients();
  await c.s3.send(new CreateBucketCommand({ Bucket: "code" }));
  await upload("a.zip", "first");
  const trust = {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
    ],
  };
  const role = await c.iam.send(
    new CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: JSON.stringify(trust) }),
  );
  await c.lambda.send(
    new CreateFunctionCommand({
      FunctionName: FN,
      Role: role.Role?.Arn,
      Runtime: "nodejs22.x",
      Handler: "index.handler",
      Code: { S3Bucket: "code", S3Key: "a.zip" },
    }),
  );
  await settle();
});

describe("fake Lambda versions and aliases", () => {
  it("publishes a version per change of code, and none when nothing changed", async () => {
    const v1 = await c.lambda.send(new PublishVersionCommand({ FunctionName: FN }));
    expect(v1.Version).toBe("1");
    expect(v1.FunctionArn).toMatch(/:function:fn:1$/);
    const again = await c.lambda.send(new PublishVersionCommand({ FunctionName: FN }));
    expect(again.Version).toBe("1");
    await upload("b.zip", "second");
    const updated = await c.lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: FN, S3Bucket: "code", S3Key: "b.zip" }),
    );
    await settle();
    // A hash other than $LATEST's is refused: a concurrent change is never published.
    expect(
      await errorName(
        c.lambda.send(new PublishVersionCommand({ FunctionName: FN, CodeSha256: v1.CodeSha256 })),
      ),
    ).toBe("InvalidParameterValueException");
    expect(
      await errorName(
        c.lambda.send(new PublishVersionCommand({ FunctionName: FN, RevisionId: "x" })),
      ),
    ).toBe("PreconditionFailedException");
    const v2 = await c.lambda.send(
      new PublishVersionCommand({ FunctionName: FN, CodeSha256: updated.CodeSha256 }),
    );
    expect(v2.Version).toBe("2");
    const listed = await c.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: FN }));
    expect(listed.Versions?.map((v) => v.Version)).toEqual(["$LATEST", "1", "2"]);
    const at1 = await c.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: FN, Qualifier: "1" }),
    );
    expect(at1.CodeSha256).toBe(v1.CodeSha256);
  });

  it("routes an alias to two versions, and refuses to delete a version an alias uses", async () => {
    await c.lambda.send(new PublishVersionCommand({ FunctionName: FN }));
    await upload("b.zip", "second");
    await c.lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: FN, S3Bucket: "code", S3Key: "b.zip" }),
    );
    await settle();
    await c.lambda.send(new PublishVersionCommand({ FunctionName: FN }));
    const created = await c.lambda.send(
      new CreateAliasCommand({ FunctionName: FN, Name: "live", FunctionVersion: "1" }),
    );
    expect(created.AliasArn).toMatch(/:function:fn:live$/);
    expect(
      await errorName(
        c.lambda.send(
          new CreateAliasCommand({ FunctionName: FN, Name: "live", FunctionVersion: "1" }),
        ),
      ),
    ).toBe("ResourceConflictException");
    const split = await c.lambda.send(
      new UpdateAliasCommand({
        FunctionName: FN,
        Name: "live",
        RoutingConfig: { AdditionalVersionWeights: { "2": 0.1 } },
        RevisionId: created.RevisionId,
      }),
    );
    expect(split.RoutingConfig?.AdditionalVersionWeights).toEqual({ "2": 0.1 });
    // A stale revision: someone else changed the alias since it was read.
    expect(
      await errorName(
        c.lambda.send(
          new UpdateAliasCommand({
            FunctionName: FN,
            Name: "live",
            FunctionVersion: "2",
            RevisionId: created.RevisionId,
          }),
        ),
      ),
    ).toBe("PreconditionFailedException");
    expect(
      await errorName(
        c.lambda.send(new DeleteFunctionCommand({ FunctionName: FN, Qualifier: "1" })),
      ),
    ).toBe("ResourceConflictException");
    await c.lambda.send(
      new UpdateAliasCommand({
        FunctionName: FN,
        Name: "live",
        FunctionVersion: "2",
        RoutingConfig: { AdditionalVersionWeights: {} },
      }),
    );
    const alias = await c.lambda.send(new GetAliasCommand({ FunctionName: FN, Name: "live" }));
    expect([alias.FunctionVersion, alias.RoutingConfig]).toEqual(["2", undefined]);
    await c.lambda.send(new DeleteFunctionCommand({ FunctionName: FN, Qualifier: "1" }));
    const listed = await c.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: FN }));
    expect(listed.Versions?.map((v) => v.Version)).toEqual(["$LATEST", "2"]);
    // Numbers are never reused.
    await upload("c.zip", "third");
    await c.lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: FN, S3Bucket: "code", S3Key: "c.zip" }),
    );
    await settle();
    const v3 = await c.lambda.send(new PublishVersionCommand({ FunctionName: FN }));
    expect(v3.Version).toBe("3");
  });

  it("keeps an alias's resource policy apart from the function's", async () => {
    await c.lambda.send(new PublishVersionCommand({ FunctionName: FN }));
    await c.lambda.send(
      new CreateAliasCommand({ FunctionName: FN, Name: "live", FunctionVersion: "1" }),
    );
    await c.lambda.send(
      new AddPermissionCommand({
        FunctionName: FN,
        Qualifier: "live",
        StatementId: "api",
        Action: "lambda:InvokeFunction",
        Principal: "apigateway.amazonaws.com",
      }),
    );
    const onAlias = await c.lambda.send(new GetPolicyCommand({ FunctionName: `${FN}:live` }));
    const statement = (JSON.parse(onAlias.Policy ?? "{}") as { Statement: { Resource: string }[] })
      .Statement[0];
    expect(statement?.Resource).toMatch(/:function:fn:live$/);
    expect(await errorName(c.lambda.send(new GetPolicyCommand({ FunctionName: FN })))).toBe(
      "ResourceNotFoundException",
    );
  });
});

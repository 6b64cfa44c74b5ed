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
import { expect } from "vitest";
import type { Clients } from "../../src/aws/clients.js";

/**
 * Lambda versions and aliases as the Lambda API reference describes them (PublishVersion,
 * CreateAlias, UpdateAlias, DeleteFunction with a Qualifier, AddPermission on an alias): run
 * against the fake and against moto, so both answer as AWS does. Safe deploys rest on them.
 */

const FN = "fn";

export interface LambdaBackend {
  readonly clients: Clients;
  /** Waits until a change the function is going through has settled. */
  settle(): Promise<void>;
}

async function upload(c: Clients, key: string, body: string): Promise<void> {
  await c.s3.send(new PutObjectCommand({ Bucket: "code", Key: key, Body: body }));
}

const errorName = (p: Promise<unknown>) =>
  p.then(
    () => "no error",
    (e: Error) => e.name,
  );

/** A bucket with the code and a function made from it. */
export async function lambdaFixture(b: LambdaBackend): Promise<void> {
  const c = b.clients;
  await c.s3.send(new CreateBucketCommand({ Bucket: "code" }));
  await upload(c, "a.zip", "first");
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
  await b.settle();
}

async function newCode(b: LambdaBackend, key: string, body: string) {
  await upload(b.clients, key, body);
  const updated = await b.clients.lambda.send(
    new UpdateFunctionCodeCommand({ FunctionName: FN, S3Bucket: "code", S3Key: key }),
  );
  await b.settle();
  return updated;
}

export const LAMBDA_VERSION_SCENARIOS: Record<string, (b: LambdaBackend) => Promise<void>> = {
  async "publishes a version per change of code, and none when nothing changed"(b) {
    const c = b.clients;
    const v1 = await c.lambda.send(new PublishVersionCommand({ FunctionName: FN }));
    expect(v1.Version).toBe("1");
    expect(v1.FunctionArn).toMatch(/:function:fn:1$/);
    const again = await c.lambda.send(new PublishVersionCommand({ FunctionName: FN }));
    expect(again.Version).toBe("1");
    const updated = await newCode(b, "b.zip", "second");
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
  },

  async "routes an alias to two versions, and refuses to delete a version an alias uses"(b) {
    const c = b.clients;
    await c.lambda.send(new PublishVersionCommand({ FunctionName: FN }));
    await newCode(b, "b.zip", "second");
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
    expect(alias.FunctionVersion).toBe("2");
    expect(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({});
    await c.lambda.send(new DeleteFunctionCommand({ FunctionName: FN, Qualifier: "1" }));
    const listed = await c.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: FN }));
    expect(listed.Versions?.map((v) => v.Version)).toEqual(["$LATEST", "2"]);
    // Numbers are never reused.
    await newCode(b, "c.zip", "third");
    const v3 = await c.lambda.send(new PublishVersionCommand({ FunctionName: FN }));
    expect(v3.Version).toBe("3");
  },

  async "keeps an alias's resource policy apart from the function's"(b) {
    const c = b.clients;
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
  },
};

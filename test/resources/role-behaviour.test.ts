import { beforeEach, describe, expect, it, vi } from "vitest";
import type { StateEntry } from "../../src/engine/types.js";
import type * as RoleModule from "../../src/resources/role.js";
import { awsError } from "../fake-aws/index.js";
import { kindWorld, type KindWorld } from "./kind-ctx.js";

/**
 * The IAM role on its own: created with its trust and tags, its one inline policy and managed
 * policies put by the fixes, drift removed (other inline policies, other attachments), and a
 * delete that empties it first.
 */

/** Loaded afresh for each test: the kind's table is evaluated once per load. */
let m: typeof RoleModule;
beforeEach(async () => {
  vi.resetModules();
  m = await import("../../src/resources/role.js");
});

const doc = (action: string) => ({
  Version: "2012-10-17" as const,
  Statement: [{ Effect: "Allow" as const, Action: [action], Resource: "*" }],
});
const trust = {
  Version: "2012-10-17" as const,
  Statement: [
    {
      Effect: "Allow" as const,
      Principal: { Service: "lambda.amazonaws.com" },
      Action: "sts:AssumeRole",
    },
  ],
};
type Props = RoleModule.RoleProps;
const props = (over: Partial<Props> = {}): Props => ({
  name: "shop-production-api",
  description: "The API function's role",
  trust,
  inline: { name: "main", document: doc("s3:GetObject") },
  managed: [],
  tags: { project: "shop" },
  ...over,
});
const entry = (id: string) => ({ kind: "iam-role", id }) as unknown as StateEntry;
const MANAGED = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs";
const OTHER = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess";

async function made(p = props()): Promise<KindWorld> {
  const w = kindWorld();
  await m.roleHandler.create(w.ctx, p);
  w.fake.resetCalls();
  return w;
}

describe("IAM role", () => {
  it("is recorded as iam-role and shown by its name", () => {
    expect(m.roleKind.kind).toBe("iam-role");
    expect(m.roleHandler.label).toBe("IAM role");
    expect(m.roleHandler.displayId(props())).toBe("shop-production-api");
  });

  it("create: trust, description and tags; then its inline and managed policies", async () => {
    const w = kindWorld();
    const o = await m.roleHandler.create(w.ctx, props({ managed: [MANAGED] }));
    expect(w.inputs("CreateRole")).toEqual([
      {
        RoleName: "shop-production-api",
        Description: "The API function's role",
        AssumeRolePolicyDocument: JSON.stringify(trust),
        Tags: [{ Key: "project", Value: "shop" }],
      },
    ]);
    expect(w.inputs("PutRolePolicy")).toEqual([
      {
        RoleName: "shop-production-api",
        PolicyName: "main",
        PolicyDocument: JSON.stringify(doc("s3:GetObject")),
      },
    ]);
    expect(w.inputs("AttachRolePolicy")).toEqual([
      { RoleName: "shop-production-api", PolicyArn: MANAGED },
    ]);
    expect(o.outputs).toEqual({
      name: "shop-production-api",
      arn: "arn:aws:iam::123456789012:role/shop-production-api",
    });
    const read = (await m.roleHandler.observe(w.ctx, props({ managed: [MANAGED] }), undefined))!;
    expect(m.roleHandler.diff(props({ managed: [MANAGED] }), read).fields).toEqual([]);
    expect(m.roleHandler.tagsOf?.(read)).toEqual({ project: "shop" });
  });

  it("a role of that name already there is adopted and repaired; other errors fail", async () => {
    const w = await made(props({ inline: undefined, tags: {} }));
    await m.roleHandler.create(w.ctx, props());
    expect(w.operations().filter((op) => !/^(Get|List)/.test(op))).toEqual([
      "CreateRole",
      "PutRolePolicy",
      "TagRole",
    ]);
    w.fake.inject({
      operation: "CreateRole",
      times: 1,
      error: () => awsError("IAM", "MalformedPolicyDocument", "bad trust", 400),
    });
    await expect(m.roleHandler.create(w.ctx, props())).rejects.toMatchObject({
      name: "MalformedPolicyDocumentException",
    });
  });

  it("read: none when it is not there; the managed document only, other inline policies by name", async () => {
    const w = kindWorld();
    expect(await m.roleHandler.observe(w.ctx, props(), undefined)).toBeUndefined();
    await m.roleHandler.create(w.ctx, props({ managed: [OTHER, MANAGED] }));
    await w.ctx.clients.iam.send(
      new (await import("@aws-sdk/client-iam")).PutRolePolicyCommand({
        RoleName: "shop-production-api",
        PolicyName: "extra",
        PolicyDocument: JSON.stringify(doc("s3:*")),
      }),
    );
    w.fake.resetCalls();
    const o = (await m.roleHandler.observe(w.ctx, props(), undefined))!;
    expect(w.inputs("GetRolePolicy")).toEqual([
      { RoleName: "shop-production-api", PolicyName: "main" },
    ]);
    expect(o.current.trust).toBe(JSON.stringify(trust));
    expect(Object.fromEntries(o.current.inline)).toEqual({
      extra: "",
      main: JSON.stringify(doc("s3:GetObject")),
    });
    expect(o.current.managed).toEqual([OTHER, MANAGED].sort());
    expect(m.roleHandler.diff(props({ managed: [MANAGED, OTHER] }), o).fields).toEqual([
      "extraPolicies",
    ]);
    w.fake.resetCalls();
    await m.roleHandler.observe(w.ctx, props({ inline: undefined }), undefined);
    expect(w.inputs("GetRolePolicy")).toEqual([]);
  });

  it("every drift is repaired by its own calls, and only what differs is touched", async () => {
    const w = await made(props({ managed: [OTHER] }));
    await w.ctx.clients.iam.send(
      new (await import("@aws-sdk/client-iam")).PutRolePolicyCommand({
        RoleName: "shop-production-api",
        PolicyName: "extra",
        PolicyDocument: JSON.stringify(doc("s3:*")),
      }),
    );
    const want = props({
      trust: { ...trust, Statement: [{ ...trust.Statement[0]!, Action: "sts:TagSession" }] },
      inline: { name: "main", document: doc("dynamodb:GetItem") },
      managed: [MANAGED],
      tags: { project: "shop", team: "a" },
    });
    const o = (await m.roleHandler.observe(w.ctx, want, undefined))!;
    const fields = m.roleHandler.diff(want, o).fields;
    expect(fields).toEqual(["trust", "policy", "extraPolicies", "managedPolicies", "tags"]);
    w.fake.resetCalls();
    await m.roleHandler.update(w.ctx, want, o, { fields });
    expect(w.inputs("UpdateAssumeRolePolicy")).toEqual([
      { RoleName: "shop-production-api", PolicyDocument: JSON.stringify(want.trust) },
    ]);
    expect(w.inputs("PutRolePolicy")).toEqual([
      {
        RoleName: "shop-production-api",
        PolicyName: "main",
        PolicyDocument: JSON.stringify(doc("dynamodb:GetItem")),
      },
    ]);
    expect(w.inputs("DeleteRolePolicy")).toEqual([
      { RoleName: "shop-production-api", PolicyName: "extra" },
    ]);
    expect(w.inputs("DetachRolePolicy")).toEqual([
      { RoleName: "shop-production-api", PolicyArn: OTHER },
    ]);
    expect(w.inputs("AttachRolePolicy")).toEqual([
      { RoleName: "shop-production-api", PolicyArn: MANAGED },
    ]);
    expect(w.inputs("TagRole")).toEqual([
      {
        RoleName: "shop-production-api",
        Tags: [
          { Key: "project", Value: "shop" },
          { Key: "team", Value: "a" },
        ],
      },
    ]);
    const after = (await m.roleHandler.observe(w.ctx, want, undefined))!;
    expect(m.roleHandler.diff(want, after).fields).toEqual([]);
  });

  it("read: a role whose policies cannot be listed (being deleted) is not there", async () => {
    for (const operation of ["ListRolePolicies", "ListAttachedRolePolicies"]) {
      const w = await made();
      w.fake.inject({
        operation,
        times: 1,
        error: () => awsError("IAM", "NoSuchEntity", "The role cannot be found.", 404),
      });
      expect(await m.roleHandler.observe(w.ctx, props(), undefined)).toBeUndefined();
    }
  });

  it("read: attached policies in name order, whatever order IAM lists them in", async () => {
    const w = await made(props({ managed: [MANAGED, OTHER] }));
    const o = (await m.roleHandler.observe(w.ctx, props(), undefined))!;
    expect(o.current.managed).toEqual([OTHER, MANAGED]);
  });

  it("managed policies: only those not wanted are detached, only those missing attached", async () => {
    const basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
    const w = await made(props({ managed: [OTHER, MANAGED] }));
    const want = props({ managed: [MANAGED, basic] });
    const o = (await m.roleHandler.observe(w.ctx, want, undefined))!;
    await m.roleHandler.update(w.ctx, want, o, { fields: ["managedPolicies"] });
    expect(w.inputs("DetachRolePolicy")).toEqual([
      { RoleName: "shop-production-api", PolicyArn: OTHER },
    ]);
    expect(w.inputs("AttachRolePolicy")).toEqual([
      { RoleName: "shop-production-api", PolicyArn: basic },
    ]);
  });

  it("a role that should have no inline policy: every inline policy found is removed", async () => {
    const w = await made();
    const want = props({ inline: undefined });
    const o = (await m.roleHandler.observe(w.ctx, want, undefined))!;
    expect(m.roleHandler.diff(want, o).fields).toEqual(["extraPolicies"]);
    await m.roleHandler.update(w.ctx, want, o, { fields: ["extraPolicies"] });
    expect(w.inputs("DeleteRolePolicy")).toEqual([
      { RoleName: "shop-production-api", PolicyName: "main" },
    ]);
  });

  it("a role without an inline policy: the policy fix puts none", async () => {
    const w = await made(props({ inline: undefined }));
    const o = (await m.roleHandler.observe(w.ctx, props({ inline: undefined }), undefined))!;
    await m.roleHandler.update(w.ctx, props({ inline: undefined }), o, { fields: ["policy"] });
    expect(w.inputs("PutRolePolicy")).toEqual([]);
  });

  it("delete: inline policies and attachments first, each already gone being fine", async () => {
    const w = await made(props({ managed: [MANAGED] }));
    await m.roleHandler.destroy(w.ctx, entry("shop-production-api"));
    expect(w.fake.operations({ mutating: true })).toEqual([
      "IAM.DeleteRolePolicy",
      "IAM.DetachRolePolicy",
      "IAM.DeleteRole",
    ]);
    expect(w.inputs("DeleteRolePolicy")).toEqual([
      { RoleName: "shop-production-api", PolicyName: "main" },
    ]);
    expect(w.inputs("DetachRolePolicy")).toEqual([
      { RoleName: "shop-production-api", PolicyArn: MANAGED },
    ]);
    expect(await m.roleHandler.observe(w.ctx, props(), undefined)).toBeUndefined();

    // Removed by hand between the listing and the deletes: each delete finds it gone.
    const v = await made(props({ managed: [MANAGED] }));
    const role = v.fake.iam.roles.get("shop-production-api")!;
    v.fake.inject({
      operation: "ListRolePolicies",
      times: 1,
      after: () => role.inlinePolicies.clear(),
    });
    v.fake.inject({
      operation: "ListAttachedRolePolicies",
      times: 1,
      after: () => role.attached.clear(),
    });
    await m.deleteRole(v.ctx.clients.iam, "shop-production-api");
    expect(v.fake.callLog({ mutating: true }).map((c) => [c.operation, c.error])).toEqual([
      ["DeleteRolePolicy", "NoSuchEntityException"],
      ["DetachRolePolicy", "NoSuchEntityException"],
      ["DeleteRole", undefined],
    ]);
  });
});

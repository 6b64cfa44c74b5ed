import { describe, expect, it } from "vitest";
import type { StateEntry } from "../../src/engine/types.js";
import {
  usagePlanArn,
  usagePlanHandler as plan,
  usagePlanKind,
} from "../../src/resources/usage-plan.js";
import { awsError } from "../fake-aws/index.js";
import { kindWorld, type KindWorld } from "./kind-ctx.js";

/**
 * The usage plan on its own: its stage, throttle, daily quota and key, set at birth and repaired
 * by one update; only a plan with our name and stack tag is adopted; a twin a retry made goes.
 */

const TAG = { key: "serverless-automation:stack", value: "shop-production" };
const props = (over: Partial<Parameters<typeof usagePlanKind.diff>[0]> = {}) => ({
  name: "shop-production-plan",
  description: "Per-key limits",
  stackTag: TAG,
  tags: { [TAG.key]: TAG.value },
  region: "us-east-1",
  partition: "aws",
  apiId: "api1",
  stage: "prod",
  rateLimit: 10,
  burstLimit: 20,
  dailyQuota: 1000,
  keyId: "key1",
  ...over,
});
const entry = (id: string) => ({ kind: "apigateway-usage-plan", id }) as unknown as StateEntry;

/** An account with the REST API api1 (stages prod and old) and the API keys key1 and key2. */
function account(): KindWorld {
  const w = kindWorld();
  const stages = new Map([
    ["prod", {}],
    ["old", {}],
  ]);
  // Only what the usage plan calls check: that the API's stage exists in the region.
  w.fake.apigateway.apis.set("api1", { id: "api1", region: "us-east-1", stages } as never);
  for (const id of ["key1", "key2"]) {
    w.fake.apigateway.apiKeys.set(id, {
      id,
      region: "us-east-1",
      name: id,
      description: undefined,
      value: `v-${id}`,
      enabled: true,
      createdAt: 0,
      tags: new Map(),
    });
  }
  return w;
}

describe("API usage plan", () => {
  it("is recorded as apigateway-usage-plan, shown by its name; its ARN as tagging takes it", () => {
    expect(usagePlanKind.kind).toBe("apigateway-usage-plan");
    expect(plan.label).toBe("API usage plan");
    expect(plan.displayId(props())).toBe("shop-production-plan");
    expect(usagePlanArn("aws-cn", "cn-north-1", "p1")).toBe(
      "arn:aws-cn:apigateway:cn-north-1::/usageplans/p1",
    );
  });

  it("create: stage, throttle, daily quota and tags at birth, then the key attached", async () => {
    const w = account();
    const o = await plan.create(w.ctx, props());
    expect(w.inputs("CreateUsagePlan")).toEqual([
      {
        name: "shop-production-plan",
        description: "Per-key limits",
        apiStages: [{ apiId: "api1", stage: "prod" }],
        throttle: { rateLimit: 10, burstLimit: 20 },
        quota: { limit: 1000, period: "DAY" },
        tags: { [TAG.key]: TAG.value },
      },
    ]);
    expect(w.inputs("CreateUsagePlanKey")).toEqual([
      { usagePlanId: o.id, keyId: "key1", keyType: "API_KEY" },
    ]);
    expect(w.inputs("UpdateUsagePlan")).toEqual([]);
    expect(o.outputs).toEqual({ id: o.id, name: "shop-production-plan" });
    const read = (await plan.observe(w.ctx, props(), entry(o.id)))!;
    expect(read.current).toEqual({
      stages: ["api1:prod"],
      rateLimit: 10,
      burstLimit: 20,
      quotaLimit: 1000,
      quotaPeriod: "DAY",
      keyIds: ["key1"],
      tags: { [TAG.key]: TAG.value },
    });
    expect(plan.diff(props(), read).fields).toEqual([]);
    expect(plan.tagsOf?.(read)).toEqual({ [TAG.key]: TAG.value });
  });

  it("a twin made by a retried create is deleted (its stages detached first); ours is kept", async () => {
    const w = account();
    const first = await plan.create(w.ctx, props());
    w.fake.resetCalls();
    const again = await plan.create(w.ctx, props());
    expect(again.id).not.toBe(first.id);
    expect([...w.fake.apigateway.usagePlans.keys()]).toEqual([again.id]);
    expect(w.inputs("UpdateUsagePlan")).toEqual([
      {
        usagePlanId: first.id,
        patchOperations: [{ op: "remove", path: "/apiStages", value: "api1:prod" }],
      },
    ]);
    expect(w.inputs("DeleteUsagePlan")).toEqual([{ usagePlanId: first.id }]);
  });

  it("read without a record: only a plan of our name and stack tag", async () => {
    const w = account();
    await plan.create(w.ctx, props({ tags: { [TAG.key]: "other" } }));
    await plan.create(w.ctx, props({ name: "other-plan" }));
    expect(await plan.observe(w.ctx, props(), undefined)).toBeUndefined();
    const ours = await plan.create(w.ctx, props());
    expect((await plan.observe(w.ctx, props(), undefined))?.id).toBe(ours.id);
    expect(w.inputs("GetUsagePlans").at(-1)).toMatchObject({ limit: 500 });
    expect(w.inputs("GetUsagePlanKeys").at(-1)).toMatchObject({ usagePlanId: ours.id, limit: 500 });
  });

  it("read with a record: by id; gone: looked up by name", async () => {
    const w = account();
    const o = await plan.create(w.ctx, props());
    w.fake.resetCalls();
    expect((await plan.observe(w.ctx, props(), entry(o.id)))?.id).toBe(o.id);
    expect(w.inputs("GetUsagePlan")).toEqual([{ usagePlanId: o.id }]);
    expect(w.inputs("GetUsagePlans")).toEqual([]);
    expect((await plan.observe(w.ctx, props(), entry("gone")))?.id).toBe(o.id);
  });

  it("every drift is named and repaired: one update for settings, the keys swapped, tags set", async () => {
    const w = account();
    const made = await plan.create(w.ctx, props());
    const want = props({
      stage: "old",
      rateLimit: 5,
      burstLimit: 6,
      dailyQuota: 50,
      keyId: "key2",
      tags: { [TAG.key]: TAG.value, team: "a" },
    });
    const o = (await plan.observe(w.ctx, want, entry(made.id)))!;
    expect(plan.diff(want, o).fields).toEqual(["stages", "throttle", "quota", "keys", "tags"]);
    w.fake.resetCalls();
    await plan.update(w.ctx, want, o, { fields: ["stages", "throttle", "quota", "keys", "tags"] });
    expect(w.inputs("UpdateUsagePlan")).toEqual([
      {
        usagePlanId: made.id,
        patchOperations: [
          { op: "remove", path: "/apiStages", value: "api1:prod" },
          { op: "add", path: "/apiStages", value: "api1:old" },
          { op: "replace", path: "/throttle/rateLimit", value: "5" },
          { op: "replace", path: "/throttle/burstLimit", value: "6" },
          { op: "replace", path: "/quota/limit", value: "50" },
          { op: "replace", path: "/quota/period", value: "DAY" },
        ],
      },
    ]);
    expect(w.inputs("DeleteUsagePlanKey")).toEqual([{ usagePlanId: made.id, keyId: "key1" }]);
    expect(w.inputs("CreateUsagePlanKey")).toEqual([
      { usagePlanId: made.id, keyId: "key2", keyType: "API_KEY" },
    ]);
    expect(w.inputs("TagResource")).toEqual([
      {
        resourceArn: `arn:aws:apigateway:us-east-1::/usageplans/${made.id}`,
        tags: { [TAG.key]: TAG.value, team: "a" },
      },
    ]);
    const after = (await plan.observe(w.ctx, want, entry(made.id)))!;
    expect(plan.diff(want, after).fields).toEqual([]);
  });

  it("each setting alone: only its own patches", async () => {
    const w = account();
    const made = await plan.create(w.ctx, props());
    const o = (await plan.observe(w.ctx, props(), entry(made.id)))!;
    const only = async (over: Parameters<typeof props>[0], field: "throttle" | "quota") => {
      const want = props(over);
      expect(plan.diff(want, o).fields).toEqual([field]);
      w.fake.resetCalls();
      await plan.update(w.ctx, want, o, { fields: [field] });
      return w.inputs("UpdateUsagePlan")[0]?.patchOperations;
    };
    expect(await only({ burstLimit: 7 }, "throttle")).toEqual([
      { op: "replace", path: "/throttle/rateLimit", value: "10" },
      { op: "replace", path: "/throttle/burstLimit", value: "7" },
    ]);
    expect(await only({ rateLimit: 3 }, "throttle")).toHaveLength(2);
    expect(await only({ dailyQuota: 9 }, "quota")).toEqual([
      { op: "replace", path: "/quota/limit", value: "9" },
      { op: "replace", path: "/quota/period", value: "DAY" },
    ]);
    const weekly = { ...o, current: { ...o.current, quotaPeriod: "WEEK" } };
    expect(plan.diff(props(), weekly).fields).toEqual(["quota"]);
    w.fake.resetCalls();
    await plan.update(w.ctx, props(), o, { fields: ["keys"] });
    expect(w.operations()).toEqual([]);
  });

  it("the key already attached by a lost response is fine; other errors are not", async () => {
    const w = account();
    const made = await plan.create(w.ctx, props());
    const o = (await plan.observe(w.ctx, props(), entry(made.id)))!;
    const bare = { ...o, current: { ...o.current, keyIds: [] } };
    w.fake.inject({
      operation: "CreateUsagePlanKey",
      times: 1,
      error: () =>
        awsError("APIGateway", "ConflictException", "Usage Plan Key already exists", 409),
    });
    await expect(plan.update(w.ctx, props(), bare, { fields: ["keys"] })).resolves.toBeDefined();
    w.fake.inject({
      operation: "CreateUsagePlanKey",
      times: 1,
      error: () => awsError("APIGateway", "BadRequestException", "Invalid API Key identifier"),
    });
    await expect(plan.update(w.ctx, props(), bare, { fields: ["keys"] })).rejects.toMatchObject({
      name: "BadRequestException",
    });
  });

  it("exists, and destroy detaches its stages before deleting it", async () => {
    const w = account();
    const made = await plan.create(w.ctx, props());
    expect(await plan.exists!(w.ctx, entry(made.id))).toBe(true);
    w.fake.resetCalls();
    await plan.destroy(w.ctx, entry(made.id));
    expect(w.operations().filter((op) => !op.startsWith("Get"))).toEqual([
      "UpdateUsagePlan",
      "DeleteUsagePlan",
    ]);
    expect(await plan.exists!(w.ctx, entry(made.id))).toBe(false);
  });
});

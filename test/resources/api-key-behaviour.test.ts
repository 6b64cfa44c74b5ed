import { beforeEach, describe, expect, it, vi } from "vitest";
import type { StateEntry } from "../../src/engine/types.js";
import type * as ApiKeyModule from "../../src/resources/api-key.js";
import { kindWorld, type KindWorld } from "./kind-ctx.js";

/**
 * The API key on its own: names are not unique, so only a key with our name and stack tag is
 * ours; a retried create that made two keeps the oldest; its value is never read unasked.
 */

/** Loaded afresh for each test: the kind's table is evaluated once per load. */
let m: typeof ApiKeyModule;
beforeEach(async () => {
  vi.resetModules();
  m = await import("../../src/resources/api-key.js");
});

const TAG = { key: "serverless-automation:stack", value: "shop-production" };
const props = (over: Partial<ApiKeyModule.ApiKeyProps> = {}) => ({
  name: "shop-production-key",
  description: "The stack's API key",
  stackTag: TAG,
  tags: { [TAG.key]: TAG.value, project: "shop" },
  region: "us-east-1",
  partition: "aws",
  ...over,
});
const entry = (id: string) => ({ kind: "apigateway-api-key", id }) as unknown as StateEntry;

/** A key as someone else (or an earlier run) made it, created at `createdAt`. */
function put(w: KindWorld, id: string, name: string, tags: Record<string, string>, createdAt = 0) {
  w.fake.apigateway.apiKeys.set(id, {
    id,
    region: "us-east-1",
    name,
    description: undefined,
    value: `value-${id}`,
    enabled: false,
    createdAt,
    tags: new Map(Object.entries(tags)),
  });
}

describe("API key", () => {
  it("is recorded as apigateway-api-key, shown by its name; its ARN as tagging takes it", () => {
    expect(m.apiKeyKind.kind).toBe("apigateway-api-key");
    expect(m.apiKeyHandler.label).toBe("API key");
    expect(m.apiKeyHandler.displayId(props())).toBe("shop-production-key");
    expect(m.apiKeyArn("aws-cn", "cn-north-1", "k1")).toBe(
      "arn:aws-cn:apigateway:cn-north-1::/apikeys/k1",
    );
  });

  it("create: enabled, described and tagged at birth; outputs never hold its value", async () => {
    const w = kindWorld();
    const o = await m.apiKeyHandler.create(w.ctx, props());
    expect(w.inputs("CreateApiKey")).toEqual([
      {
        name: "shop-production-key",
        description: "The stack's API key",
        enabled: true,
        tags: { [TAG.key]: TAG.value, project: "shop" },
      },
    ]);
    expect(w.inputs("GetApiKeys")[0]).toMatchObject({
      nameQuery: "shop-production-key",
      includeValues: false,
      limit: 500,
    });
    expect(o.outputs).toEqual({ id: o.id, name: "shop-production-key" });
    expect(o.current).toEqual({ enabled: true, tags: { [TAG.key]: TAG.value, project: "shop" } });
    expect(JSON.stringify(o)).not.toContain("value-");
    expect(w.operations().filter((op) => /^(Update|Tag|Delete)/.test(op))).toEqual([]);
  });

  it("a retried create that made a second key keeps the oldest and deletes the others", async () => {
    const w = kindWorld();
    put(w, "old", "shop-production-key", { [TAG.key]: TAG.value }, 1);
    put(w, "mid", "shop-production-key", { [TAG.key]: TAG.value }, 2);
    const o = await m.apiKeyHandler.create(w.ctx, props());
    expect(o.id).toBe("old");
    expect(o.current.tags).toEqual({ [TAG.key]: TAG.value, project: "shop" });
    const deleted = w.inputs("DeleteApiKey").map((i) => i.apiKey);
    expect(deleted).toHaveLength(2);
    expect(deleted).toContain("mid");
    expect([...w.fake.apigateway.apiKeys.keys()]).toEqual(["old"]);
  });

  it("read without a record: only a key of our name and stack tag, the oldest", async () => {
    const w = kindWorld();
    put(w, "theirs", "shop-production-key", { [TAG.key]: "other-stack" }, 1);
    put(w, "prefix", "shop-production-key-2", { [TAG.key]: TAG.value }, 2);
    put(w, "untagged", "shop-production-key", {}, 3);
    expect(await m.apiKeyHandler.observe(w.ctx, props(), undefined)).toBeUndefined();
    put(w, "newer", "shop-production-key", { [TAG.key]: TAG.value }, 20);
    put(w, "ours", "shop-production-key", { [TAG.key]: TAG.value }, 10);
    const o = await m.apiKeyHandler.observe(w.ctx, props(), undefined);
    expect(o).toEqual({
      id: "ours",
      outputs: { id: "ours", name: "shop-production-key" },
      current: { enabled: false, tags: { [TAG.key]: TAG.value } },
    });
    expect(m.apiKeyHandler.tagsOf?.(o!)).toEqual({ [TAG.key]: TAG.value });
  });

  it("read with a record: that key by id, without its value; gone: looked up by name", async () => {
    const w = kindWorld();
    put(w, "k1", "renamed", {}, 1);
    const o = await m.apiKeyHandler.observe(w.ctx, props(), entry("k1"));
    expect(o?.id).toBe("k1");
    expect(w.inputs("GetApiKey")).toEqual([{ apiKey: "k1", includeValue: false }]);
    expect(w.inputs("GetApiKeys")).toEqual([]);
    expect(await m.apiKeyHandler.observe(w.ctx, props(), entry("missing"))).toBeUndefined();
    expect(w.inputs("GetApiKeys")).toHaveLength(1);
  });

  it("diff: disabled, and missing tags; fixes enable it and tag it by its ARN", async () => {
    const w = kindWorld();
    put(w, "k1", "shop-production-key", { [TAG.key]: TAG.value }, 1);
    const o = (await m.apiKeyHandler.observe(w.ctx, props(), entry("k1")))!;
    expect(m.apiKeyHandler.diff(props(), o).fields).toEqual(["enabled", "tags"]);
    await m.apiKeyHandler.update(w.ctx, props(), o, { fields: ["enabled", "tags"] });
    expect(w.inputs("UpdateApiKey")).toEqual([
      { apiKey: "k1", patchOperations: [{ op: "replace", path: "/enabled", value: "true" }] },
    ]);
    expect(w.inputs("TagResource")).toEqual([
      {
        resourceArn: "arn:aws:apigateway:us-east-1::/apikeys/k1",
        tags: { [TAG.key]: TAG.value, project: "shop" },
      },
    ]);
    const after = (await m.apiKeyHandler.observe(w.ctx, props(), entry("k1")))!;
    expect(m.apiKeyHandler.diff(props(), after).fields).toEqual([]);
  });

  it("keys listed without tags or a creation date are not ours, and do not stop the read", async () => {
    const w = kindWorld();
    put(w, "ours", "shop-production-key", { [TAG.key]: TAG.value }, 5);
    const original = w.fake.apigateway.operations.GetApiKeys!;
    w.fake.apigateway.operations.GetApiKeys = async (i, c) => {
      const out = (await original(i, c)) as { items: Record<string, unknown>[] };
      const bare = { id: "bare", name: "shop-production-key", enabled: true };
      const undated = { ...out.items[0], createdDate: undefined };
      return { items: [bare, undated, ...out.items] };
    };
    const o = await m.apiKeyHandler.observe(w.ctx, props(), undefined);
    expect(o?.id).toBe("ours");
  });

  it("exists, delete, and the value read only when asked for", async () => {
    const w = kindWorld();
    put(w, "k1", "shop-production-key", {}, 1);
    expect(await m.apiKeyHandler.exists!(w.ctx, entry("k1"))).toBe(true);
    expect(await m.readApiKeyValue(w.ctx, "k1")).toBe("value-k1");
    expect(w.inputs("GetApiKey").at(-1)).toEqual({ apiKey: "k1", includeValue: true });
    await m.apiKeyHandler.destroy(w.ctx, entry("k1"));
    expect(w.inputs("DeleteApiKey")).toEqual([{ apiKey: "k1" }]);
    expect(await m.apiKeyHandler.exists!(w.ctx, entry("k1"))).toBe(false);
  });
});

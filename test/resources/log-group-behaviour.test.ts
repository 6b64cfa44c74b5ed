import { beforeEach, describe, expect, it, vi } from "vitest";
import type * as LogGroupModule from "../../src/resources/log-group.js";
import type { StateEntry } from "../../src/engine/types.js";
import { awsError } from "../fake-aws/index.js";
import { kindWorld } from "./kind-ctx.js";

/**
 * The log group kind on its own against the fake account: what it reads, which drift it names,
 * and the calls that create, repair and delete a group.
 */

/** Loaded afresh for each test: the kind's table is evaluated once per load. */
let lg: typeof LogGroupModule;
beforeEach(async () => {
  vi.resetModules();
  lg = await import("../../src/resources/log-group.js");
});

const NAME = "/aws/lambda/shop-production-api";
const props = (over: Partial<Parameters<typeof lg.logGroupKind.diff>[0]> = {}) => ({
  name: NAME,
  arn: lg.logGroupArn("aws", "us-east-1", "123456789012", NAME),
  retentionDays: 30,
  tags: { project: "shop" },
  ...over,
});
const entry = (id: string): StateEntry => ({ kind: "log-group", id }) as unknown as StateEntry;

describe("log group", () => {
  it("is recorded as a log-group, shown as a log group named by its name", () => {
    expect(lg.logGroupKind.kind).toBe("log-group");
    expect(lg.logGroupHandler.label).toBe("log group");
    expect(lg.logGroupHandler.displayId(props())).toBe(NAME);
    expect(lg.logGroupArn("aws-cn", "cn-north-1", "111122223333", "/x")).toBe(
      "arn:aws-cn:logs:cn-north-1:111122223333:log-group:/x",
    );
  });

  it("create: made with the stack's tags, then given its retention", async () => {
    const w = kindWorld();
    const o = await lg.logGroupHandler.create(w.ctx, props());
    expect(w.inputs("CreateLogGroup")).toEqual([{ logGroupName: NAME, tags: { project: "shop" } }]);
    expect(w.inputs("PutRetentionPolicy")).toEqual([{ logGroupName: NAME, retentionInDays: 30 }]);
    expect(w.fake.logs.groups.get(NAME)?.retentionInDays).toBe(30);
    expect(o.id).toBe(NAME);
    expect(o.outputs).toEqual({ name: NAME, arn: props().arn });
    expect(w.inputs("TagResource")).toEqual([]);
  });

  it("create finding it made already (auto-created by Lambda): adopted and repaired", async () => {
    const w = kindWorld();
    await lg.logGroupHandler.create(w.ctx, props({ retentionDays: 7, tags: {} }));
    w.fake.resetCalls();
    const o = await lg.logGroupHandler.create(w.ctx, props({ retentionDays: 14 }));
    expect(w.operations().filter((op) => !/^(Describe|List)/.test(op))).toEqual([
      "CreateLogGroup",
      "PutRetentionPolicy",
      "TagResource",
    ]);
    expect(o.current).toEqual({ retentionDays: 7, tags: {} });
    expect(w.fake.logs.groups.get(NAME)?.retentionInDays).toBe(14);
    expect(Object.fromEntries(w.fake.logs.groups.get(NAME)!.tags)).toEqual({ project: "shop" });
  });

  it("another create error is not taken for an existing group", async () => {
    const w = kindWorld();
    w.fake.inject({
      operation: "CreateLogGroup",
      times: 1,
      error: () =>
        awsError("CloudWatchLogs", "InvalidParameterException", "Invalid log group name."),
    });
    await expect(lg.logGroupHandler.create(w.ctx, props())).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
  });

  it("read: asks for its own name only, and a longer name with it as prefix is not it", async () => {
    const w = kindWorld();
    await lg.logGroupHandler.create(
      w.ctx,
      props({ name: `${NAME}-old`, arn: `${props().arn}-old` }),
    );
    w.fake.resetCalls();
    expect(await lg.logGroupHandler.observe(w.ctx, props(), undefined)).toBeUndefined();
    expect(w.inputs("DescribeLogGroups")).toEqual([{ logGroupNamePrefix: NAME, limit: 5 }]);
  });

  it("read: its retention and tags, and the outputs", async () => {
    const w = kindWorld();
    await lg.logGroupHandler.create(w.ctx, props());
    await lg.logGroupHandler.create(w.ctx, props({ name: `${NAME}-b`, arn: `${props().arn}-b` }));
    const o = await lg.logGroupHandler.observe(w.ctx, props(), undefined);
    expect(o).toEqual({
      id: NAME,
      outputs: { name: NAME, arn: props().arn },
      current: { retentionDays: 30, tags: { project: "shop" } },
    });
    expect(lg.logGroupHandler.tagsOf?.(o!)).toEqual({ project: "shop" });
    expect(w.inputs("ListTagsForResource").at(-1)).toEqual({ resourceArn: props().arn });
  });

  it("read: a group whose tags vanish between the two reads has no tags, not an error", async () => {
    const w = kindWorld();
    await lg.logGroupHandler.create(w.ctx, props());
    w.fake.inject({
      operation: "ListTagsForResource",
      times: 1,
      error: () =>
        awsError(
          "CloudWatchLogs",
          "ResourceNotFoundException",
          "The specified log group does not exist.",
        ),
    });
    const o = await lg.logGroupHandler.observe(w.ctx, props(), undefined);
    expect(o?.current).toEqual({ retentionDays: 30, tags: {} });
  });

  it("read: an answer without a list is not found", async () => {
    const w = kindWorld();
    w.fake.logs.operations.DescribeLogGroups = () => ({});
    expect(await lg.logGroupHandler.observe(w.ctx, props(), undefined)).toBeUndefined();
    expect(await lg.logGroupHandler.exists!(w.ctx, entry(NAME))).toBe(false);
  });

  it("diff: retention and missing or changed tags; extra tags are kept", () => {
    const o = (retentionDays: number | undefined, tags: Record<string, string>) => ({
      id: NAME,
      outputs: { name: NAME, arn: props().arn },
      current: { retentionDays, tags },
    });
    expect(lg.logGroupHandler.diff(props(), o(30, { project: "shop", x: "y" })).fields).toEqual([]);
    expect(lg.logGroupHandler.diff(props(), o(undefined, { project: "shop" })).fields).toEqual([
      "retention",
    ]);
    expect(lg.logGroupHandler.diff(props(), o(30, { project: "other" })).fields).toEqual(["tags"]);
    expect(lg.logGroupHandler.diff(props(), o(7, {})).fields).toEqual(["retention", "tags"]);
  });

  it("update: each drift is repaired by its own call", async () => {
    const w = kindWorld();
    await lg.logGroupHandler.create(w.ctx, props());
    const o = (await lg.logGroupHandler.observe(w.ctx, props(), undefined))!;
    w.fake.resetCalls();
    await lg.logGroupHandler.update(w.ctx, props({ retentionDays: 90 }), o, {
      fields: ["retention"],
    });
    expect(w.operations()).toEqual(["PutRetentionPolicy"]);
    expect(w.inputs("PutRetentionPolicy")).toEqual([{ logGroupName: NAME, retentionInDays: 90 }]);
    w.fake.resetCalls();
    await lg.logGroupHandler.update(w.ctx, props({ tags: { team: "a" } }), o, { fields: ["tags"] });
    expect(w.operations()).toEqual(["TagResource"]);
    expect(w.inputs("TagResource")).toEqual([{ resourceArn: props().arn, tags: { team: "a" } }]);
  });

  it("exists: only a group of exactly that name", async () => {
    const w = kindWorld();
    await lg.logGroupHandler.create(w.ctx, props({ name: `${NAME}-2`, arn: `${props().arn}-2` }));
    w.fake.resetCalls();
    expect(await lg.logGroupHandler.exists!(w.ctx, entry(NAME))).toBe(false);
    expect(w.inputs("DescribeLogGroups")).toEqual([{ logGroupNamePrefix: NAME, limit: 5 }]);
    await lg.logGroupHandler.create(w.ctx, props());
    expect(await lg.logGroupHandler.exists!(w.ctx, entry(NAME))).toBe(true);
  });

  it("destroy deletes it by name; one already gone is done", async () => {
    const w = kindWorld();
    await lg.logGroupHandler.create(w.ctx, props());
    await lg.logGroupHandler.destroy(w.ctx, entry(NAME));
    expect(w.inputs("DeleteLogGroup")).toEqual([{ logGroupName: NAME }]);
    expect(w.fake.logs.groups.has(NAME)).toBe(false);
    await expect(lg.logGroupHandler.destroy(w.ctx, entry(NAME))).resolves.toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { UserError } from "../src/errors.js";
import { lifecycle, type Kind } from "../src/engine/kind.js";
import { foreignOwner, notOurs } from "../src/engine/owner.js";
import type { Ctx } from "../src/engine/types.js";

/**
 * Who owns a resource found by name: the engine's rule, whatever the kind. One that does not
 * carry every owner tag of the stack is never adopted; what the error says names each one.
 */

const OWNER = { project: "shop", "serverless-automation:stack": "shop-prod" };
const CTX = { owner: OWNER } as unknown as Ctx;

describe("foreignOwner", () => {
  it("ours when every owner tag matches, whatever else it carries", () => {
    expect(foreignOwner(CTX, { ...OWNER, team: "x" })).toBeUndefined();
  });
  it("unknown tags (a kind that could not read them) are not a verdict", () => {
    expect(foreignOwner(CTX, undefined)).toBeUndefined();
  });
  it("names the owner tags it carries, as they are", () => {
    expect(
      foreignOwner(CTX, { project: "shop-eu", "serverless-automation:stack": "shop-prod" }),
    ).toBe("tagged project=shop-eu, serverless-automation:stack=shop-prod");
    expect(foreignOwner(CTX, { project: "shop", other: "x" })).toBe("tagged project=shop");
  });
  it("says so when it carries none of them", () => {
    expect(foreignOwner(CTX, { other: "x" })).toBe("without this stack's tags");
  });
});

describe("notOurs", () => {
  const f = (n: number, why = "tagged project=other") =>
    Array.from({ length: n }, (_, k) => ({ label: "thing", id: `t${k}`, why }));

  it("one resource: what it is, what its tags say, and how to tag it if it is ours", () => {
    const err = notOurs(CTX, f(1));
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(
      "A resource with this stack's names is not this stack's (project=shop, serverless-automation:stack=shop-prod); nothing was changed:\n  tagged project=other: the thing t0",
    );
    expect(err.hint).toContain("Another project or stage made it");
    expect(err.hint).toContain(
      "If it really is this stack's, tag it project=shop, serverless-automation:stack=shop-prod and run again.",
    );
  });

  it("several of one owner: one line naming the first four and counting the rest", () => {
    const err = notOurs(CTX, f(6));
    expect(err.message).toBe(
      "6 resources with this stack's names are not this stack's (project=shop, serverless-automation:stack=shop-prod); nothing was changed:\n  tagged project=other: the thing t0, the thing t1, the thing t2, the thing t3, and 2 more",
    );
    expect(err.hint).toContain("made them");
    expect(err.hint).toContain("If they really are this stack's, tag them");
    expect(notOurs(CTX, f(4)).message).not.toContain("more");
  });

  it("one line per owner", () => {
    const err = notOurs(CTX, [...f(1), ...f(1, "without this stack's tags")]);
    expect(err.message.split("\n").slice(1)).toEqual([
      "  tagged project=other: the thing t0",
      "  without this stack's tags: the thing t0",
    ]);
  });
});

describe("a create that finds one already there", () => {
  interface Cur {
    tags: Record<string, string>;
    size: number;
  }
  type P = { name: string; size: number };
  function kind(
    cloud: Map<string, Cur>,
    calls: string[],
    withTags = true,
  ): Kind<P, { arn: string }, Cur, "size"> {
    return {
      kind: "toy",
      label: "toy",
      clients: [],
      displayId: (p) => p.name,
      read: (_c, p) => {
        const c = cloud.get(p.name);
        return Promise.resolve(c && { id: p.name, outputs: { arn: p.name }, current: { ...c } });
      },
      diff: (p, o) => (p.size === o.current.size ? [] : ["size"]),
      values: (p, o) => ({ size: { observed: o.current.size, desired: p.size } }),
      fix: {
        size: (_c, p) => {
          calls.push(`resize ${p.name}`);
          (cloud.get(p.name) as Cur).size = p.size;
          return Promise.resolve();
        },
      },
      create: (_c, p) => {
        calls.push(`create ${p.name}`);
        if (cloud.has(p.name))
          return Promise.reject(Object.assign(new Error("x"), { name: "Exists" }));
        cloud.set(p.name, { tags: {}, size: p.size });
        return Promise.resolve();
      },
      alreadyExists: (e) => (e as Error).name === "Exists",
      delete: () => Promise.resolve(),
      ...(withTags ? { tagsOf: (c: Cur) => c.tags } : {}),
    };
  }

  it("another's: refused, nothing fixed", async () => {
    const cloud = new Map([["a", { tags: { project: "other" }, size: 1 }]]);
    const calls: string[] = [];
    await expect(lifecycle(kind(cloud, calls)).create(CTX, { name: "a", size: 2 })).rejects.toThrow(
      /not this stack.s .*\n {2}tagged project=other: the toy a/,
    );
    expect(calls).toEqual(["create a"]);
    expect(cloud.get("a")?.size).toBe(1);
  });

  it("this stack's (a crash before it was recorded): adopted and fixed", async () => {
    const cloud = new Map([["a", { tags: { ...OWNER }, size: 1 }]]);
    const calls: string[] = [];
    const made = await lifecycle(kind(cloud, calls)).create(CTX, { name: "a", size: 2 });
    expect(made.id).toBe("a");
    expect(cloud.get("a")?.size).toBe(2);
    expect(calls).toEqual(["create a", "resize a"]);
  });

  it("one it made itself is never questioned, tags or none", async () => {
    const cloud = new Map<string, Cur>();
    const calls: string[] = [];
    const made = await lifecycle(kind(cloud, calls)).create(CTX, { name: "a", size: 2 });
    expect(made.current.tags).toEqual({});
    expect(calls).toEqual(["create a"]);
  });

  it("a kind without tags adopts as before; one with tags shows them to the engine", async () => {
    const cloud = new Map([["a", { tags: { project: "other" }, size: 1 }]]);
    const untagged = lifecycle(kind(cloud, [], false));
    expect(untagged.tagsOf).toBeUndefined();
    expect((await untagged.create(CTX, { name: "a", size: 1 })).id).toBe("a");
    const tagged = lifecycle(kind(cloud, []));
    const o = await tagged.observe(CTX, { name: "a", size: 1 }, undefined);
    expect(o && tagged.tagsOf?.(o)).toEqual({ project: "other" });
  });
});

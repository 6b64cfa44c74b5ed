import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as E from "./expected.js";
import { awsError } from "./fake-aws/index.js";
import type { World } from "./helpers.js";
import { nonEmpty, quickWorld, SETTLE_MS, tinyHandler } from "./reliability/support.js";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * `waf` in the config file puts a WAF web ACL in front of the API's stage: made, recorded,
 * shown, kept as designed, removed when the option goes and by `down`.
 */

const IO = { handlerEntry: tinyHandler() };
const n = E.names("production");
const ACL = `${n.stack}-waf`;

interface Row {
  key: string;
  label: string;
  id: string;
  state: string;
  action: string;
  fields: string[];
}

function config(w: World, content: unknown): void {
  writeFileSync(path.join(w.cwd, "serverless-automation.config.json"), JSON.stringify(content));
}

async function apiId(w: World): Promise<string> {
  const state = (await w.readState()) as { resources: { restApi: { id: string } } };
  return state.resources.restApi.id;
}

async function upWithWaf(w: World, settings: Record<string, unknown> = {}): Promise<void> {
  config(w, { waf: true, ...settings });
  const r = await w.run(["up"], IO);
  expect(r.code, r.stderr).toBe(0);
}

describe("waf: a web ACL in front of the API stage", () => {
  it("up makes the web ACL, then associates it with the stage; every property as designed", async () => {
    const w = quickWorld();
    await upWithWaf(w);
    await E.expectDesignedStack(w.fake, "production", { waf: {} });
    const ops = w.fake.operations({ mutating: true, ok: true });
    expect(ops.filter((o) => o.startsWith("WAFV2."))).toEqual([
      "WAFV2.CreateWebACL",
      "WAFV2.AssociateWebACL",
    ]);
    // The stage exists before it is associated.
    expect(ops.indexOf("APIGateway.CreateStage")).toBeLessThan(
      ops.indexOf("WAFV2.AssociateWebACL"),
    );
    const acl = w.fake.wafv2.byName(ACL);
    const state = (await w.readState()) as { resources: Record<string, unknown> };
    expect(state.resources.webAcl).toEqual({
      kind: "wafv2-web-acl",
      id: acl?.arn,
      outputs: { name: ACL, id: acl?.id, arn: acl?.arn },
    });
    expect(state.resources.webAclAssociation).toEqual({
      kind: "wafv2-web-acl-association",
      id: E.stageArn(await apiId(w)),
      outputs: { resourceArn: E.stageArn(await apiId(w)), webAclArn: acl?.arn },
    });
  });

  it("a new web ACL that WAF does not know everywhere yet: the association waits for it", async () => {
    const w = quickWorld();
    // What AssociateWebACL answers while the new web ACL propagates (its API reference,
    // "Temporary inconsistencies during updates").
    w.fake.inject({
      service: "WAFV2",
      operation: "AssociateWebACL",
      times: 3,
      error: () =>
        awsError("WAFV2", "WAFUnavailableEntityException", "AWS WAF couldn’t retrieve the resource that you requested. Retry your request."),
    }); // prettier-ignore
    await upWithWaf(w);
    const associations = w.fake
      .callLog({ service: "WAFV2", mutating: true })
      .filter((c) => c.operation === "AssociateWebACL")
      .map((c) => c.error ?? "ok");
    expect(associations).toEqual([
      "WAFUnavailableEntityException",
      "WAFUnavailableEntityException",
      "WAFUnavailableEntityException",
      "ok",
    ]);
    await E.expectDesignedStack(w.fake, "production", { waf: {} });
  });

  it("a second up, status and up --dry-run make zero mutating calls; status shows both in sync", async () => {
    const w = quickWorld();
    await upWithWaf(w);
    await sleep(SETTLE_MS);
    w.fake.resetCalls();
    const again = await w.run(["up"], IO);
    expect(again.code, again.stderr).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    const s = await w.run(["status", "--json"], IO);
    expect(s.code, s.stderr).toBe(0);
    const rows = s.json.resources as Row[];
    expect(rows.filter((r) => r.key.startsWith("webAcl"))).toEqual([
      expect.objectContaining({ key: "webAcl", label: "WAF web ACL", id: w.fake.wafv2.byName(ACL)?.arn, state: "in sync" }),
      expect.objectContaining({ key: "webAclAssociation", label: "WAF web ACL association", id: E.stageArn(await apiId(w)), state: "in sync" }),
    ]); // prettier-ignore
    const human = await w.run(["status"], IO);
    expect(human.stdout).toMatch(/WAF web ACL\s+in sync/);
    const dry = await w.run(["up", "--dry-run"], IO);
    expect(dry.code, dry.stderr).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("without waf nothing of WAF is made, and the no-op up reads none of it", async () => {
    const w = quickWorld();
    expect((await w.run(["up"], IO)).code).toBe(0);
    expect(w.fake.wafv2.webAcls.size).toBe(0);
    await E.expectDesignedStack(w.fake, "production");
    w.fake.resetCalls();
    expect((await w.run(["up"], IO)).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(w.fake.operations({ service: "WAFV2" })).toEqual([]);
  });

  it("per stage: stages.<stage>.waf turns it on for that stage only; wafRateLimit sets the limit", async () => {
    const w = quickWorld();
    config(w, { stages: { production: { waf: true, wafRateLimit: 500 } } });
    expect((await w.run(["up"], IO)).code).toBe(0);
    await E.expectDesignedStack(w.fake, "production", { waf: { rateLimit: 500 } });
    const dev = await w.run(["up", "--stage", "dev"], IO);
    expect(dev.code, dev.stderr).toBe(0);
    expect([...w.fake.wafv2.webAcls.values()].map((a) => a.name)).toEqual([ACL]);
  });

  it("a new wafRateLimit: exactly one UpdateWebACL, and the next up makes none", async () => {
    const w = quickWorld();
    await upWithWaf(w);
    w.fake.resetCalls();
    config(w, { waf: true, wafRateLimit: 100 });
    const s = await w.run(["status", "--json"], IO);
    expect(s.code).toBe(2);
    expect((s.json.resources as Row[]).find((r) => r.key === "webAcl")).toMatchObject({
      state: "drifted",
      fields: ["rules"],
    });
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual(["WAFV2.UpdateWebACL"]);
    await E.expectDesignedStack(w.fake, "production", { waf: { rateLimit: 100 } });
    w.fake.resetCalls();
    expect((await w.run(["up"], IO)).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it.each([
    [{ waf: "yes" }, /waf must be true or false/],
    [{ waf: true, wafRateLimit: 9 }, /wafRateLimit must be a whole number .* from 10 to 2000000000, got 9/],
    [{ waf: true, wafRateLimit: 2_000_000_001 }, /wafRateLimit must be a whole number/],
    [{ waf: true, wafRateLimit: 99.5 }, /wafRateLimit must be a whole number/],
    [{ stages: { production: { wafRateLimit: "many" } } }, /stages\.production\.wafRateLimit must be/],
  ])("%j in the config file: a clear error before any AWS call", async (content, message) => {
    const w = quickWorld();
    config(w, content);
    const r = await w.run(["up"], IO);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(w.fake.operations()).toEqual([]);
  }); // prettier-ignore

  it("turning waf off: status and --dry-run list both deletes; up disassociates, then deletes the web ACL", async () => {
    const w = quickWorld();
    await upWithWaf(w);
    const arn = w.fake.wafv2.byName(ACL)?.arn;
    config(w, {});
    w.fake.resetCalls();
    const s = await w.run(["status", "--json"], IO);
    expect(s.code).toBe(2);
    expect((s.json.resources as Row[]).filter((r) => r.state !== "in sync")).toEqual([
      expect.objectContaining({ key: "webAclAssociation", state: "to delete", action: "delete" }),
      expect.objectContaining({ key: "webAcl", id: arn, state: "to delete", action: "delete" }),
    ]);
    const dry = await w.run(["up", "--dry-run", "--json"], IO);
    expect((dry.json.resources as Row[]).filter((r) => r.action === "delete").map((r) => r.key)).toEqual(
      ["webAclAssociation", "webAcl"],
    ); // prettier-ignore
    expect(w.fake.operations({ mutating: true })).toEqual([]);

    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    const ok = w.fake.operations({ mutating: true, ok: true });
    expect(ok).toEqual(["WAFV2.DisassociateWebACL", "WAFV2.DeleteWebACL"]);
    expect(w.fake.wafv2.webAcls.size).toBe(0);
    const state = (await w.readState()) as { resources: Record<string, unknown> };
    expect(Object.keys(state.resources).filter((k) => k.startsWith("webAcl"))).toEqual([]);
    await E.expectDesignedStack(w.fake, "production");
    w.fake.resetCalls();
    expect((await w.run(["up"], IO)).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("down disassociates, then deletes the web ACL (waiting out WAF's propagation), and leaves nothing", async () => {
    const w = quickWorld();
    await upWithWaf(w);
    // A removed association still counts for DeleteWebACL for a while.
    // Longer than a loaded machine takes between the two calls, so the refusal is met.
    w.fake.wafv2.timings.propagationMs = 1500;
    w.fake.resetCalls();
    const r = await w.run(["down", "--yes"], IO);
    expect(r.code, r.stderr).toBe(0);
    const waf = w.fake.callLog({ service: "WAFV2", mutating: true });
    expect(waf.map((c) => `${c.operation}${c.error ? ` ${c.error}` : ""}`)).toEqual([
      "DisassociateWebACL",
      ...waf.slice(1, -1).map(() => "DeleteWebACL WAFAssociatedItemException"),
      "DeleteWebACL",
    ]);
    expect(waf.length).toBeGreaterThan(2);
    expect(nonEmpty(w.fake)).toEqual({});
    const again = await w.run(["down", "--yes"], IO);
    expect(again.code, again.stderr).toBe(0);
  });

  it("down with the state file lost still finds the web ACL by name, without the option", async () => {
    const w = quickWorld();
    await upWithWaf(w);
    config(w, {});
    const { rmSync } = await import("node:fs");
    rmSync(w.statePath());
    const r = await w.run(["down", "--yes"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain(ACL);
    expect(nonEmpty(w.fake)).toEqual({});
  });
});

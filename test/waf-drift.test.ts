/**
 * Drift of the web ACL and its association, made behind the tool's back one at a time, in the
 * style of drift.test.ts: `status` names exactly what differs and exits 2, `up` makes exactly
 * the calls that repair it (written here by hand from the WAFv2 API: one UpdateWebACL replaces
 * every mutable setting; tags have their own call; AssociateWebACL sets a resource's one web
 * ACL), and the run after that makes none. At the end the stack is still the designed one.
 */
import {
  AssociateWebACLCommand,
  CreateWebACLCommand,
  DeleteWebACLCommand,
  DisassociateWebACLCommand,
  GetWebACLCommand,
  UntagResourceCommand,
  UpdateWebACLCommand,
  type Rule,
  type UpdateWebACLCommandInput,
} from "@aws-sdk/client-wafv2";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import type { Clients } from "../src/aws/clients.js";
import * as E from "./expected.js";
import type { World } from "./helpers.js";
import { quickWorld, SETTLE_MS, tinyHandler } from "./reliability/support.js";

const IO = { handlerEntry: tinyHandler() };
const ACL = `${E.names("production").stack}-waf`;
const OTHER = "someone-elses-web-acl";

interface Env {
  c: Clients;
  w: World;
  stageArn: string;
}

interface Drift {
  what: string;
  /** What `status` must report, by key; every other row stays in sync. */
  status: Record<string, { state: string; fields?: string[] }>;
  make: (e: Env) => Promise<unknown>;
  /** The mutating calls `up` must make to repair it, no more (order aside). */
  repair: string[];
  /** Calls `up` makes that fail on the way (e.g. a lost optimistic lock), also exactly. */
  failed?: string[];
  /** Set up just before `up` runs (e.g. a concurrent change). */
  during?: (e: Env) => void;
}

/** The stack's web ACL as it is now, with the token an update must present. */
async function current(e: Env) {
  const acl = e.w.fake.wafv2.byName(ACL);
  const got = await e.c.wafv2.send(
    new GetWebACLCommand({ Name: ACL, Scope: "REGIONAL", Id: acl?.id }),
  );
  return { acl: got.WebACL, lockToken: got.LockToken, id: acl?.id };
}

/** UpdateWebACL by hand: the web ACL as it is, with `change` applied. */
const edit = (change: (u: UpdateWebACLCommandInput) => void) => async (e: Env) => {
  const { acl, lockToken, id } = await current(e);
  const input: UpdateWebACLCommandInput = {
    Name: ACL,
    Scope: "REGIONAL",
    Id: id,
    LockToken: lockToken,
    Description: acl?.Description,
    DefaultAction: acl?.DefaultAction,
    Rules: acl?.Rules,
    VisibilityConfig: acl?.VisibilityConfig,
  };
  change(input);
  return e.c.wafv2.send(new UpdateWebACLCommand(input));
};
const rules = (u: UpdateWebACLCommandInput) => u.Rules as Rule[];

const DRIFTS: Drift[] = [
  { what: "the rate limit raised by hand", status: { webAcl: { state: "drifted", fields: ["rules"] } },
    repair: ["WAFV2.UpdateWebACL"],
    make: edit((u) => { const s = rules(u)[0]?.Statement?.RateBasedStatement; if (s) s.Limit = 100_000; }) },
  { what: "the rate-based rule set to count only", status: { webAcl: { state: "drifted", fields: ["rules"] } },
    repair: ["WAFV2.UpdateWebACL"],
    make: edit((u) => { const r = rules(u)[0]; if (r) r.Action = { Count: {} }; }) },
  { what: "the common rule set removed", status: { webAcl: { state: "drifted", fields: ["rules"] } },
    repair: ["WAFV2.UpdateWebACL"],
    make: edit((u) => { u.Rules = rules(u).filter((r) => r.Name !== "AWSManagedRulesCommonRuleSet"); }) },
  { what: "the common rule set's rules overridden to count", status: { webAcl: { state: "drifted", fields: ["rules"] } },
    repair: ["WAFV2.UpdateWebACL"],
    make: edit((u) => { const r = rules(u)[1]; if (r) r.OverrideAction = { Count: {} }; }) },
  { what: "a rule added by hand", status: { webAcl: { state: "drifted", fields: ["rules"] } },
    repair: ["WAFV2.UpdateWebACL"],
    make: edit((u) => { u.Rules = [...rules(u), { Name: "added-by-hand", Priority: 5,
      Statement: { RateBasedStatement: { Limit: 10, AggregateKeyType: "IP" } }, Action: { Count: {} },
      VisibilityConfig: { SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: "x" } }]; }) },
  { what: "the default action set to Block", status: { webAcl: { state: "drifted", fields: ["defaultAction"] } },
    repair: ["WAFV2.UpdateWebACL"],
    make: edit((u) => { u.DefaultAction = { Block: {} }; }) },
  { what: "metrics and sampled requests turned off", status: { webAcl: { state: "drifted", fields: ["visibilityConfig"] } },
    repair: ["WAFV2.UpdateWebACL"],
    make: edit((u) => { u.VisibilityConfig = { SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: ACL }; }) },
  { what: "the description changed", status: { webAcl: { state: "drifted", fields: ["description"] } },
    repair: ["WAFV2.UpdateWebACL"],
    make: edit((u) => { u.Description = "changed by hand"; }) },
  { what: "a tag removed", status: { webAcl: { state: "drifted", fields: ["tags"] } },
    repair: ["WAFV2.TagResource"],
    make: (e) => e.c.wafv2.send(new UntagResourceCommand({ ResourceARN: e.w.fake.wafv2.byName(ACL)?.arn, TagKeys: ["environment"] })) },
  { what: "rules and tags both", status: { webAcl: { state: "drifted", fields: ["rules", "tags"] } },
    repair: ["WAFV2.UpdateWebACL", "WAFV2.TagResource"],
    make: async (e) => {
      await edit((u) => { u.Rules = rules(u).slice(0, 1); })(e);
      await e.c.wafv2.send(new UntagResourceCommand({ ResourceARN: e.w.fake.wafv2.byName(ACL)?.arn, TagKeys: ["project"] }));
    } },

  // Someone changes the web ACL between `up` reading it and updating it: WAF refuses the stale
  // lock token; `up` reads it again and updates over the new version.
  { what: "rules changed, and changed again while up repairs them", status: { webAcl: { state: "drifted", fields: ["rules"] } },
    repair: ["WAFV2.UpdateWebACL"], failed: ["WAFV2.UpdateWebACL WAFOptimisticLockException"],
    make: edit((u) => { const s = rules(u)[0]?.Statement?.RateBasedStatement; if (s) s.Limit = 50; }),
    during: (e) => {
      e.w.fake.inject({ service: "WAFV2", operation: "GetWebACL", times: 1, after: () => {
        const acl = e.w.fake.wafv2.byName(ACL);
        if (acl) acl.lockToken = randomUUID();
      } });
    } },

  // The association.
  { what: "the association removed", status: { webAclAssociation: { state: "missing" } },
    repair: ["WAFV2.AssociateWebACL"],
    make: (e) => e.c.wafv2.send(new DisassociateWebACLCommand({ ResourceArn: e.stageArn })) },
  { what: "the stage associated with another web ACL", status: { webAclAssociation: { state: "drifted", fields: ["webAcl"] } },
    repair: ["WAFV2.AssociateWebACL"],
    make: async (e) => {
      const made = await e.c.wafv2.send(new CreateWebACLCommand({ Name: OTHER, Scope: "REGIONAL", DefaultAction: { Allow: {} },
        VisibilityConfig: { SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: OTHER } }));
      await sleep(50); // WAF's propagation in the fake
      await e.c.wafv2.send(new AssociateWebACLCommand({ WebACLArn: made.Summary?.ARN, ResourceArn: e.stageArn }));
    } },

  // The web ACL deleted by hand (disassociated first, as WAF requires): made again and associated.
  { what: "the web ACL deleted", status: { webAcl: { state: "missing" }, webAclAssociation: { state: "missing" } },
    repair: ["WAFV2.CreateWebACL", "WAFV2.AssociateWebACL"],
    make: async (e) => {
      await e.c.wafv2.send(new DisassociateWebACLCommand({ ResourceArn: e.stageArn }));
      await sleep(50);
      const { lockToken, id } = await current(e);
      await e.c.wafv2.send(new DeleteWebACLCommand({ Name: ACL, Scope: "REGIONAL", Id: id, LockToken: lockToken }));
    } },
]; // prettier-ignore

interface Row {
  key: string;
  state: string;
  fields?: string[];
}

describe("drift of the web ACL and its association: status names it, up repairs exactly it", () => {
  const w = quickWorld();
  const env = {} as Env;

  beforeAll(async () => {
    writeFileSync(
      path.join(w.cwd, "serverless-automation.config.json"),
      JSON.stringify({ waf: true }),
    );
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    const state = (await w.readState()) as { resources: { restApi: { id: string } } };
    Object.assign(env, {
      c: w.fake.clients(),
      w,
      stageArn: E.stageArn(state.resources.restApi.id),
    });
  });

  it.each(DRIFTS.map((d) => [d.what, d] as const))("%s", async (_what, d) => {
    await d.make(env);
    await sleep(SETTLE_MS);

    w.fake.resetCalls();
    const s = await w.run(["status", "--json"], IO);
    expect(s.code, s.stderr).toBe(2);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    const rows = s.json.resources as Row[];
    const off = Object.fromEntries(
      rows
        .filter((r) => r.state !== "in sync")
        .map((r) => [
          r.key,
          r.fields?.length ? { state: r.state, fields: r.fields } : { state: r.state },
        ]),
    );
    expect(off).toEqual(d.status);

    w.fake.resetCalls();
    d.during?.(env);
    const up = await w.run(["up"], IO);
    w.fake.clearFaults();
    expect(up.code, up.stderr).toBe(0);
    expect(w.fake.operations({ mutating: true, ok: true }).sort()).toEqual([...d.repair].sort());
    expect(
      w.fake
        .callLog({ mutating: true, ok: false })
        .map((c) => `${c.service}.${c.operation} ${c.error}`)
        // A web ACL made moments ago may not be associable yet (WAF's propagation, as in AWS):
        // how often the tool meets it and retries depends on the machine's speed.
        .filter((x) => x !== "WAFV2.AssociateWebACL WAFUnavailableEntityException"),
    ).toEqual(d.failed ?? []);

    await sleep(SETTLE_MS);
    w.fake.resetCalls();
    const again = await w.run(["up"], IO);
    expect(again.code, again.stderr).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("leaves the stack as designed", async () => {
    // The web ACL made by hand above is not the stack's: it stays, unassociated.
    const other = w.fake.wafv2.byName(OTHER);
    expect(other && w.fake.wafv2.protecting(other)).toEqual([]);
    await env.c.wafv2.send(
      new DeleteWebACLCommand({
        Name: OTHER,
        Scope: "REGIONAL",
        Id: other?.id,
        LockToken: other?.lockToken,
      }),
    );
    const s = await w.run(["status"], IO);
    expect(s.code, s.stdout).toBe(0);
    await E.expectDesignedStack(w.fake, "production", { waf: {} });
  });
});

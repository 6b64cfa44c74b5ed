import { writeFileSync } from "node:fs";
import path from "node:path";
import {
  DisassociateWebACLCommand,
  GetWebACLCommand,
  ListWebACLsCommand,
  UpdateWebACLCommand,
} from "@aws-sdk/client-wafv2";
import { describe, expect, it } from "vitest";
import { expectStack, inventory, isEmpty, restApiId } from "./aws.js";
import { CREDENTIALS, runBin } from "./cli.js";
import * as E from "./expected.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * The web ACL against moto, over the wire, through the built CLI: made and associated with the
 * stage, read back through the SDK, drift repaired with exactly the repairing calls, removed
 * when the option goes, and nothing left after `down`.
 */

Object.assign(process.env, CREDENTIALS);

const em = useEmulator();

const ACL = `${E.names("production").stack}-waf`;

async function cli(argv: string[]) {
  em.proxy.arm(undefined);
  return runBin(argv, em.cwd, em.env);
}

function config(content: unknown): void {
  writeFileSync(path.join(em.cwd, "serverless-automation.config.json"), JSON.stringify(content));
}

async function theAcl() {
  const list = await em.aws.wafv2.send(new ListWebACLsCommand({ Scope: "REGIONAL" }));
  const s = list.WebACLs?.find((a) => a.Name === ACL);
  const got = await em.aws.wafv2.send(
    new GetWebACLCommand({ Name: ACL, Id: s?.Id, Scope: "REGIONAL" }),
  );
  return { id: s?.Id, acl: got.WebACL, lockToken: got.LockToken };
}

describe.skipIf(MOTO_SKIP_REASON !== undefined)("the web ACL against moto", () => {
  it("up with waf makes the web ACL and associates it with the stage, as designed", async () => {
    config({ waf: true, wafRateLimit: 1000 });
    const r = await cli(["up"]);
    expect(r.code, r.stderr).toBe(0);
    expect(em.mutating().filter((c) => c.startsWith("wafv2 "))).toEqual([
      "wafv2 CreateWebACL",
      "wafv2 AssociateWebACL",
    ]);
    await expectStack(em.aws, "production", { waf: { rateLimit: 1000 } });
  });

  it("a second up makes zero mutating calls, and status exits 0", async () => {
    const again = await cli(["up"]);
    expect(again.code, again.stderr).toBe(0);
    expect(em.mutating()).toEqual([]);
    const status = await cli(["status"]);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toMatch(/WAF web ACL\s+in sync/);
    expect(status.stdout).toMatch(/WAF web ACL association\s+in sync/);
  });

  it("rules changed and the association removed by hand: up repairs exactly those", async () => {
    const { id, acl, lockToken } = await theAcl();
    const rules = (acl?.Rules ?? []).filter((x) => x.Name !== "AWSManagedRulesCommonRuleSet");
    await em.aws.wafv2.send(
      new UpdateWebACLCommand({
        Name: ACL,
        Scope: "REGIONAL",
        Id: id,
        LockToken: lockToken,
        DefaultAction: acl?.DefaultAction,
        Rules: rules,
        VisibilityConfig: acl?.VisibilityConfig,
        Description: acl?.Description,
      }),
    );
    const apiId = (await restApiId(em.aws, "production")) as string;
    await em.aws.wafv2.send(new DisassociateWebACLCommand({ ResourceArn: E.stageArn(apiId) }));

    const status = await cli(["status", "--json"]);
    expect(status.code, status.stderr).toBe(2);
    const rows = (
      JSON.parse(status.stdout) as { resources: { key: string; state: string; fields: string[] }[] }
    ).resources.filter((x) => x.state !== "in sync");
    expect(rows).toEqual([
      expect.objectContaining({ key: "webAcl", state: "drifted", fields: ["rules"] }),
      expect.objectContaining({ key: "webAclAssociation", state: "missing" }),
    ]);
    expect(em.mutating()).toEqual([]);

    const up = await cli(["up"]);
    expect(up.code, up.stderr).toBe(0);
    expect(em.mutating().sort()).toEqual(["wafv2 AssociateWebACL", "wafv2 UpdateWebACL"]);
    await expectStack(em.aws, "production", { waf: { rateLimit: 1000 } });
    const after = await cli(["up"]);
    expect(after.code, after.stderr).toBe(0);
    expect(em.mutating()).toEqual([]);
  });

  it("turning waf off disassociates, then deletes the web ACL", async () => {
    config({});
    const r = await cli(["up"]);
    expect(r.code, r.stderr).toBe(0);
    expect(em.mutating()).toEqual(["wafv2 DisassociateWebACL", "wafv2 DeleteWebACL"]);
    await expectStack(em.aws, "production");
    const again = await cli(["up"]);
    expect(again.code, again.stderr).toBe(0);
    expect(em.mutating()).toEqual([]);
  });

  it("down of a stack with waf leaves the account empty", async () => {
    config({ waf: true });
    const up = await cli(["up"]);
    expect(up.code, up.stderr).toBe(0);
    await expectStack(em.aws, "production", { waf: {} });
    const down = await cli(["down", "--yes"]);
    expect(down.code, down.stderr).toBe(0);
    const calls = em.mutating();
    expect(calls.indexOf("wafv2 DisassociateWebACL")).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf("wafv2 DisassociateWebACL")).toBeLessThan(
      calls.indexOf("wafv2 DeleteWebACL"),
    );
    const inv = await inventory(em.aws);
    expect(inv.webAcls).toEqual([]);
    expect(isEmpty(inv), JSON.stringify(inv)).toBe(true);
  });
});

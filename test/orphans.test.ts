import { describe, expect, it } from "vitest";
import { awsError } from "./fake-aws/index.js";
import { world, type World } from "./helpers.js";

interface Entry {
  kind: string;
  id: string;
}
interface Row {
  key: string;
  id: string;
  state?: string;
  action?: string;
}

const executionLogGroup = (apiId: string) => `API-Gateway-Execution-Logs_${apiId}/prod`;

async function recorded(w: World): Promise<Record<string, Entry>> {
  const state = (await w.readState()) as { resources: Record<string, Entry> } | undefined;
  return state?.resources ?? {};
}

/** up, then the REST API deleted behind the tool's back (its stage goes with it). */
async function apiDeletedByHand(w: World): Promise<string> {
  expect((await w.run(["up"])).code).toBe(0);
  const oldId = (await recorded(w)).restApi?.id ?? "";
  expect(w.fake.logs.groups.has(executionLogGroup(oldId))).toBe(true);
  expect(w.fake.apigateway.apis.delete(oldId)).toBe(true);
  w.fake.resetCalls();
  return oldId;
}

describe("a REST API deleted by hand orphans nothing", () => {
  it("status reports the old execution-log group as to delete (not missing), read-only, exit 2", async () => {
    const w = world();
    const oldGroup = executionLogGroup(await apiDeletedByHand(w));
    const r = await w.run(["status", "--json"]);
    expect(r.code).toBe(2);
    const rows = r.json.resources as Row[];
    expect(rows.filter((x) => x.id === oldGroup)).toEqual([
      expect.objectContaining({ state: "to delete", action: "delete" }),
    ]);
    expect(rows.find((x) => x.key === "restApi")?.state).toBe("missing");
    // The group that will replace it, named after the API still to be made.
    expect(rows.find((x) => x.key === "executionLogGroup")?.state).toBe("not created");
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    const human = await w.run(["status"]);
    expect(human.stdout).toMatch(new RegExp(`log group\\s+to delete\\s+${oldGroup}`));
    const dry = await w.run(["up", "--dry-run", "--json"]);
    expect((dry.json.resources as Row[]).filter((x) => x.action === "delete")).toEqual([
      expect.objectContaining({ id: oldGroup }),
    ]);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(w.fake.logs.groups.has(oldGroup)).toBe(true);
  });

  it("up makes a new API and its group, deletes the old group, then forgets it; down leaves nothing", async () => {
    const w = world();
    const oldId = await apiDeletedByHand(w);
    const oldGroup = executionLogGroup(oldId);
    const r = await w.run(["up", "--json"]);
    expect(r.code).toBe(0);
    const newId = (await recorded(w)).restApi?.id ?? "";
    expect(newId).not.toBe(oldId);
    expect(w.fake.logs.groups.has(oldGroup)).toBe(false);
    expect(w.fake.logs.groups.has(executionLogGroup(newId))).toBe(true);
    expect(w.fake.operations({ mutating: true, ok: true })).toContain(
      "CloudWatchLogs.DeleteLogGroup",
    );
    expect(r.json.resources as Row[]).toContainEqual(
      expect.objectContaining({ id: oldGroup, action: "delete" }),
    );
    // Gone, so forgotten; nothing of the old API is left in the state file.
    expect(JSON.stringify(await recorded(w))).not.toContain(oldId);
    const status = await w.run(["status"]);
    expect(status.code).toBe(0);
    expect((await w.run(["down", "--yes"])).code).toBe(0);
    expect([...w.fake.logs.groups.keys()]).toEqual([]);
  });

  it("while the old group cannot be deleted it stays recorded, and down deletes it", async () => {
    const w = world();
    const oldGroup = executionLogGroup(await apiDeletedByHand(w));
    w.fake.inject({
      service: "CloudWatchLogs",
      operation: "DeleteLogGroup",
      times: Infinity,
      when: (input) => input.logGroupName === oldGroup,
      error: () =>
        awsError(
          "CloudWatchLogs",
          "AccessDeniedException",
          "User is not authorized to perform: logs:DeleteLogGroup",
        ),
    });
    const r = await w.run(["up"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(oldGroup);
    expect(w.fake.logs.groups.has(oldGroup)).toBe(true);
    expect(Object.values(await recorded(w))).toContainEqual(
      expect.objectContaining({ kind: "log-group", id: oldGroup }),
    );
    const status = await w.run(["status", "--json"]);
    expect(status.code).toBe(2);
    expect(status.json.resources as Row[]).toContainEqual(
      expect.objectContaining({ id: oldGroup, state: "to delete" }),
    );
    w.fake.clearFaults();
    expect((await w.run(["down", "--yes"])).code).toBe(0);
    expect([...w.fake.logs.groups.keys()]).toEqual([]);
    expect(await w.readState()).toBeUndefined();
  });
});

describe("any resource made again orphans nothing", () => {
  it("a KMS key whose alias was deleted by hand: up makes a new one and schedules the old one for deletion, keeping the new alias", async () => {
    const w = world();
    const alias = "alias/serverless-automation-production-alarms";
    expect((await w.run(["up", "--alarm-email", "oncall@example.com"])).code).toBe(0);
    const oldKey = w.fake.kms.byAlias(alias)?.keyId ?? "";
    w.fake.kms.aliases.delete(alias);
    const status = await w.run(["status", "--json"]);
    expect(status.code).toBe(2);
    expect(status.json.resources as Row[]).toContainEqual(
      expect.objectContaining({ id: oldKey, state: "to delete" }),
    );
    const r = await w.run(["up"]);
    expect(r.code).toBe(0);
    const newKey = w.fake.kms.byAlias(alias)?.keyId ?? "";
    expect(newKey).not.toBe(oldKey);
    expect(w.fake.kms.keys.get(newKey)?.state).toBe("Enabled");
    expect(w.fake.kms.keys.get(oldKey)?.state).toBe("PendingDeletion");
    expect(JSON.stringify(await recorded(w))).not.toContain(oldKey);
    expect((await w.run(["status"])).code).toBe(0);
  });
});

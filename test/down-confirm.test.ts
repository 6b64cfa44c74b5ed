import { existsSync } from "node:fs";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { world } from "./helpers.js";

const ACCOUNT = "123456789012";
const SHARED_ROLE = "serverless-automation-apigateway-cloudwatch-us-east-1";
const TABLE = "serverless-automation-production-items";

/** A terminal whose user answers `text` if asked. */
function terminal(text: string) {
  const stdin = new PassThrough();
  stdin.end(text);
  return Object.assign(stdin, { isTTY: true });
}

describe("down of a stage that was never deployed", () => {
  const ways: [string, string[], boolean][] = [
    ["no terminal, no --yes", ["down"], false],
    ["no terminal, --yes", ["down", "--yes"], false],
    ["a terminal, no --yes", ["down"], true],
    ["a terminal, --yes", ["down", "--yes"], true],
  ];
  for (const [title, argv, tty] of ways) {
    it(`is "Nothing to delete", exit 0, and keeps the region's shared logging role (${title})`, async () => {
      const w = world();
      // Another stage made the region's API Gateway logging role and uses it.
      expect((await w.run(["up", "--stage", "dev"])).code).toBe(0);
      const role = w.fake.apigateway.accountRoles.get("us-east-1");
      expect(role).toBe(`arn:aws:iam::${ACCOUNT}:role/${SHARED_ROLE}`);
      w.fake.resetCalls();
      const r = await w.run(argv, tty ? { stdin: terminal("y\n") } : {});
      expect(r.stderr).not.toContain("refusing");
      expect(r.stderr).not.toContain("Delete them?");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Nothing to delete/);
      expect(r.stdout).not.toMatch(/kept/);
      expect(w.fake.operations({ mutating: true })).toEqual([]);
      expect(w.fake.apigateway.accountRoles.get("us-east-1")).toBe(role);
      expect(w.fake.iam.roles.has(SHARED_ROLE)).toBe(true);
    });
  }

  it("leaves the tool's logging role alone even when no REST API is left to need it", async () => {
    const w = world();
    await w.run(["up", "--stage", "dev"]);
    // dev's API deleted by hand: nothing in the region needs the role any more, but it was
    // dev's doing, not production's.
    w.fake.apigateway.apis.clear();
    w.fake.resetCalls();
    const r = await w.run(["down", "--yes"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Nothing to delete/);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(w.fake.iam.roles.has(SHARED_ROLE)).toBe(true);
  });

  it("with --json says nothing was deleted or kept", async () => {
    const w = world();
    w.fake.apigateway.accountRoles.set("us-east-1", `arn:aws:iam::${ACCOUNT}:role/someone-elses`);
    const r = await w.run(["down", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ok: true, cancelled: false, deleted: [], kept: [] });
  });
});

describe("down's confirmation lists only what it will really delete", () => {
  it("not the shared logging role another stage still needs", async () => {
    const w = world();
    await w.run(["up", "--stage", "dev"]);
    await w.run(["up"]);
    w.fake.resetCalls();
    const refused = await w.run(["down"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /down would delete \d+ resource\(s\), including all data in the table; refusing/,
    );
    expect(refused.stderr).toContain(TABLE);
    expect(refused.stderr).not.toContain("logging role");
    const asked = await w.run(["down"], { stdin: terminal("n\n") });
    expect(asked.code).toBe(1);
    expect(asked.stderr).toContain("Delete them? [y/N]");
    expect(asked.stderr).not.toContain("logging role");
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    // Deleted with the rest, the role stays for dev and down says why.
    const r = await w.run(["down", "--yes"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/kept API Gateway logging role .*other REST API/);
    expect(w.fake.iam.roles.has(SHARED_ROLE)).toBe(true);
  });

  it("no 'all data in the table' when there is no table to delete", async () => {
    const w = world();
    await w.run(["up"]);
    w.fake.dynamodb.tables.delete(TABLE);
    const refused = await w.run(["down"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/down would delete \d+ resource\(s\); refusing/);
    expect(refused.stderr).not.toContain("table");
    const asked = await w.run(["down"], { stdin: terminal("n\n") });
    expect(asked.stderr).toMatch(/This deletes \d+ resource\(s\):/);
    expect(asked.stderr).not.toContain("table");
  });
});

describe("down's question left without an answer", () => {
  it("input that ends (Ctrl-D) is no: cancelled, nothing deleted, the lock released", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    w.fake.resetCalls();
    const r = await Promise.race([
      w.run(["down"], { stdin: terminal("") }),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("still waiting at the question")), 10_000),
      ),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Cancelled: nothing was deleted.");
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(existsSync(`${w.statePath()}.lock`)).toBe(false);
  });
});

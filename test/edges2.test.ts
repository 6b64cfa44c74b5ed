import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { world } from "./helpers.js";

/** Rough edges a new user hit (issue 27). */

const writeConfig = (cwd: string, config: object) =>
  fs.writeFile(path.join(cwd, "serverless-automation.config.json"), JSON.stringify(config));

describe("init into a path with spaces", () => {
  it("prints a cd line the shell can run", async () => {
    const w = world();
    const r = await w.run(["init", path.join(w.cwd, "Other Api")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("  cd 'Other Api'\n");
  });

  it("leaves a plain path as it is", async () => {
    const w = world();
    const r = await w.run(["init", "my-api"]);
    expect(r.stdout).toContain("  cd my-api\n");
  });
});

describe("routes without handler", () => {
  it("is refused before any AWS call, saying what to do", async () => {
    const w = world();
    await writeConfig(w.cwd, { routes: ["GET /hello"] });
    for (const argv of [["up"], ["status"], ["up", "--dry-run"]]) {
      const r = await w.run(argv);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/routes .*only with .*"handler"/);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
    expect(w.fake.calls).toEqual([]);
  });
});

describe("a table found by name with another key schema, no state file", () => {
  it("up --dry-run, status and up all refuse it, with the same message, changing nothing", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    await fs.rm(w.statePath());
    await writeConfig(w.cwd, { table: { partitionKey: "pk" } });
    const calls = w.fake.calls.length;
    const dry = await w.run(["up", "--dry-run"]);
    const status = await w.run(["status"]);
    const up = await w.run(["up"]);
    for (const r of [dry, status, up]) {
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /exists with another key schema \(id:S:HASH; the config asks for pk:S:HASH\)/,
      );
      expect(r.stdout).not.toMatch(/keySchema/);
    }
    expect(dry.stderr).toBe(status.stderr);
    expect(
      w.fake.calls
        .slice(calls)
        .filter((c) => c.mutating)
        .map((c) => c.operation),
    ).toEqual([]);
  });
});

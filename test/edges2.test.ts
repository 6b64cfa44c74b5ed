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

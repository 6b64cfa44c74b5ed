import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stripAnsi } from "../src/report/format.js";
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

describe("the plan after a route change", () => {
  const ROUTES = ["GET /items", "POST /items", "GET /items/{id}", "PUT /items/{id}"];
  const setUp = async () => {
    const w = world();
    await fs.mkdir(path.join(w.cwd, "src"), { recursive: true });
    await fs.writeFile(
      path.join(w.cwd, "src", "api.ts"),
      `export const handler = async () => ({ statusCode: 200, body: "ok" });\n`,
    );
    await writeConfig(w.cwd, { name: "edges", handler: "src/api.ts", routes: ROUTES });
    expect((await w.run(["up"])).code).toBe(0);
    await writeConfig(w.cwd, {
      name: "edges",
      handler: "src/api.ts",
      routes: [...ROUTES, "DELETE /items/{id}", "PATCH /items/{id}", "GET /health"],
    });
    return w;
  };
  /** The widest line without its last cell (an id is never broken, so that it can be copied). */
  const widest = (s: string) =>
    Math.max(
      ...stripAnsi(s)
        .split("\n")
        .filter((l) => /\S {2,}\S/.test(l))
        .map((l) => l.replace(/\s*\S+$/, "").length),
    );

  it("fits the terminal's width, or 100 columns without one; --json unchanged", async () => {
    const w = await setUp();
    for (const argv of [["status"], ["up", "--dry-run"]]) {
      const piped = await w.run(argv);
      expect(piped.code, piped.stderr).not.toBe(1);
      expect(widest(piped.stdout), piped.stdout).toBeLessThanOrEqual(100 - 4);
      // Every permission still named.
      for (const sid of [
        "apigateway-delete-items-id-",
        "apigateway-get-health-",
        "apigateway-patch-items-id-",
      ])
        expect(piped.stdout).toContain(sid);
      for (const columns of [80, 0]) {
        let out = "";
        const tty = await w.run(argv, {
          stdout: { write: (s: string) => void (out += s), isTTY: true, columns },
        });
        expect(tty.code).toBe(piped.code);
        expect(widest(out), out).toBeLessThanOrEqual((columns || 100) - 2);
      }
    }
    const json = await w.run(["status", "--json"]);
    const rows = json.json.resources as { label: string; fields: string[] }[];
    expect(rows.find((x) => x.label === "API Gateway invoke permissions")?.fields).toHaveLength(3);
  });
});

describe("a state file or directory other users can read", () => {
  it("is made private on the next up, which says so", async () => {
    const w = world();
    expect((await w.run(["up"])).code).toBe(0);
    const dir = path.dirname(w.statePath());
    await fs.chmod(w.statePath(), 0o644);
    await fs.chmod(dir, 0o755);
    const r = await w.run(["up"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(
      /state file .* was readable by other users \(mode 0644\); it is now 0600/,
    );
    expect(r.stdout + r.stderr).toMatch(
      /state directory .* was open to other users \(mode 0755\); it is now 0700/,
    );
    expect((await fs.stat(w.statePath())).mode & 0o777).toBe(0o600);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    // Nothing more to say once private.
    const again = await w.run(["up"]);
    expect(again.stdout + again.stderr).not.toMatch(/other users/);
  });
});

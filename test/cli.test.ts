import { describe, expect, it } from "vitest";
import { world } from "./helpers.js";

describe("CLI", () => {
  it("prints help for the program and each command, exit 0", async () => {
    const w = world();
    const top = await w.run(["--help"]);
    expect(top.code).toBe(0);
    for (const cmd of ["up", "status", "down", "dev"]) expect(top.stdout).toContain(cmd);
    const up = await w.run(["up", "--help"]);
    expect(up.code).toBe(0);
    for (const flag of [
      "--stage",
      "--region",
      "--profile",
      "--state",
      "--json",
      "--verbose",
      "--dry-run",
    ]) {
      expect(up.stdout).toContain(flag);
    }
    expect((await w.run(["down", "--help"])).stdout).toContain("--yes");
    expect(w.fake.calls).toEqual([]);
  });

  it("rejects unknown commands and options with a usage hint, exit 1", async () => {
    const w = world();
    const cmd = await w.run(["deploy"]);
    expect(cmd.code).toBe(1);
    expect(cmd.stderr).toContain("unknown command 'deploy'");
    expect(cmd.stderr).toContain("--help");
    const opt = await w.run(["up", "--force"]);
    expect(opt.code).toBe(1);
    expect(opt.stderr).toContain("unknown option '--force'");
    expect(w.fake.calls).toEqual([]);
  });

  it("dev serves the API locally until stopped", async () => {
    const w = world();
    const stop = new AbortController();
    let out = "";
    const running = w.run(["dev", "--port", "0", "--quiet"], {
      signal: stop.signal,
      stdout: { write: (s: string) => void (out += s) },
    });
    for (let i = 0; i < 100 && !/http:\/\/\S+/.test(out); i++)
      await new Promise((r) => setTimeout(r, 50));
    const url = /http:\/\/[^\s)]+/.exec(out)?.[0];
    expect(url).toBeDefined();
    const created = await fetch(`${url}/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "a1", data: { n: 1 } }),
    });
    expect(created.status).toBe(201);
    const got = await fetch(`${url}/a1`);
    expect(await got.json()).toMatchObject({ id: "a1", data: { n: 1 } });
    stop.abort();
    expect((await running).code).toBe(0);
    expect(w.fake.calls).toEqual([]);
  });
});

import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ensureStateDir } from "../src/state/store.js";
import { quickWorld, tinyHandler } from "./reliability/support.js";

/**
 * The directory the tool makes for its state files is private and kept out of git from the
 * start; a directory it did not make is never touched.
 */

const IO = { handlerEntry: tinyHandler() };
const mode = (p: string) => statSync(p).mode & 0o777;
const hasGit = spawnSync("git", ["--version"]).status === 0;

describe("the state directory", () => {
  it("made by up: mode 0700, with a .gitignore of `*` that keeps it out of git", async () => {
    const w = quickWorld();
    const dir = path.join(w.cwd, ".serverless-automation");
    expect(existsSync(dir)).toBe(false);
    const r = await w.run(["up"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(mode(dir)).toBe(0o700);
    expect(readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe("*\n");
    expect(existsSync(w.statePath())).toBe(true);
    if (hasGit) {
      spawnSync("git", ["init", "-q"], { cwd: w.cwd });
      const st = spawnSync("git", ["status", "--porcelain", "--untracked-files=all"], {
        cwd: w.cwd,
        encoding: "utf8",
      });
      expect(st.stdout).toBe("");
    }
  });

  it("made by down too (its lock lives there)", async () => {
    const w = quickWorld();
    const r = await w.run(["down", "--yes"], IO);
    expect(r.code, r.stderr).toBe(0);
    const dir = path.join(w.cwd, ".serverless-automation");
    expect(mode(dir)).toBe(0o700);
    expect(readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe("*\n");
  });

  it("one that exists already is left alone: its mode, and no .gitignore added or replaced", async () => {
    for (const gitignore of [undefined, "production.json\n"]) {
      const w = quickWorld();
      const dir = path.join(w.cwd, ".serverless-automation");
      mkdirSync(dir);
      chmodSync(dir, 0o755);
      if (gitignore !== undefined) writeFileSync(path.join(dir, ".gitignore"), gitignore);
      expect((await w.run(["up"], IO)).code).toBe(0);
      expect(mode(dir)).toBe(0o755);
      if (gitignore === undefined) expect(existsSync(path.join(dir, ".gitignore"))).toBe(false);
      else expect(readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe(gitignore);
      expect(existsSync(w.statePath())).toBe(true);
    }
  });

  it("a custom --state in an existing directory: that directory is not touched", async () => {
    const w = quickWorld();
    chmodSync(w.cwd, 0o755);
    const r = await w.run(["up", "--state", "prod-state.json"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(w.cwd, "prod-state.json"))).toBe(true);
    expect(existsSync(path.join(w.cwd, ".gitignore"))).toBe(false);
    expect(mode(w.cwd)).toBe(0o755);
  });

  it("a custom --state in a new directory: the tool made it, so it gets both", async () => {
    const w = quickWorld();
    const r = await w.run(["up", "--state", "states/prod/state.json"], IO);
    expect(r.code, r.stderr).toBe(0);
    const dir = path.join(w.cwd, "states", "prod");
    expect(existsSync(path.join(dir, "state.json"))).toBe(true);
    expect(mode(dir)).toBe(0o700);
    expect(readFileSync(path.join(dir, ".gitignore"), "utf8")).toBe("*\n");
    // A parent made on the way is an ordinary directory.
    expect(existsSync(path.join(w.cwd, "states", ".gitignore"))).toBe(false);
  });

  it("runs that make it at the same time: all succeed, one .gitignore", async () => {
    const w = quickWorld();
    const file = path.join(w.cwd, "race", "production.json");
    await Promise.all(Array.from({ length: 16 }, () => ensureStateDir(file)));
    expect(mode(path.dirname(file))).toBe(0o700);
    expect(readFileSync(path.join(path.dirname(file), ".gitignore"), "utf8")).toBe("*\n");
  });
});

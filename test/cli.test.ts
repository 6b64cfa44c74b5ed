import { describe, expect, it } from "vitest";
import { stripAnsi } from "../src/report/format.js";
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

describe("--json", () => {
  it("keeps stdout one JSON document, for usage errors too", async () => {
    const w = world();
    const bad = await w.run(["up", "--json", "--bogus"]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining("--bogus") },
    });
    const badStage = await w.run(["status", "--json", "--stage", "NOPE"]);
    expect(badStage.code).toBe(1);
    expect(JSON.parse(badStage.stdout)).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining("NOPE") },
    });
    const ok = await w.run(["up", "--json"]);
    expect(ok.code).toBe(0);
    const doc = JSON.parse(ok.stdout) as { ok: boolean; endpoint: string };
    expect(doc.ok).toBe(true);
    expect(doc.endpoint).toMatch(/^https:\/\/\w+\.execute-api\.us-east-1\.amazonaws\.com\/prod$/);
    // Progress went to stderr.
    expect(ok.stderr).toContain("created");
  });

  it("never colours with NO_COLOR, even when forced to a terminal", async () => {
    const w = world();
    const r = await w.run(["up"], {
      env: { AWS_REGION: "us-east-1", NO_COLOR: "1", CI: "true" },
      stdout: Object.assign({ write: () => undefined }, { isTTY: true }),
    });
    expect(r.code).toBe(0);
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.toMatch(/\u001b\[/);
    const coloured = await w.run(["status"], {
      env: { AWS_REGION: "us-east-1", FORCE_COLOR: "1" },
    });
    // eslint-disable-next-line no-control-regex
    expect(coloured.stdout).toMatch(/\u001b\[/);
  });
});

describe("in a terminal", () => {
  it("shows spinners and persists one line per finished resource, and up completes", async () => {
    const { Writable } = await import("node:stream");
    let screen = "";
    const tty = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, done) {
          screen += chunk.toString();
          done();
        },
      }),
      // The tty.WriteStream surface a spinner draws with.
      {
        isTTY: true,
        columns: 120,
        rows: 40,
        cursorTo: (_x: number, cb?: () => void) => (cb?.(), true),
        moveCursor: (_dx: number, _dy: number, cb?: () => void) => (cb?.(), true),
        clearLine: (_dir: number, cb?: () => void) => (cb?.(), true),
        clearScreenDown: (cb?: () => void) => (cb?.(), true),
        getWindowSize: () => [120, 40],
      },
    );
    const w = world();
    const r = await w.run(["up"], { stderr: tty as never, env: { AWS_REGION: "us-east-1" } });
    expect(r.code, `${r.stdout}\n${screen}`).toBe(0);
    expect(r.stdout).toMatch(/up to date in us-east-1 \(\d+ created\)/);
    const plain = stripAnsi(screen);
    // A spinner frame, or (under CI=true, where ora does not animate) its plain line.
    expect(plain).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] |- creating /);
    expect(plain).toContain("created S3 bucket");
    expect(plain).toContain("created Lambda function");
    expect(w.fake.lambda.functions.size).toBe(1);
  });
});

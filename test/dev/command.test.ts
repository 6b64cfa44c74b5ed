import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer } from "../../src/dev/server.js";
import { dev } from "./run-dev.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dev-command-"));
});
afterAll(async () => {
  await chmod(join(dir, "locked"), 0o755).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe("dev --data it cannot use: one error naming the path, exit 1, no stack trace", () => {
  const expectClearFailure = async (argv: string[], path: string, why: RegExp) => {
    const run = await dev(argv, { cwd: dir });
    expect(run.url).toBeUndefined();
    expect(await run.end()).toBe(1);
    expect(run.stderr).toContain(path);
    expect(run.stderr).toMatch(why);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr).not.toContain("Database is closed");
    expect(run.stderr.trim().split("\n")).toHaveLength(2); // the error and what to do
  };

  it("a regular file", async () => {
    const file = join(dir, "a-file");
    await writeFile(file, "not a database");
    await expectClearFailure(["--data", file], file, /is a file, not a directory/);
  });

  it("a path under a regular file", async () => {
    const file = join(dir, "parent-file");
    await writeFile(file, "x");
    await expectClearFailure(
      ["--data", join(file, "data")],
      `${file} is a file, not a directory`,
      /--data/,
    );
  });

  it("a directory another running dev holds", async () => {
    const held = join(dir, "held");
    const first = await startDevServer({ port: 0, dataDir: held });
    try {
      await expectClearFailure(["--data", held], held, /another running .*dev.* is using it/);
      // The first one is unharmed.
      expect((await fetch(`${first.url}/`)).status).toBe(200);
    } finally {
      await first.close();
    }
  });

  // Root may write anywhere; checked by hand as an unprivileged user.
  it.skipIf(process.getuid?.() === 0)("a directory it may not write to", async () => {
    const locked = join(dir, "locked");
    await mkdir(locked);
    await chmod(locked, 0o555);
    await expectClearFailure(["--data", join(locked, "data")], join(locked, "data"), /permission/);
    await expectClearFailure(["--data", locked], locked, /permission/);
  });

  it("a relative path, resolved against the working directory", async () => {
    await writeFile(join(dir, "relative-file"), "x");
    await expectClearFailure(["--data", "relative-file"], join(dir, "relative-file"), /file/);
  });
});

describe("dev serves what up would deploy", () => {
  const CONFIG = {
    corsOrigin: "https://top.example",
    logLevel: "warn",
    stages: { qa: { corsOrigin: "https://qa.example", logLevel: "debug" } },
  };

  it("with the config file's corsOrigin and logLevel, for the stage", async () => {
    const cwd = await mkdtemp(join(dir, "config-"));
    await writeFile(join(cwd, "serverless-automation.config.json"), JSON.stringify(CONFIG));

    const production = await dev([], { cwd });
    expect(production.url).toBeDefined();
    const res = await fetch(`${production.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://top.example");
    // LOG_LEVEL=warn: a 200 writes no request line.
    expect(production.stderr).toBe("");
    expect(await production.end()).toBe(0);

    const qa = await dev(["--stage", "qa"], { cwd });
    expect(qa.stdout).toContain("stage qa");
    const preflight = await fetch(`${qa.url}/x`, { method: "OPTIONS" });
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://qa.example");
    expect(preflight.headers.get("vary")).toBe("Origin");
    const line = JSON.parse(qa.stderr.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
    expect(line).toMatchObject({ level: "info", method: "OPTIONS", environment: "qa" });
    expect(await qa.end()).toBe(0);
  });

  it("finds the file and stage as up does: --config, SERVERLESS_AUTOMATION_CONFIG and _STAGE", async () => {
    const cwd = await mkdtemp(join(dir, "elsewhere-"));
    await writeFile(join(cwd, "custom.json"), JSON.stringify(CONFIG));

    const flag = await dev(["--config", "custom.json", "--stage", "qa"], { cwd });
    expect((await fetch(`${flag.url}/`)).headers.get("access-control-allow-origin")).toBe(
      "https://qa.example",
    );
    expect(await flag.end()).toBe(0);

    const env = await dev([], {
      cwd,
      env: { SERVERLESS_AUTOMATION_CONFIG: "custom.json", SERVERLESS_AUTOMATION_STAGE: "qa" },
    });
    expect((await fetch(`${env.url}/`)).headers.get("access-control-allow-origin")).toBe(
      "https://qa.example",
    );
    expect(await env.end()).toBe(0);

    // Without a file, the defaults up would deploy, but never a blanket "*" (see edges.test.ts).
    const none = await dev([], { cwd: await mkdtemp(join(dir, "empty-")) });
    expect((await fetch(`${none.url}/`)).headers.get("access-control-allow-origin")).toBeNull();
    expect(await none.end()).toBe(0);
  });

  it("refuses a bad config file before serving, naming the field", async () => {
    const cwd = await mkdtemp(join(dir, "bad-"));
    await writeFile(
      join(cwd, "serverless-automation.config.json"),
      JSON.stringify({ stages: { qa: { logLevel: "loud" } } }),
    );
    const run = await dev(["--stage", "qa"], { cwd });
    expect(run.url).toBeUndefined();
    expect(await run.end()).toBe(1);
    expect(run.stderr).toContain("stages.qa.logLevel");
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});

describe("dev is open on loopback and says so elsewhere", () => {
  it("on 127.0.0.1 (the default): no warning", async () => {
    const run = await dev([], { cwd: dir });
    expect(run.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await run.end()).toBe(0);
    expect(run.stderr).not.toContain("not a loopback address");
  });

  it("on 0.0.0.0: warns that anyone who can reach the machine has the table", async () => {
    const run = await dev(["--host", "0.0.0.0"], { cwd: dir });
    expect(run.url).toBeDefined();
    expect(await run.end()).toBe(0);
    expect(run.stderr).toContain("warning: 0.0.0.0 is not a loopback address");
  });
});

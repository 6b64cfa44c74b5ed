/**
 * Rough edges a new user hit (issue 27): what the tool prints to copy runs as printed and
 * reaches the same stack; --help's examples work against the built-in API; a request to `dev`
 * needs nothing of AWS; every command speaks JSON, errors included; messages name what the
 * user really did.
 */
import { promises as fs, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startDevServer } from "../src/dev/server.js";
import { captureServer, credentialHeaders } from "./capture.js";
import { world, type World } from "./helpers.js";
import { dev } from "./dev/run-dev.js";
import { quickWorld, tinyHandler } from "./reliability/support.js";

const IO = { handlerEntry: tinyHandler() };
const noTrace = (s: string) => expect(s).not.toMatch(/\n\s+at /);

/** A command line as a POSIX shell splits it (single and double quotes; no expansion). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  let word: string | undefined;
  let end = -1;
  for (const m of line.matchAll(re)) {
    const part = m[1] ?? m[2] ?? m[3] ?? "";
    // Adjacent parts (a'b') are one word.
    if (word !== undefined && m.index === end) word += part;
    else {
      if (word !== undefined) words.push(word);
      word = part;
    }
    end = m.index + m[0].length;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The arguments of a printed `npx serverless-automation …` command, for main(). */
function argsOf(printed: string): string[] {
  const words = shellWords(printed);
  const at = words.indexOf("serverless-automation");
  expect(words.slice(at - 1, at + 1), printed).toEqual(["npx", "serverless-automation"]);
  return words.slice(at + 1);
}

async function writeConfig(w: World, config: object) {
  await fs.writeFile(path.join(w.cwd, "serverless-automation.config.json"), JSON.stringify(config));
}

describe("hints carry the flags that found the stack", () => {
  it("after up --state s3://… --stage --region, the printed request reaches the stack", async () => {
    const w = quickWorld();
    expect((await w.run(["state", "init", "s3://team-state"])).code).toBe(0);
    const api = await captureServer();
    try {
      // The stack's API, served where AWS_ENDPOINT_URL says (as LocalStack serves it).
      const env = { AWS_REGION: w.fake.region, AWS_ENDPOINT_URL: api.url };
      const flags = [
        "--state",
        "s3://team-state/dev.json",
        "--stage",
        "dev",
        "--region",
        "us-east-1",
      ];
      const up = await w.run(["up", ...flags], { ...IO, env });
      expect(up.code, up.stderr).toBe(0);
      const printed = /try (.*)$/m.exec(up.stdout)?.[1] ?? "";
      expect(printed).toMatch(/^npx serverless-automation request GET \//);
      const args = argsOf(printed);
      for (const f of flags) expect(args).toContain(f);

      const r = await w.run(args, { ...IO, env });
      expect(r.code, r.stderr).toBe(0);
      expect(api.seen.map((c) => c.url)).toEqual([
        expect.stringMatching(/\/prod\/_user_request_\/$/),
      ]);

      // Without the flags, the error says where it looked and that --state finds it.
      const lost = await w.run(["request", "GET", "/", "--stage", "dev"], { ...IO, env });
      expect(lost.code).toBe(1);
      expect(lost.stderr).toContain("has no endpoint");
      expect(lost.stderr).toContain("--state");
      expect(lost.stderr).toContain("npx serverless-automation up --stage dev");
      noTrace(lost.stderr);
    } finally {
      await api.close();
    }
  });

  it("status's advice to converge keeps --state", async () => {
    const w = quickWorld();
    expect((await w.run(["state", "init", "s3://team-state"])).code).toBe(0);
    const state = ["--state", "s3://team-state/production.json"];
    expect((await w.run(["up", ...state], IO)).code).toBe(0);
    w.fake.lambda.functions.clear();
    const s = await w.run(["status", ...state], IO);
    expect(s.code).toBe(2);
    expect(s.stdout).toContain(
      "run npx serverless-automation up --stage production --state s3://team-state/production.json to converge",
    );
  });
});

describe("hints run as printed: npx serverless-automation", () => {
  /** `serverless-automation up` (or `${PROJECT} up`) not run through npx, in what src/ prints. */
  const BARE =
    /(?<!npx )(?:serverless-automation|\$\{PROJECT\}) (?:up|status|down|outputs|request|logs|dev|init|state|unlock)\b/;
  /** package.json scripts `init` writes: npm puts the dependency's bin on PATH for them. */
  const SCRIPTS = /^\s+(?:dev|deploy|status): `\$\{PROJECT\} \w+`,$/;
  /** Words about a process, not a command to run. */
  const RUNNING = /another running `serverless-automation dev`/;

  it("no message, hint or help text in src/ names the tool without npx", () => {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith(".ts")) {
          readFileSync(p, "utf8")
            .split("\n")
            .forEach((line, i) => {
              const code = line.trim();
              if (code.startsWith("*") || code.startsWith("//") || code.startsWith("/*")) return;
              if (BARE.test(line) && !SCRIPTS.test(line) && !RUNNING.test(line))
                found.push(`${p}:${i + 1}: ${code}`);
            });
        }
      }
    };
    walk(path.join(__dirname, "..", "src"));
    expect(found).toEqual([]);
  });
});

describe("--help examples work against the built-in API", () => {
  it("every request example, and the example in the --data hint, gets a 2xx from dev", async () => {
    const w = world();
    const help = await w.run(["request", "--help"]);
    const examples = help.stdout
      .slice(help.stdout.indexOf("Examples"))
      .split("\n")
      .filter((l) => l.includes("serverless-automation request") && !l.includes("--token"))
      .map((l) => l.replace(/\s+#.*$/, ""));
    expect(examples.length).toBeGreaterThanOrEqual(3);
    const bad = await w.run(["request", "POST", "/", "--data", "{name:first}"]);
    const fromHint = /--data '([^']*)'/.exec(bad.stderr)?.[1];
    expect(fromHint).toBeDefined();
    examples.push(`npx serverless-automation request POST / --data '${fromHint}'`);

    const server = await startDevServer({ port: 0 });
    try {
      for (const example of examples) {
        let args = argsOf(example).map((a) => a.replace("http://127.0.0.1:3000", server.url));
        // The deployed API's examples, here against dev: the built-in API is the same code.
        if (!args.includes("--url")) args = [...args, "--url", server.url, "--auth", "none"];
        const r = await w.run(args);
        expect(r.code, `${example}\n${r.stdout}${r.stderr}`).toBe(0);
      }
    } finally {
      await server.close();
    }
  });
});

describe("a request to dev needs nothing of AWS", () => {
  it("a loopback --url, --auth none or by default: no region, no credentials, no state file, no AWS call", async () => {
    const w = world();
    const s = await captureServer();
    try {
      for (const auth of [["--auth", "none"], []]) {
        w.fake.resetCalls();
        const r = await w.run(["request", "GET", "/items", "--url", s.url, ...auth], {
          env: {},
          clients: undefined,
        });
        expect(r.code, r.stderr).toBe(0);
        expect(w.fake.calls).toEqual([]);
      }
      expect(s.seen).toHaveLength(2);
      for (const c of s.seen) expect(credentialHeaders(c)).toEqual([]);
      // Asked for, credentials still need the stack: a region, and what signs.
      const signed = await w.run(["request", "GET", "/", "--url", s.url, "--auth", "iam"], {
        env: {},
      });
      expect(signed.code).toBe(1);
      expect(signed.stderr).toContain("No AWS region");
      expect(s.seen).toHaveLength(2);
    } finally {
      await s.close();
    }
  });
});

describe("--json everywhere", () => {
  it("init --json lists the files it wrote", async () => {
    const w = world();
    const r = await w.run(["init", "my-api", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ command: "init", ok: true, dir: path.join(w.cwd, "my-api") });
    const files = r.json.files as string[];
    expect(files).toContain("serverless-automation.config.json");
    for (const f of files) await fs.access(path.join(w.cwd, "my-api", f));
  });

  it("dev --json prints its URL as one JSON line when ready", async () => {
    const w = world();
    const run = await dev(["--json"], { cwd: w.cwd });
    try {
      const first = run.stdout.split("\n")[0] ?? "";
      const ready = JSON.parse(first) as { command: string; url: string; routes: string[] };
      expect(ready).toMatchObject({ command: "dev", ok: true, stage: "production" });
      expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ready.routes).toContain("GET /");
      expect(run.stdout.trim().split("\n")).toHaveLength(1);
      expect((await fetch(`${ready.url}/`)).status).toBe(200);
    } finally {
      expect(await run.end()).toBe(0);
    }
  });

  it("every command's JSON error names the command", async () => {
    const w = world();
    const cases: [string[], string][] = [
      [["outputs", "--json"], "outputs"],
      [["status", "--json", "--stage", "NOPE"], "status"],
      [["up", "--json", "--bogus"], "up"],
      [["state", "init", "s3://x", "--json"], "state init"],
      [["request", "GET", "nope", "--json"], "request"],
      [["dev", "--json", "--port", "-1"], "dev"],
      [["init", "--json", "."], "init"],
    ];
    await fs.writeFile(path.join(w.cwd, "not-empty"), "");
    for (const [argv, command] of cases) {
      const r = await w.run(argv);
      expect(r.code, argv.join(" ")).toBe(1);
      expect(r.json, argv.join(" ")).toMatchObject({ command, ok: false, error: {} });
    }
  });
});

describe("messages name what the user did", () => {
  it("outputs names the alarm address as --json does", async () => {
    const w = quickWorld();
    expect((await w.run(["up", "--alarm-email", "oncall@example.com"], IO)).code).toBe(0);
    const text = await w.run(["outputs"]);
    const json = await w.run(["outputs", "--json"]);
    expect(json.json).toHaveProperty("alarmNotifications");
    expect(text.stdout).toMatch(/^alarmNotifications\s+oncall@example.com/m);
    expect(text.stdout).not.toContain("alarmEmail");
  });

  it("a setting's error names the flag only when a flag set it", async () => {
    const w = world();
    await writeConfig(w, {
      table: { partitionKey: "pk" },
      stages: { production: { table: { sortKey: "pk" } } },
    });
    const file = await w.run(["status"]);
    expect(file.code).toBe(1);
    expect(file.stderr).toContain("table.sortKey.name must differ");
    expect(file.stderr).toContain("serverless-automation.config.json");
    expect(file.stderr).not.toContain("flag");
    await fs.rm(path.join(w.cwd, "serverless-automation.config.json"));
    const flag = await w.run(["status", "--alarm-email", "nobody"]);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("--alarm-email");
    expect(flag.stderr).not.toContain("config.json");
  });

  it("SERVERLESS_AUTOMATION_CONFIG that names no file: the error names the variable", async () => {
    const w = world();
    const r = await w.run(["outputs"], {
      env: { AWS_REGION: "us-east-1", SERVERLESS_AUTOMATION_CONFIG: "nope.json" },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SERVERLESS_AUTOMATION_CONFIG");
    expect(r.stderr).not.toContain("--config");
    const flag = await w.run(["outputs", "--config", "nope.json"]);
    expect(flag.stderr).toContain("--config");
  });

  it("state init with a bad bucket name asks for a bucket, not a key", async () => {
    const w = world();
    const r = await w.run(["state", "init", "s3://x"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"x" is not a bucket name');
    expect(r.stderr).not.toContain("<key>");
    expect(r.stderr).toContain("npx serverless-automation state init s3://");
    expect(w.fake.calls).toEqual([]);
  });

  it("up under auth cognito prints how to call with a token, not the API key's hint", async () => {
    const w = quickWorld();
    const pool = `arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123`;
    await writeConfig(w, { auth: "cognito", cognitoUserPoolArn: pool });
    const up = await w.run(["up"], IO);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).not.toContain("API key");
    expect(up.stdout).not.toContain("show-api-key");
    expect(up.stdout).toContain(
      'SERVERLESS_AUTOMATION_TOKEN="$ID_TOKEN" npx serverless-automation request GET /',
    );
  });
});

import { request } from "node:http";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../../src/dev/server.js";
import { dev as runDev } from "./run-dev.js";

/** A raw request: fetch will not send a Host header of our choosing. */
function get(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(url, { headers }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on("error", reject);
      req.end();
    },
  );
}

describe("dev and web pages the developer visits", () => {
  let dev: DevServer;
  beforeAll(async () => {
    dev = await startDevServer({ port: 0 });
  });
  afterAll(() => dev.close());

  it("refuses a Host that is not this machine (DNS rebinding), in the API's error shape", async () => {
    const r = await get(`${dev.url}/`, { host: `attacker.example:${dev.port}` });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toHaveProperty("error");
    for (const host of [`localhost:${dev.port}`, `127.0.0.1:${dev.port}`, "localhost"]) {
      expect((await get(`${dev.url}/`, { host })).status).toBe(200);
    }
  });

  it("gives no other site Access-Control-Allow-Origin, only pages on this machine", async () => {
    const evil = await get(`${dev.url}/`, { origin: "https://attacker.example" });
    expect(evil.headers["access-control-allow-origin"]).toBeUndefined();
    const local = await get(`${dev.url}/`, { origin: "http://localhost:5173" });
    expect(local.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    expect(local.headers.vary).toBe("Origin");
  });
});

describe("dev with a corsOrigin of your own", () => {
  it("sends it as up deploys it, and echoes pages on this machine", async () => {
    const dev = await startDevServer({ port: 0, settings: { corsOrigin: "https://app.example" } });
    try {
      const site = await get(`${dev.url}/`, { origin: "https://app.example" });
      expect(site.headers["access-control-allow-origin"]).toBe("https://app.example");
      const other = await get(`${dev.url}/`, { origin: "https://attacker.example" });
      expect(other.headers["access-control-allow-origin"]).toBe("https://app.example");
      const local = await get(`${dev.url}/`, { origin: "http://127.0.0.1:8080" });
      expect(local.headers["access-control-allow-origin"]).toBe("http://127.0.0.1:8080");
    } finally {
      await dev.close();
    }
  });
});

describe("dev --data", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dev-edges-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("makes its directory 0700 and the database's files 0600", async () => {
    const data = join(dir, "nested", "data");
    const dev = await startDevServer({ port: 0, dataDir: data });
    try {
      expect((await stat(data)).mode & 0o777).toBe(0o700);
      const put = await fetch(`${dev.url}/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ data: { name: "kept" } }),
      });
      expect(put.status).toBe(201);
    } finally {
      await dev.close();
    }
    const files = await readdir(data);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect((await stat(join(data, f))).mode & 0o777, f).toBe(0o600);
  });
});

describe("dev and a change of the config file", () => {
  it("serves a route added on save; a broken file keeps the last good routes, saying so", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "dev-config-"));
    try {
      await mkdir(join(cwd, "src"));
      await writeFile(
        join(cwd, "src", "api.ts"),
        `export const handler = async (e: { path: string }) => ({ statusCode: 200, body: e.path });\n`,
      );
      const config = join(cwd, "serverless-automation.config.json");
      const write = (routes: string[]) =>
        writeFile(config, JSON.stringify({ name: "edges", handler: "src/api.ts", routes }));
      await write(["GET /a"]);
      const run = await runDev([], { cwd });
      expect(run.url, run.stderr).toBeDefined();
      try {
        expect((await fetch(`${run.url}/b`)).status).toBe(403);
        await write(["GET /a", "GET /b"]);
        const until = async (ok: () => Promise<boolean>) => {
          for (let i = 0; i < 200 && !(await ok()); i++)
            await new Promise((r) => setTimeout(r, 25));
        };
        await until(async () => (await fetch(`${run.url}/b`)).status === 200);
        expect((await fetch(`${run.url}/b`)).status).toBe(200);
        expect(run.stderr).toMatch(
          /reloaded serverless-automation\.config\.json: GET \/a, GET \/b/,
        );

        await writeFile(config, `{ "name": "edges", "handler": "src/api.ts", "routes": [`);
        await until(async () => /config not reloaded/.test(run.stderr));
        expect(run.stderr).toMatch(/config not reloaded, still serving the last good one: /);
        expect((await fetch(`${run.url}/b`)).status).toBe(200);
      } finally {
        expect(await run.end()).toBe(0);
      }
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

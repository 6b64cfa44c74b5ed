import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevServer, type DevServer } from "../../src/dev/server.js";

interface Item {
  id: string;
  data: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

describe("dev server over HTTP", () => {
  let dev: DevServer;
  const logs: string[] = [];

  beforeAll(async () => {
    dev = await startDevServer({
      port: 0,
      log: (l) => logs.push(l),
      settings: { corsOrigin: "http://ui.test" },
    });
  });
  afterAll(async () => {
    await dev.close();
  });

  const post = (body: unknown, contentType = "application/json") =>
    fetch(`${dev.url}/`, {
      method: "POST",
      headers: { "content-type": contentType },
      body: typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });

  it("listens on loopback with the chosen port", () => {
    expect(dev.port).toBeGreaterThan(0);
    expect(dev.url).toBe(`http://127.0.0.1:${dev.port}`);
  });

  it("creates, lists, pages, reads, replaces and deletes", async () => {
    const created = await post({ id: "one", data: { name: "first" } });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/one");
    expect(created.headers.get("access-control-allow-origin")).toBe("http://ui.test");
    const item = (await created.json()) as Item;
    expect(item).toMatchObject({ id: "one", data: { name: "first" } });

    const anon = await post({ data: { name: "second" } });
    expect(anon.status).toBe(201);
    const anonItem = (await anon.json()) as Item;
    expect(anon.headers.get("location")).toBe(`/${anonItem.id}`);
    expect((await post({ id: "three", data: {} })).status).toBe(201);
    expect((await post({ id: "one", data: {} })).status).toBe(409);

    const ids: string[] = [];
    let url = `${dev.url}/?limit=2`;
    for (let pages = 0; pages < 5; pages++) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: Item[]; cursor?: string };
      expect(page.items.length).toBeLessThanOrEqual(2);
      ids.push(...page.items.map((i) => i.id));
      if (!page.cursor) break;
      url = `${dev.url}/?limit=2&cursor=${encodeURIComponent(page.cursor)}`;
    }
    expect(ids.sort()).toEqual(["one", "three", anonItem.id].sort());

    const got = await fetch(`${dev.url}/one`);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual(item);

    const replaced = await fetch(`${dev.url}/one`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: { name: "renamed" } }),
    });
    expect(replaced.status).toBe(200);
    const after = (await replaced.json()) as Item;
    expect(after.data).toEqual({ name: "renamed" });
    expect(after.createdAt).toBe(item.createdAt);

    const put = await fetch(`${dev.url}/fresh`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: {} }),
    });
    expect(put.status).toBe(201);
    expect(put.headers.get("location")).toBe("/fresh");

    const del = await fetch(`${dev.url}/one`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect(await del.text()).toBe("");
    expect((await fetch(`${dev.url}/one`, { method: "DELETE" })).status).toBe(404);
    expect((await fetch(`${dev.url}/one`)).status).toBe(404);
  });

  it("passes errors, preflight and 405 through unchanged", async () => {
    const bad = await post("{oops");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: { code: "InvalidJson", message: expect.any(String) },
    });

    const binary = await post(Buffer.from([0xff, 0x00, 0x01]), "application/octet-stream");
    expect(binary.status).toBe(415);

    const tooBig = await post({ data: { s: "x".repeat(300 * 1024) } });
    expect(tooBig.status).toBe(413);

    const preflight = await fetch(`${dev.url}/abc`, { method: "OPTIONS" });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toBe("GET,PUT,DELETE,OPTIONS");

    const patch = await fetch(`${dev.url}/`, { method: "PATCH" });
    expect(patch.status).toBe(405);
    expect(patch.headers.get("allow")).toBe("GET, POST, OPTIONS");

    const limit = await fetch(`${dev.url}/?limit=1000`);
    expect(limit.status).toBe(400);
  });

  it("answers paths outside the API's resources with the documented 404 without invoking the handler", async () => {
    const before = logs.length;
    const res = await fetch(`${dev.url}/a/b`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://ui.test");
    expect(await res.json()).toEqual({
      error: { code: "NotFound", message: expect.stringContaining("/a/b") },
    });
    expect(logs.length).toBe(before);
  });

  it("answers a body over API Gateway's 10 MB limit with the documented 413", async () => {
    const before = logs.length;
    const res = await post(Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));
    expect(res.status).toBe(413);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://ui.test");
    expect(await res.json()).toEqual({
      error: { code: "PayloadTooLarge", message: expect.stringContaining("10485760 bytes") },
    });
    expect(logs.length).toBe(before);
  });

  it("hands the handler's JSON request lines to log", async () => {
    await fetch(`${dev.url}/nothing-here`);
    const last = JSON.parse(logs.at(-1)!) as Record<string, unknown>;
    expect(last).toMatchObject({ method: "GET", path: "/nothing-here", status: 404 });
  });
});

describe("dev server persistence", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "dev-data-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps items in dataDir across a restart, and loses them without it", async () => {
    const first = await startDevServer({ port: 0, dataDir: dir });
    const res = await fetch(`${first.url}/`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "kept", data: { v: 1 } }),
    });
    expect(res.status).toBe(201);
    await first.close();
    await expect(fetch(`${first.url}/kept`)).rejects.toThrow();

    const second = await startDevServer({ port: 0, dataDir: dir });
    try {
      const got = await fetch(`${second.url}/kept`);
      expect(got.status).toBe(200);
      expect(((await got.json()) as Item).data).toEqual({ v: 1 });
    } finally {
      await second.close();
    }

    const memory = await startDevServer({ port: 0 });
    try {
      expect((await fetch(`${memory.url}/kept`)).status).toBe(404);
    } finally {
      await memory.close();
    }
  });

  it("fails clearly when the port is taken, leaving nothing running", async () => {
    const first = await startDevServer({ port: 0 });
    try {
      await expect(startDevServer({ port: first.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await first.close();
    }
  });
});

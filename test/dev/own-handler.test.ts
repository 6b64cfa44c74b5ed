/**
 * `dev` with a handler of your own: the scaffold from `init` answers its routes; an edit is
 * rebuilt and served without a restart; a syntax error is reported and the last good build
 * keeps serving; the table has the configured key and the handler the configured environment.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { startDevServer, type DevServer } from "../../src/dev/server.js";
import { dev } from "./run-dev.js";

const dirs: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Polls until the answer satisfies ok (a reload lands within milliseconds of the save). */
async function until(fn: () => Promise<string>, ok: (s: string) => boolean): Promise<string> {
  let last = "";
  for (let i = 0; i < 200; i++) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  return last;
}

describe("init, then dev", () => {
  it("serves the scaffolded routes against the local table, and API Gateway's 403 elsewhere", async () => {
    const dir = await tempDir("sa-init-dev-");
    const quiet = { write: () => undefined };
    expect(await main(["init", "."], { stdout: quiet, stderr: quiet, env: {}, cwd: dir })).toBe(0);
    const run = await dev([], { cwd: dir });
    try {
      expect(run.url, run.stderr).toBeDefined();
      expect(run.stdout).toMatch(
        /Serving src\/handler\.ts .*: GET \/items, POST \/items, GET \/items\/\{id\}, DELETE \/items\/\{id\}/,
      );
      const created = await fetch(`${run.url}/items`, {
        method: "POST",
        body: JSON.stringify({ text: "first" }),
      });
      expect(created.status).toBe(201);
      const item = (await created.json()) as { id: string; text: string };
      expect(item.text).toBe("first");
      const read = await fetch(`${run.url}/items/${item.id}`);
      expect(await read.json()).toEqual(item);
      const list = (await (await fetch(`${run.url}/items`)).json()) as { items: unknown[] };
      expect(list.items).toEqual([item]);
      expect((await fetch(`${run.url}/items/${item.id}`, { method: "DELETE" })).status).toBe(204);
      expect((await fetch(`${run.url}/items/${item.id}`)).status).toBe(404);

      // No route: API Gateway answers itself, the handler is not called.
      const none = await fetch(`${run.url}/other`);
      expect(none.status).toBe(403);
      expect(await none.json()).toEqual({ message: "Missing Authentication Token" });
      const wrongMethod = await fetch(`${run.url}/items`, { method: "PUT" });
      expect(wrongMethod.status).toBe(403);
    } finally {
      expect(await run.end()).toBe(0);
    }
  });
});

describe("a handler of your own under dev", () => {
  it("reloads after an edit, survives a syntax error, and picks up a new import", async () => {
    const dir = await tempDir("sa-reload-");
    await mkdir(join(dir, "src"));
    const entry = join(dir, "src", "api.ts");
    const source = (word: string) =>
      `export const handler = async () => ({ statusCode: 200, body: ${JSON.stringify(word)} });\n`;
    await writeFile(entry, source("one"));
    const notices: string[] = [];
    const server: DevServer = await startDevServer({
      port: 0,
      settings: { handler: entry, routes: ["GET /word"] },
      notice: (l) => notices.push(l),
    });
    try {
      const word = async () => (await fetch(`${server.url}/word`)).text();
      expect(await word()).toBe("one");

      await writeFile(entry, source("two"));
      expect(await until(word, (s) => s === "two")).toBe("two");
      expect(notices.at(-1)).toMatch(/^reloaded .*api\.ts in \d+ ms$/);

      // A syntax error: said once, with where it is; the last good build keeps answering.
      await writeFile(
        entry,
        "export const handler = async () => {\n  return { statusCode: 200 ;\n",
      );
      await until(
        async () => notices.join("\n"),
        (s) => /build failed/.test(s),
      );
      expect(notices.at(-1)).toMatch(
        /^build failed, still serving the last good build: .*api\.ts:2:\d+: Expected "}" but found ";"$/,
      );
      expect(await word()).toBe("two");

      // Fixed, and now importing a second file: that file is watched too.
      await writeFile(join(dir, "src", "word.ts"), 'export const word = "three";\n');
      await writeFile(
        entry,
        'import { word } from "./word";\nexport const handler = async () => ({ statusCode: 200, body: word });\n',
      );
      expect(await until(word, (s) => s === "three")).toBe("three");
      await writeFile(join(dir, "src", "word.ts"), 'export const word = "four";\n');
      expect(await until(word, (s) => s === "four")).toBe("four");
      expect(server.builds()).toBeGreaterThanOrEqual(4);
    } finally {
      await server.close();
    }
  });

  it("runs with the configured key schema and environment, and puts the environment back when it stops", async () => {
    const dir = await tempDir("sa-dev-key-");
    const entry = join(dir, "api.ts");
    await writeFile(
      entry,
      `import { DynamoDBClient, PutItemCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
const db = new DynamoDBClient({});
export const handler = async (event: { httpMethod: string; pathParameters: Record<string, string> | null }) => {
  const Key = { tenant: { S: event.pathParameters!.tenant! }, at: { N: "1" } };
  if (event.httpMethod === "PUT") {
    await db.send(new PutItemCommand({ TableName: process.env.TABLE_NAME, Item: { ...Key, v: { S: process.env.FEATURE ?? "" } } }));
    return { statusCode: 204, body: "" };
  }
  const out = await db.send(new GetItemCommand({ TableName: process.env.TABLE_NAME, Key }));
  return { statusCode: 200, body: out.Item?.v?.S ?? "missing" };
};
`,
    );
    const before = process.env.FEATURE;
    const server = await startDevServer({
      port: 0,
      settings: {
        handler: entry,
        routes: ["ANY /{tenant}"],
        table: {
          partitionKey: { name: "tenant", type: "string" },
          sortKey: { name: "at", type: "number" },
          access: "read-write",
        },
        environment: { FEATURE: "on" },
      },
    });
    try {
      expect((await fetch(`${server.url}/acme`, { method: "PUT" })).status).toBe(204);
      expect(await (await fetch(`${server.url}/acme`)).text()).toBe("on");
    } finally {
      await server.close();
    }
    expect(process.env.FEATURE).toBe(before);
  });

  it("a handler that does not build stops dev before it serves, naming file:line:column", async () => {
    const dir = await tempDir("sa-dev-bad-");
    await writeFile(join(dir, "serverless-automation.config.json"), '{ "handler": "api.ts" }');
    await writeFile(join(dir, "api.ts"), "export const handler = (;\n");
    const run = await dev([], { cwd: dir });
    expect(run.url).toBeUndefined();
    expect(await run.end()).toBe(1);
    expect(run.stderr).toMatch(/Cannot bundle the handler: .*api\.ts:1:\d+: /);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(await readFile(join(dir, "api.ts"), "utf8")).toBe("export const handler = (;\n");
  });
});

import { promises as fs } from "node:fs";
import { Agent, createServer, request, type IncomingMessage, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import path from "node:path";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  waitUntilTableExists,
  type DynamoDBClientConfig,
} from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import {
  DEFAULT_SETTINGS,
  KEY_TYPE_LETTER,
  keySchemaString,
  type TableSettings,
} from "../config.js";
import { UserError } from "../errors.js";

/** A DynamoDB-compatible endpoint on loopback, for `dev` and the tests. */
export interface LocalDynamo {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Client settings that reach it with no AWS account, credentials file or network. */
  readonly clientConfig: DynamoDBClientConfig;
  close(): Promise<void>;
}

/**
 * Starts dynalite behind a small proxy on loopback. With `dataDir`, the table lives in that
 * directory (LevelDB); a directory it cannot use is a UserError naming it, before anything starts.
 */
export async function startLocalDynamo(options: { dataDir?: string } = {}): Promise<LocalDynamo> {
  if (options.dataDir) {
    await makePrivateDir(options.dataDir);
    await checkDataDir(options.dataDir);
    await privateFiles(options.dataDir);
  }
  // Tables become ACTIVE at once: the default 500 ms CREATING phase only slows start-up.
  const backend = dynalite({
    ...(options.dataDir ? { path: options.dataDir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const closeBackend = () => closeServer(backend);
  let front: Server | undefined;
  const agent = new Agent({ keepAlive: true });
  try {
    const backendPort = await listen(backend);
    front = createServer((req, res) => {
      forward(req, backendPort, agent)
        .then((out) => {
          res.writeHead(out.status, out.headers);
          res.end(out.body);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { "content-type": "application/x-amz-json-1.0" });
          res.end(JSON.stringify({ __type: "InternalFailure", message: String(err) }));
        });
    });
    const port = await listen(front);
    const endpoint = `http://127.0.0.1:${port}`;
    const proxy = front;
    return {
      endpoint,
      clientConfig: {
        endpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
        maxAttempts: 1,
      },
      close: async () => {
        await closeServer(proxy);
        agent.destroy();
        await closeBackend();
        if (options.dataDir) await privateFiles(options.dataDir);
      },
    };
  } catch (err) {
    if (front) await closeServer(front).catch(() => undefined);
    agent.destroy();
    await closeBackend().catch(() => undefined);
    throw err;
  }
}

/**
 * The table's data is the developer's: a --data directory dev makes is 0700 whatever the umask,
 * so that files the database adds later are private too. A failure is left to checkDataDir,
 * which names the cause.
 */
async function makePrivateDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(path.dirname(dir), { recursive: true });
    await fs.mkdir(dir, { mode: 0o700 });
    await fs.chmod(dir, 0o700);
  } catch {
    // It exists, or cannot be made: see checkDataDir.
  }
}

/**
 * The database's files, 0600 at start and at close, in a directory that is private (0700: one
 * dev made, or the user closed); while dev runs, that directory keeps the files it adds private.
 * A directory of the user's own that others may read is not dev's to change.
 */
async function privateFiles(dir: string): Promise<void> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (!st || st.mode & 0o077) return;
  for (const name of await fs.readdir(dir).catch(() => [])) {
    await fs.chmod(path.join(dir, name), 0o600).catch(() => undefined);
  }
}

/**
 * Opens the LevelDB directory once with dynalite's own `level`, and closes it. dynalite opens it
 * lazily and throws an uncaught "Database is closed" from a callback on the first request when
 * it cannot, which would kill the process with a stack trace (or leave `dev` serving nothing).
 */
async function checkDataDir(dir: string): Promise<void> {
  const fail = (why: string, hint: string, cause: unknown): never => {
    throw new UserError(`Cannot keep the dev data in ${dir}: ${why}.`, { hint, cause });
  };
  const elsewhere =
    "Pass --data a directory you can write to (it is created if missing), or leave --data out to keep the data in memory.";
  const db = new (levelClass())(dir);
  try {
    await db.open();
  } catch (err) {
    const cause = ((err as { cause?: unknown }).cause ?? err) as NodeJS.ErrnoException;
    const code = cause.code ?? "";
    const message = cause.message ?? String(cause);
    if (code === "LEVEL_LOCKED") {
      return fail(
        "another running `serverless-automation dev` is using it",
        "Stop that one (Ctrl-C), or pass another --data directory.",
        err,
      );
    }
    if (code === "EEXIST" || code === "ENOTDIR") {
      const file = await firstNonDirectory(dir);
      const why = file === dir ? "it is a file" : `${file} is a file`;
      return fail(`${why}, not a directory`, elsewhere, err);
    }
    if (
      ["EACCES", "EPERM", "EROFS"].includes(code) ||
      /permission denied|read-only/i.test(message)
    ) {
      return fail("permission denied", elsewhere, err);
    }
    return fail(
      `it does not hold a usable database (${message})`,
      "Delete it to start with an empty table, or pass --data another directory.",
      err,
    );
  } finally {
    await db.close().catch(() => undefined);
  }
}

interface LevelDb {
  open(): Promise<void>;
  close(): Promise<void>;
}

/** The `level` dynalite itself loads, so the check opens the database exactly as dynalite will. */
function levelClass(): new (location: string) => LevelDb {
  const require = createRequire(import.meta.url);
  const fromDynalite = createRequire(require.resolve("dynalite"));
  return (fromDynalite("level") as { Level: new (location: string) => LevelDb }).Level;
}

/** The path itself or the nearest ancestor that exists and is not a directory. */
async function firstNonDirectory(dir: string): Promise<string> {
  const chain: string[] = [];
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    chain.unshift(p);
    if (path.dirname(p) === p) break;
  }
  for (const p of chain) {
    const stat = await fs.stat(p).catch(() => undefined);
    if (stat && !stat.isDirectory()) return p;
    if (!stat) break;
  }
  return dir;
}

/*
 * dynalite rebuilds every request by assigning keys to fresh objects, so a map key "__proto__"
 * sets a prototype instead and the key is lost, or the item refused. DynamoDB stores it like any
 * other name. The proxy escapes such keys on the way in and restores them on the way out:
 * "__proto__" and any key starting with the escape character get one more in front, which makes
 * the mapping reversible for every key. Only object keys are rewritten; no expression this tool
 * sends names a "__proto__" attribute.
 */
const ESCAPE = "\u0000";

export function escapeKeys(value: unknown): unknown {
  return mapKeys(value, (k) => (k === "__proto__" || k.startsWith(ESCAPE) ? ESCAPE + k : k));
}

export function unescapeKeys(value: unknown): unknown {
  return mapKeys(value, (k) => (k.startsWith(ESCAPE) ? k.slice(1) : k));
}

function mapKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => mapKeys(v, rename));
  if (typeof value !== "object" || value === null) return value;
  // Object.fromEntries defines own properties, as JSON.parse does: "__proto__" stays a key.
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), mapKeys(v, rename)]));
}

/** Only bodies that can hold such keys are parsed; JSON.stringify writes U+0000 as \u0000. */
function rewrite(body: Buffer, needle: RegExp, fn: (value: unknown) => unknown): Buffer {
  const text = body.toString("utf8");
  if (!needle.test(text)) return body;
  try {
    return Buffer.from(JSON.stringify(fn(JSON.parse(text))), "utf8");
  } catch {
    return body; // not JSON: dynalite answers it as it would anyway
  }
}

async function forward(
  req: IncomingMessage,
  port: number,
  agent: Agent,
): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
  const body = rewrite(await collect(req), /"__proto__"|\\u0000/, escapeKeys);
  const headers = { ...endToEnd(req.headers), "content-length": String(body.length) };
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const out = request(
      { host: "127.0.0.1", port, method: req.method, path: req.url, headers, agent },
      resolve,
    );
    out.on("error", reject);
    out.end(body);
  });
  const raw = await collect(res);
  const answer = rewrite(raw, /\\u0000/, unescapeKeys);
  const outHeaders: Record<string, string | string[]> = {
    ...endToEnd(res.headers),
    "content-length": String(answer.length),
  };
  // The checksum is of the body dynalite wrote; a stale one would fail a client that checks it.
  if (answer !== raw) delete outHeaders["x-amz-crc32"];
  return { status: res.statusCode ?? 500, headers: outHeaders, body: answer };
}

/** Headers without the per-connection ones, which each side of the proxy sets for itself. */
function endToEnd(headers: IncomingMessage["headers"]): Record<string, string | string[]> {
  const hopByHop = ["connection", "keep-alive", "transfer-encoding", "content-length"];
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.includes(name)) out[name] = value;
  }
  return out;
}

function collect(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

function listen(server: Server): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Keep-alive sockets from SDK clients would otherwise hold close() open.
    server.closeAllConnections();
  });
}

/** Same key schema and billing mode as the deployed table; a no-op when it already exists. */
export async function ensureTable(
  config: DynamoDBClientConfig,
  tableName: string,
  key: Pick<TableSettings, "partitionKey" | "sortKey"> = DEFAULT_SETTINGS.table,
): Promise<void> {
  const client = new DynamoDBClient(config);
  const keys = [key.partitionKey, ...(key.sortKey ? [key.sortKey] : [])];
  try {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      // A table kept in --data with another key: the handler's requests would all fail.
      const found = (Table?.KeySchema ?? [])
        .map((k) => {
          const type = Table?.AttributeDefinitions?.find(
            (a) => a.AttributeName === k.AttributeName,
          );
          return `${k.AttributeName}:${type?.AttributeType}:${k.KeyType}`;
        })
        .join(",");
      if (found !== keySchemaString(key)) {
        throw new UserError(
          `The local table kept in the data directory has the key ${found}; the config asks for ${keySchemaString(key)}.`,
          {
            hint: "Pass another --data directory, or delete this one to start with an empty table.",
          },
        );
      }
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
      try {
        await client.send(
          new CreateTableCommand({
            TableName: tableName,
            AttributeDefinitions: keys.map((k) => ({
              AttributeName: k.name,
              AttributeType: KEY_TYPE_LETTER[k.type],
            })),
            KeySchema: keys.map((k, i) => ({
              AttributeName: k.name,
              KeyType: i === 0 ? "HASH" : "RANGE",
            })),
            BillingMode: "PAY_PER_REQUEST",
          }),
        );
      } catch (createErr) {
        // Another starter won the race; the table is what we wanted.
        if (!(createErr instanceof ResourceInUseException)) throw createErr;
      }
    }
    await waitUntilTableExists(
      { client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
      { TableName: tableName },
    );
  } finally {
    client.destroy();
  }
}

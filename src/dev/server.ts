import { randomUUID } from "node:crypto";
import { watch } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path, { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { APIGatewayProxyResult, Context } from "aws-lambda";
import { build, type Plugin } from "esbuild";
import { DEFAULT_SETTINGS, functionEnvironment, type Settings } from "../config.js";
import { UserError } from "../errors.js";
import { handlerBuildOptions } from "../package/bundle.js";
import { effectiveRoutes, matchRoute, routeSpecs, type RouteSpec } from "../routes.js";
import { loadCustomHandler } from "./custom-handler.js";
import { ensureTable, startLocalDynamo, type LocalDynamo } from "./dynalite.js";
import { fromProxyResult, toProxyEvent, type Handler, type RawResponse } from "./event.js";

export interface DevServerOptions {
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the API has no authentication, so it is not exposed by default. */
  host?: string;
  /** Persist the table in this directory; in memory (lost on close) when absent. */
  dataDir?: string;
  /** The stage `up` would deploy: the handler's ENVIRONMENT; default "dev". */
  stage?: string;
  /**
   * The settings `up` would deploy: corsOrigin and logLevel, and for a handler of your own its
   * entry, routes, table key schema and environment; the defaults otherwise.
   */
  settings?: Partial<
    Pick<
      Settings,
      "corsOrigin" | "logLevel" | "handler" | "routes" | "table" | "environment" | "secrets"
    >
  >;
  /** Receives the handler's JSON request lines; the server itself prints nothing. */
  log?: (line: string) => void;
  /** The values of `secrets` dev resolved (NAME → value): in the handler's environment as NAME. */
  secretValues?: Readonly<Record<string, string>>;
  /**
   * A handler of your own is rebuilt and reloaded when one of its sources changes; each reload,
   * or the build error that kept the last good build serving, is one line here.
   */
  notice?: (line: string) => void;
  /**
   * The config file the settings came from, watched: a change of routes is served at once; a
   * file that no longer loads keeps the last good settings serving (one notice line each).
   */
  config?: {
    readonly file: string;
    /** Loads and validates the settings again; throws a UserError when they are not valid. */
    load(): Promise<NonNullable<DevServerOptions["settings"]>>;
  };
}

export interface DevServer {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly port: number;
  /** The routes served now, "METHOD /path". */
  readonly routes: readonly string[];
  /** Loads of the config file so far that changed what is served (0 at start). */
  readonly configReloads: () => number;
  /** Builds of the handler so far that loaded (1 after start; more after reloads). */
  readonly builds: () => number;
  close(): Promise<void>;
}

export const DEV_TABLE = "dev-items";
/** The API Gateway stage each event's request context names. */
const STAGE = "dev";
/** API Gateway's own payload limit; the handler enforces its smaller one. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/** What the dev server uses of the bundled handler/index.ts. */
interface HandlerModule {
  createHandler(deps: {
    clientConfig: object;
    env: Record<string, string | undefined>;
    log: (line: string) => void;
  }): Handler;
  errorResult(status: number, code: string, message: string, origin: string): APIGatewayProxyResult;
}

/** What API Gateway answers itself, without invoking the function. */
type GatewayError = (status: number, code: string, message: string) => RawResponse;

/** The handler as loaded now: a reload swaps it. */
interface Loaded {
  readonly handler: () => Handler;
  readonly gatewayError: GatewayError;
  readonly builds: () => number;
}

/**
 * Serves the Lambda's own code over HTTP against a local DynamoDB (dynalite), so `dev` exercises
 * exactly what `up` deploys. Needs no AWS account, credentials or network.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const log = options.log ?? (() => undefined);
  const bundleDir = await mkdtemp(join(tmpdir(), "serverless-automation-dev-"));
  const cleanups: (() => Promise<void>)[] = [() => rm(bundleDir, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };

  try {
    const settings = { ...DEFAULT_SETTINGS, ...options.settings };
    const custom = settings.handler !== undefined;
    const routes = effectiveRoutes(settings.routes, custom);
    const served = { routes, specs: routeSpecs(routes), configReloads: 0 };
    const dynamo = await startLocalDynamo(options.dataDir ? { dataDir: options.dataDir } : {});
    cleanups.push(dynamo.close);
    await ensureTable(dynamo.clientConfig, DEV_TABLE, settings.table);

    // The environment up gives the function, but for the local table.
    // Secrets by value, not by where they are: dev never reads them from AWS itself.
    const env = functionEnvironment(
      DEV_TABLE,
      options.stage ?? "dev",
      settings,
      options.secretValues ?? {},
    );
    const loaded = await loadServed(settings, env, dynamo, bundleDir, options, log);
    if (loaded.close) cleanups.push(loaded.close);

    const guard = {
      boundHost: options.host ?? "127.0.0.1",
      corsOrigin: settings.corsOrigin,
    };
    const server = createServer((req, res) => {
      serve(req, res, { ...loaded, specs: served.specs, custom, guard }, log).catch(
        (err: unknown) => {
          const requestId = randomUUID();
          log(
            JSON.stringify({
              level: "error",
              msg: "dev server failure",
              requestId,
              error: String(err),
            }),
          );
          if (!res.headersSent)
            sendTo(res, internalError(loaded.gatewayError, requestId), req, guard);
          else res.destroy();
        },
      );
    });
    await listen(server, options.port ?? 3000, options.host ?? "127.0.0.1");
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    if (options.config) cleanups.push(watchConfig(options.config, settings, served, options));

    const { port, address, family } = server.address() as AddressInfo;
    const hostPart = family === "IPv6" ? `[${address}]` : address;
    let closed: Promise<void> | undefined;
    return {
      url: `http://${hostPart}:${port}`,
      port,
      get routes() {
        return served.routes.map((r) => `${r.method} ${r.path}`);
      },
      configReloads: () => served.configReloads,
      builds: loaded.builds,
      close: () => (closed ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The handler dev serves: your own, rebuilt on change, or the built-in items API. */
async function loadServed(
  settings: Settings,
  env: Record<string, string>,
  dynamo: LocalDynamo,
  bundleDir: string,
  options: DevServerOptions,
  log: (line: string) => void,
): Promise<Loaded & { close?: () => Promise<void> }> {
  if (settings.handler !== undefined) {
    return loadCustomHandler({
      entry: settings.handler,
      outDir: bundleDir,
      env,
      dynamoEndpoint: dynamo.endpoint,
      notice: options.notice ?? (() => undefined),
    });
  }
  const handlerModule = await loadHandler(bundleDir);
  const handler = handlerModule.createHandler({ clientConfig: dynamo.clientConfig, env, log });
  return {
    handler: () => handler,
    gatewayError: (status, code, message) =>
      fromProxyResult(handlerModule.errorResult(status, code, message, env.CORS_ORIGIN ?? "*")),
    builds: () => 1,
  };
}

/** Listens, or fails with the reason (e.g. EADDRINUSE). */
async function listen(server: Server, port: number, host: string): Promise<void> {
  // Defaults (5 s keep-alive) outlive quick test runs; closeAllConnections covers the rest.
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/**
 * Reloads the config file when it changes: new routes are served at once; what needs a new
 * handler or table is named, to restart for. Returns the cleanup that stops watching.
 */
function watchConfig(
  config: NonNullable<DevServerOptions["config"]>,
  settings: Settings,
  served: { routes: ReturnType<typeof effectiveRoutes>; specs: RouteSpec[]; configReloads: number },
  options: DevServerOptions,
): () => Promise<void> {
  const notice = options.notice ?? (() => undefined);
  const name = path.basename(config.file);
  const watcher = watchFile(config.file, async () => {
    let next;
    try {
      next = { ...DEFAULT_SETTINGS, ...(await config.load()) };
    } catch (err) {
      const why = err instanceof UserError ? err.message : String(err);
      notice(`config not reloaded, still serving the last good one: ${why}`);
      return;
    }
    const nextRoutes = effectiveRoutes(next.routes, next.handler !== undefined);
    const restart = (
      ["handler", "table", "environment", "secrets", "corsOrigin", "logLevel"] as const
    ).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(settings[k]));
    const key = (rs: typeof nextRoutes) => rs.map((r) => `${r.method} ${r.path}`).join(", ");
    if (key(nextRoutes) !== key(served.routes) && next.handler === settings.handler) {
      served.routes = nextRoutes;
      served.specs = routeSpecs(nextRoutes);
      served.configReloads++;
      notice(`reloaded ${name}: ${key(nextRoutes)}`);
    }
    if (restart.length) notice(`${name}: ${restart.join(", ")} changed; restart dev to apply`);
  });
  return async () => watcher.close();
}

/**
 * Bundles handler/index.ts with the deploy settings (handlerBuildOptions) into a private temp
 * directory and imports it: the same path works from dist/ (Node cannot import .ts) and from
 * source under vitest. Where dev genuinely differs:
 * - the target is the Node running the CLI, not the configured Lambda runtime, since that is what
 *   executes the bundle here;
 * - the output is written to a file to import, not kept in memory to zip;
 * - the external AWS SDK is pinned to this package's own copy by absolute path, because nothing
 *   resolves bare imports from a temp directory (Lambda's runtime provides the SDK instead). It
 *   also shares the loaded modules with the CLI.
 */
async function loadHandler(outDir: string): Promise<HandlerModule> {
  const entry = fileURLToPath(new URL("../../handler/index.ts", import.meta.url));
  const require = createRequire(entry);
  const pinSdk: Plugin = {
    name: "pin-aws-sdk",
    setup(b) {
      b.onResolve({ filter: /^@aws-sdk\// }, (args) => {
        const file = require.resolve(args.path);
        // import needs a URL; the banner's require() takes a path.
        return {
          path: args.kind === "require-call" ? file : pathToFileURL(file).href,
          external: true,
        };
      });
    },
  };
  const outfile = join(outDir, "handler.mjs");
  const localRuntime = `nodejs${process.versions.node.split(".")[0]}.x`;
  await build({ ...handlerBuildOptions(entry, localRuntime), outfile, plugins: [pinSdk] });
  return (await import(pathToFileURL(outfile).href)) as HandlerModule;
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  app: Loaded & { specs: readonly RouteSpec[]; custom: boolean; guard: Guard },
  log: (line: string) => void,
): Promise<void> {
  const { gatewayError } = app;
  const send = (res: ServerResponse, out: RawResponse) => sendTo(res, out, req, app.guard);
  // DNS rebinding: a web page whose name now points at 127.0.0.1 would reach the API with its
  // own name in Host; only this machine's names (or the address dev was told to bind) get in.
  if (!hostAllowed(req.headers.host, app.guard.boundHost)) {
    req.resume();
    send(
      res,
      gatewayError(
        403,
        "Forbidden",
        `dev answers requests to localhost, 127.0.0.1, [::1] or the --host it listens on, not ${req.headers.host ?? ""}`,
      ),
    );
    return;
  }
  const url = new URL(req.url ?? "/", "http://localhost");
  const method = req.method ?? "GET";
  const route = matchRoute(app.specs, url.pathname);
  // API Gateway answers a path (or, for your own routes, a method) it has no route for itself,
  // without invoking the function. The built-in handler answers other methods with a 405.
  const methodKnown =
    !app.custom ||
    (route !== undefined && (route.methods.includes("ANY") || route.methods.includes(method)));
  if (!route || !methodKnown) {
    req.resume();
    if (app.custom)
      send(res, gatewayError(403, "MissingAuthenticationToken", "Missing Authentication Token"));
    else send(res, gatewayError(404, "NotFound", `no such resource: ${url.pathname}`));
    return;
  }
  const body = await readBody(req);
  if (body === undefined) {
    send(
      res,
      gatewayError(413, "PayloadTooLarge", `request body exceeds ${MAX_REQUEST_BYTES} bytes`),
    );
    return;
  }
  const requestId = randomUUID();
  const event = toProxyEvent(
    {
      method,
      url: req.url ?? "/",
      rawHeaders: req.rawHeaders,
      body,
      sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
      requestId,
      now: new Date(),
      stage: STAGE,
    },
    route,
  );
  let result: APIGatewayProxyResult;
  try {
    result = await app.handler()(event, lambdaContext(requestId));
  } catch (err) {
    // API Gateway turns a function error into a bare 502; the handler is built never to throw.
    log(JSON.stringify({ level: "error", msg: "handler threw", requestId, error: String(err) }));
    send(res, internalError(gatewayError, requestId));
    return;
  }
  send(res, fromProxyResult(result));
}

/** What dev lets in: requests to this machine's names, and browsers of the origins it trusts. */
interface Guard {
  /** The address it listens on (--host). */
  readonly boundHost: string;
  /** The configured corsOrigin: "*" by default. */
  readonly corsOrigin: string;
}

/** Host without its port; brackets of an IPv6 literal removed. */
function hostnameOf(host: string): string {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(host) ?? /^([^:]+)(?::\d+)?$/.exec(host);
  return (m?.[1] ?? host).toLowerCase();
}

const isLoopbackName = (h: string) =>
  h === "localhost" ||
  h.endsWith(".localhost") ||
  h === "::1" ||
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);

export function hostAllowed(host: string | undefined, boundHost: string): boolean {
  // HTTP/1.0 clients may send none; a browser always does.
  if (host === undefined) return true;
  const h = hostnameOf(host);
  return isLoopbackName(h) || h === hostnameOf(boundHost);
}

/**
 * The Access-Control-Allow-Origin dev sends. A page on this machine (any port) gets its own
 * origin back. Otherwise a configured corsOrigin is sent as up deploys it, but never the default
 * "*": the local API has no authentication, and any site the developer visits could use it.
 */
export function allowedOrigin(
  origin: string | undefined,
  corsOrigin: string,
  fromHandler: string | undefined,
): string | undefined {
  if (origin !== undefined) {
    try {
      const u = new URL(origin);
      if ((u.protocol === "http:" || u.protocol === "https:") && isLoopbackName(hostnameOf(u.host)))
        return origin;
    } catch {
      // Not a URL ("null" from a sandboxed page or a file): not trusted.
    }
  }
  return corsOrigin !== "*" && fromHandler !== "*" ? fromHandler : undefined;
}

function sendTo(res: ServerResponse, out: RawResponse, req: IncomingMessage, guard: Guard): void {
  const isAcao = (name: string) => name.toLowerCase() === "access-control-allow-origin";
  const fromHandler = Object.entries(out.headers).find(([name]) => isAcao(name))?.[1][0];
  const origin = allowedOrigin(req.headers.origin, guard.corsOrigin, fromHandler);
  const headers = Object.fromEntries(Object.entries(out.headers).filter(([name]) => !isAcao(name)));
  if (origin !== undefined) {
    headers["Access-Control-Allow-Origin"] = [origin];
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "vary")) headers.Vary = ["Origin"];
  }
  send(res, { ...out, headers });
}

/**
 * Calls `changed` after a save of `file` (editors write in steps, or replace the file: its
 * directory is watched, and the events of one save are taken together), one call at a time.
 */
function watchFile(file: string, changed: () => Promise<void>): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let closed = false;
  const name = path.basename(file);
  const watcher = watch(path.dirname(file), (_event, f) => {
    if (closed || (f !== null && f.toString() !== name)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(() => (closed ? undefined : changed())).catch(() => undefined);
    }, 50);
  });
  watcher.on("error", () => undefined);
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}

function send(res: ServerResponse, out: RawResponse): void {
  for (const [name, values] of Object.entries(out.headers)) res.setHeader(name, values);
  res.setHeader("Content-Length", out.body.length);
  res.statusCode = out.status;
  res.end(out.body);
}

/** API Gateway answers a function error with a 502; like a 500, it shows only the request id. */
function internalError(gatewayError: GatewayError, requestId: string): RawResponse {
  return gatewayError(502, "InternalError", `Internal server error (request id ${requestId})`);
}

/** Resolves undefined once the body passes the limit, without buffering the rest. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function lambdaContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "dev",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:dev",
    memoryLimitInMB: "256",
    awsRequestId: requestId,
    logGroupName: "/aws/lambda/dev",
    logStreamName: "dev",
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

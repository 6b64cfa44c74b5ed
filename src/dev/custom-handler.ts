import { watch, type FSWatcher } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { context, type BuildContext, type Metafile, type Plugin } from "esbuild";
import { UserError } from "../errors.js";
import { describeBuildError, handlerBuildOptions } from "../package/bundle.js";
import type { Handler, RawResponse } from "./event.js";

export interface CustomHandlerOptions {
  /** The entry module (absolute). */
  readonly entry: string;
  /** A private directory for the builds. */
  readonly outDir: string;
  /** The function's environment as up deploys it (TABLE_NAME pointing at the local table). */
  readonly env: Record<string, string>;
  /** The local DynamoDB the handler's SDK client is sent to. */
  readonly dynamoEndpoint: string;
  /** One line per reload, or per build error. */
  readonly notice: (line: string) => void;
}

export interface CustomHost {
  readonly handler: () => Handler;
  readonly gatewayError: (status: number, code: string, message: string) => RawResponse;
  readonly builds: () => number;
  close(): Promise<void>;
}

/** After the first event of a save, the others of the same save (editors write in steps). */
const DEBOUNCE_MS = 25;

/**
 * Serves a handler of your own: bundled as `up` bundles it, run in this process with the
 * function's environment, its DynamoDB client sent to the local table; rebuilt and reloaded when
 * one of its sources changes. A build that fails keeps the last good one serving.
 */
export async function loadCustomHandler(o: CustomHandlerOptions): Promise<CustomHost> {
  const restoreEnv = setEnvironment(localEnvironment(o));
  const localRuntime = `nodejs${process.versions.node.split(".")[0]}.x`;
  let ctx: BuildContext<{ write: false; metafile: true }> | undefined;
  const sources = new SourceWatcher(() => rebuilds.schedule());
  const rebuilds = new SerialRebuilds(async () => {
    const t0 = performance.now();
    try {
      const next = await load();
      current = next.handler;
      sources.watch(next.inputs);
      o.notice(
        `reloaded ${path.relative(process.cwd(), o.entry) || o.entry} in ${Math.round(performance.now() - t0)} ms`,
      );
    } catch (err) {
      const why = err instanceof UserError ? err.message : describeBuildError(err);
      o.notice(`build failed, still serving the last good build: ${why}`);
    }
  });
  let builds = 0;
  const load = async (): Promise<{ handler: Handler; inputs: string[] }> => {
    const result = await ctx!.rebuild();
    const out = result.outputFiles.find((f) => f.path.endsWith(".mjs"));
    if (!out) throw new Error("esbuild produced no output");
    const file = path.join(o.outDir, `handler-${builds + 1}.mjs`);
    await writeFile(file, out.contents);
    const mod = (await import(pathToFileURL(file).href)) as { handler?: unknown };
    if (typeof mod.handler !== "function") {
      throw new UserError(`The handler ${o.entry} does not export a "handler" function.`, {
        hint: "Lambda calls index.handler: add `export const handler = async (event) => { … }`.",
      });
    }
    builds++;
    return { handler: mod.handler as Handler, inputs: sourcesOf(result.metafile) };
  };
  let current: Handler;
  try {
    ctx = await context({
      ...handlerBuildOptions(o.entry, localRuntime),
      write: false,
      metafile: true,
      outfile: path.join(o.outDir, "handler.mjs"),
      plugins: [pinSdk(o.entry)],
    });
    let first;
    try {
      first = await load();
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw new UserError(`Cannot bundle the handler: ${describeBuildError(err)}`, {
        hint: `Fix the handler (the "handler" entry of the config file names it), then start dev again.`,
      });
    }
    current = first.handler;
    sources.watch(first.inputs);
    return {
      handler: () => current,
      gatewayError,
      builds: () => builds,
      async close() {
        sources.close();
        await rebuilds.close();
        await ctx?.dispose();
        restoreEnv();
      },
    };
  } catch (err) {
    sources.close();
    await rebuilds.close();
    await ctx?.dispose();
    restoreEnv();
    throw err;
  }
}

/** The handler's environment in dev: the function's, with the SDK sent to the local table. */
function localEnvironment(o: CustomHandlerOptions): Record<string, string> {
  return {
    ...o.env,
    // The SDK's service-specific endpoint variable: the handler's own DynamoDB client needs no
    // change to reach the local table.
    AWS_ENDPOINT_URL_DYNAMODB: o.dynamoEndpoint,
    ...(process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION
      ? {}
      : { AWS_REGION: "us-east-1" }),
    // The local table takes any credentials; yours, if set, stay.
    ...(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE
      ? {}
      : { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" }),
  };
}

/**
 * Rebuilds run one at a time, after the last event of a save; a change during one asks for
 * another after it.
 */
class SerialRebuilds {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly rebuild: () => Promise<void>) {}

  schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.running) {
        this.again = true;
        return;
      }
      this.running = (async () => {
        do {
          this.again = false;
          await this.rebuild();
        } while (this.again && !this.closed);
        this.running = undefined;
      })();
    }, DEBOUNCE_MS);
  }

  /** No rebuild starts after this; the one running finishes. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }
}

/** Each directory holding a source, watched for changes to the files the bundle read. */
class SourceWatcher {
  private readonly watched = new Map<string, { watcher: FSWatcher; files: Set<string> }>();

  constructor(private readonly changed: () => void) {}

  /** Watches exactly the directories of these files (the last build's inputs). */
  watch(inputs: readonly string[]): void {
    const byDir = new Map<string, Set<string>>();
    for (const f of inputs) {
      const set = byDir.get(path.dirname(f)) ?? new Set<string>();
      set.add(path.basename(f));
      byDir.set(path.dirname(f), set);
    }
    for (const [dir, w] of this.watched) {
      if (!byDir.has(dir)) {
        w.watcher.close();
        this.watched.delete(dir);
      }
    }
    for (const [dir, files] of byDir) {
      const existing = this.watched.get(dir);
      if (existing) {
        existing.files = files;
        continue;
      }
      const entry = { watcher: undefined as unknown as FSWatcher, files };
      try {
        entry.watcher = watch(dir, (_event, name) => {
          if (name === null || entry.files.has(name.toString())) this.changed();
        });
        entry.watcher.on("error", () => undefined);
        this.watched.set(dir, entry);
      } catch {
        // A directory that went away: the next build names what is missing.
      }
    }
  }

  close(): void {
    for (const w of this.watched.values()) w.watcher.close();
    this.watched.clear();
  }
}

/** API Gateway's own answers: {"message": …}, as a REST API sends them. */
function gatewayError(status: number, code: string, message: string): RawResponse {
  return {
    status,
    headers: {
      "content-type": ["application/json"],
      "x-amzn-ErrorType": [code.endsWith("Exception") ? code : `${code}Exception`],
    },
    body: Buffer.from(JSON.stringify({ message })),
  };
}

/** The files of the project the bundle was built from (not node_modules), absolute. */
function sourcesOf(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs)
    .filter((f) => !f.includes("node_modules") && !f.includes(":"))
    .map((f) => path.resolve(process.cwd(), f));
}

/**
 * The AWS SDK stays external, as in the deployed bundle; nothing resolves a bare import from the
 * build directory, so each is pinned by path: the project's own copy if it has one, else this
 * package's.
 */
function pinSdk(entry: string): Plugin {
  const fromProject = createRequire(entry);
  const fromHere = createRequire(fileURLToPath(import.meta.url));
  return {
    name: "pin-aws-sdk",
    setup(b) {
      b.onResolve({ filter: /^@aws-sdk\// }, (args) => {
        let file: string;
        try {
          file = fromProject.resolve(args.path);
        } catch {
          file = fromHere.resolve(args.path);
        }
        return {
          path: args.kind === "require-call" ? file : pathToFileURL(file).href,
          external: true,
        };
      });
    },
  };
}

/** Sets variables in this process; the returned function puts back what was there. */
function setEnvironment(vars: Record<string, string>): () => void {
  const before = new Map(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of before) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

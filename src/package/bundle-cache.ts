import { createHash, randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * The handler's bundle, kept between runs: a no-op `up` or `status` then reads the handler's
 * sources instead of running esbuild (about 200 ms of a run that otherwise waits on three round
 * trips). An entry is used only when every file the build read still has the content it had:
 * each source and module esbuild bundled, and the package.json and tsconfig.json files beside
 * and above them, which decide how imports resolve. Anything else is a miss, and a miss only
 * costs the build. SERVERLESS_AUTOMATION_BUNDLE_CACHE=off turns it off.
 */

/** What was built, and what it was built from. */
export interface CachedBundle {
  readonly code: Uint8Array;
  /** The names the bundle exports (the handler must export `handler`). */
  readonly exports: readonly string[];
}

interface Entry {
  readonly version: 1;
  /** Absolute path → sha256 (hex) of its content when the bundle was built. */
  readonly inputs: Readonly<Record<string, string>>;
  readonly exports: readonly string[];
}

/** Where entries live: the user's cache directory, private to them. */
export function cacheDir(env: Record<string, string | undefined>): string | undefined {
  if (/^(off|0|false|no)$/i.test(env.SERVERLESS_AUTOMATION_BUNDLE_CACHE ?? "")) return undefined;
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "serverless-automation", "bundles");
}

/** The entry's name: everything the build depends on other than the files it reads. */
export function cacheKey(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");

/** The bundle built from exactly these files before, or undefined. Never throws. */
export async function readCached(
  dir: string | undefined,
  key: string,
): Promise<CachedBundle | undefined> {
  if (dir === undefined) return undefined;
  try {
    const entry = JSON.parse(await fs.readFile(path.join(dir, `${key}.json`), "utf8")) as Entry;
    if (entry.version !== 1) return undefined;
    const same = await Promise.all(
      Object.entries(entry.inputs).map(async ([file, hash]) => {
        try {
          return sha256(await fs.readFile(file)) === hash;
        } catch {
          return false;
        }
      }),
    );
    if (!same.every(Boolean)) return undefined;
    const code = await fs.readFile(path.join(dir, `${key}.mjs`));
    return { code, exports: entry.exports };
  } catch {
    return undefined;
  }
}

/**
 * Keeps a bundle with the files it was built from (inputs: as esbuild's metafile names them,
 * relative to cwd). Best effort: a cache that cannot be written is no error.
 */
export async function writeCached(
  dir: string | undefined,
  key: string,
  cwd: string,
  inputs: readonly string[],
  bundle: CachedBundle,
): Promise<void> {
  if (dir === undefined) return;
  try {
    const files = new Set(inputs.map((f) => path.resolve(cwd, f)));
    for (const f of [...files]) for (const c of await configsAbove(path.dirname(f))) files.add(c);
    const hashes: Record<string, string> = {};
    for (const f of files) hashes[f] = sha256(await fs.readFile(f));
    const entry: Entry = { version: 1, inputs: hashes, exports: [...bundle.exports] };
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    // The code first, then the entry that makes it count: a crash leaves no entry without code.
    await atomicWrite(path.join(dir, `${key}.mjs`), bundle.code);
    await atomicWrite(path.join(dir, `${key}.json`), JSON.stringify(entry));
    await prune(dir);
  } catch {
    // A read-only or full disk: the next run builds again.
  }
}

/**
 * The zip made of a bundle before, or undefined. A zip is a function of the bundle's bytes alone
 * (deterministicZip), so the bundle's hash names it. Never throws.
 */
export async function readCachedZip(
  dir: string | undefined,
  code: Uint8Array,
): Promise<Buffer | undefined> {
  if (dir === undefined) return undefined;
  try {
    return await fs.readFile(zipFile(dir, code));
  } catch {
    return undefined;
  }
}

/** Keeps the zip of a bundle (best effort, like writeCached). */
export async function writeCachedZip(
  dir: string | undefined,
  code: Uint8Array,
  zip: Uint8Array,
): Promise<void> {
  if (dir === undefined) return;
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await atomicWrite(zipFile(dir, code), zip);
    await prune(dir, ".zip");
  } catch {
    // A read-only or full disk: the next run zips again.
  }
}

function zipFile(dir: string, code: Uint8Array): string {
  return path.join(dir, `${sha256(code)}.zip`);
}

/** How many bundles (and zips) are kept: the most recently written ones (a few MB in all). */
export const CACHE_ENTRIES = 32;

/**
 * How old a temporary file must be before pruning takes it for the leftover of a run killed while
 * it wrote (a run writing now has one a few milliseconds old).
 */
export const STALE_TEMPORARY_MS = 10 * 60_000;

/**
 * Removes all but the CACHE_ENTRIES newest entries (bundles: .json; zips: .zip), and the
 * temporary files of runs killed halfway through a write.
 */
async function prune(dir: string, ext: ".json" | ".zip" = ".json"): Promise<void> {
  const all = await fs.readdir(dir);
  const now = Date.now();
  for (const n of all.filter((f) => f.endsWith(".tmp"))) {
    const file = path.join(dir, n);
    const at = await fs.stat(file).then(
      (st) => st.mtimeMs,
      () => now,
    );
    if (now - at > STALE_TEMPORARY_MS) await fs.rm(file, { force: true });
  }
  const names = all.filter((n) => n.endsWith(ext));
  if (names.length <= CACHE_ENTRIES) return;
  const dated = await Promise.all(
    names.map(async (n) => ({ n, at: (await fs.stat(path.join(dir, n))).mtimeMs })),
  );
  dated.sort((a, b) => b.at - a.at);
  for (const { n } of dated.slice(CACHE_ENTRIES)) {
    if (ext === ".zip") {
      await fs.rm(path.join(dir, n), { force: true });
      continue;
    }
    const key = n.slice(0, -".json".length);
    // The entry first: without it, its code is never read.
    await fs.rm(path.join(dir, n), { force: true });
    await fs.rm(path.join(dir, `${key}.mjs`), { force: true });
  }
}

const seen = new Map<string, string[]>();

/** The package.json and tsconfig.json files in a directory and every one above it. */
async function configsAbove(dir: string): Promise<string[]> {
  const known = seen.get(dir);
  if (known) return known;
  const here: string[] = [];
  for (const name of ["package.json", "tsconfig.json"]) {
    const file = path.join(dir, name);
    try {
      if ((await fs.stat(file)).isFile()) here.push(file);
    } catch {
      // none here
    }
  }
  const parent = path.dirname(dir);
  const all = parent === dir ? here : [...here, ...(await configsAbove(parent))];
  seen.set(dir, all);
  return all;
}

async function atomicWrite(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await fs.writeFile(tmp, data, { mode: 0o600 });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

import { mkdtempSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CACHE_ENTRIES, STALE_TEMPORARY_MS } from "../../src/package/bundle-cache.js";
import { bundleHandler } from "../../src/package/bundle.js";

/**
 * The handler's bundle is kept between runs and used only while every file it was built from is
 * unchanged: an edit to the entry, to a module it imports, or to a package.json above them is
 * built again.
 */

let cache: string;
let dir: string;
const saved = { ...process.env };

beforeEach(async () => {
  cache = mkdtempSync(path.join(os.tmpdir(), "sa-cache-"));
  process.env.XDG_CACHE_HOME = cache;
  delete process.env.SERVERLESS_AUTOMATION_BUNDLE_CACHE;
  dir = mkdtempSync(path.join(os.tmpdir(), "sa-src-"));
  await fs.writeFile(path.join(dir, "word.ts"), 'export const word = "one";\n');
  await fs.writeFile(
    path.join(dir, "api.ts"),
    'import { word } from "./word";\nexport const handler = async () => ({ statusCode: 200, body: word });\n',
  );
});
afterEach(() => {
  process.env = { ...saved };
});

const bundle = async () =>
  Buffer.from(await bundleHandler(path.join(dir, "api.ts"), "nodejs22.x", true, dir)).toString();
const entries = async () =>
  (await fs.readdir(path.join(cache, "serverless-automation", "bundles"))).filter((n) =>
    n.endsWith(".mjs"),
  );

/** Replaces the cached code with a marker: a bundle served from the cache shows it. */
async function markCached(): Promise<void> {
  const [code] = await entries();
  await fs.writeFile(
    path.join(cache, "serverless-automation", "bundles", code ?? ""),
    "// from the cache\nexport const handler = 1;\n",
  );
}

describe("the handler's bundle cache", () => {
  it("serves the same sources from the cache, private to the user", async () => {
    expect(await bundle()).toContain('"one"');
    const bundles = path.join(cache, "serverless-automation", "bundles");
    expect((await fs.stat(bundles)).mode & 0o777).toBe(0o700);
    await markCached();
    expect(await bundle()).toContain("from the cache");
  });

  it("builds again when a module the entry imports changes", async () => {
    await bundle();
    await markCached();
    await fs.writeFile(path.join(dir, "word.ts"), 'export const word = "two";\n');
    const code = await bundle();
    expect(code).toContain('"two"');
    expect(code).not.toContain("from the cache");
  });

  it("builds again when a package.json above the sources changes", async () => {
    await fs.writeFile(path.join(dir, "package.json"), '{"type":"module"}\n');
    await bundle();
    await markCached();
    await fs.writeFile(path.join(dir, "package.json"), '{"type":"module","sideEffects":false}\n');
    expect(await bundle()).not.toContain("from the cache");
  });

  it("a cached bundle still has to export handler", async () => {
    await bundle();
    await fs.writeFile(path.join(dir, "api.ts"), "export const other = 1;\n");
    await expect(bundle()).rejects.toThrow(/does not export "handler"/);
    await fs.writeFile(
      path.join(dir, "api.ts"),
      'import { word } from "./word";\nexport const handler = async () => ({ statusCode: 200, body: word });\n',
    );
    await markCached();
    expect(await bundle()).toContain("from the cache");
  });

  it("SERVERLESS_AUTOMATION_BUNDLE_CACHE=off: always built, nothing kept", async () => {
    process.env.SERVERLESS_AUTOMATION_BUNDLE_CACHE = "off";
    expect(await bundle()).toContain('"one"');
    await expect(entries()).rejects.toThrow(/ENOENT/);
  });

  it(`keeps the ${CACHE_ENTRIES} newest bundles`, async () => {
    for (let n = 0; n < CACHE_ENTRIES + 3; n++) {
      await fs.writeFile(path.join(dir, "word.ts"), `export const word = "${n}";\n`);
      // A new cwd per run: a new entry each time.
      const cwd = mkdtempSync(path.join(os.tmpdir(), "sa-cwd-"));
      await bundleHandler(path.join(dir, "api.ts"), "nodejs22.x", true, cwd);
    }
    expect(await entries()).toHaveLength(CACHE_ENTRIES);
  });

  it("removes what a run killed while it wrote left behind, not what a run writing now has", async () => {
    const bundles = path.join(cache, "serverless-automation", "bundles");
    await fs.mkdir(bundles, { recursive: true });
    const stale = path.join(bundles, "a.mjs.0123456789ab.tmp");
    const fresh = path.join(bundles, "b.mjs.ba9876543210.tmp");
    await fs.writeFile(stale, "half");
    await fs.writeFile(fresh, "half");
    const then = new Date(Date.now() - STALE_TEMPORARY_MS - 60_000);
    await fs.utimes(stale, then, then);
    await bundle();
    const left = await fs.readdir(bundles);
    expect(left).not.toContain(path.basename(stale));
    expect(left).toContain(path.basename(fresh));
    expect(left.filter((n) => n.endsWith(".mjs"))).toHaveLength(1);
  });
});

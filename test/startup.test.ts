import { mkdtempSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type * as Archiver from "archiver";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resolveConfig, resourceNames, stackTags, type Settings } from "../src/config.js";
import type { StackState } from "../src/state/store.js";
import { buildArtifact, clientsOf } from "../src/ops/session.js";
import { desiredStack, type StackPurpose } from "../src/stack.js";

/**
 * What a run loads before its first AWS call: only the SDK clients of the resources its stack
 * has (or its state records), and no zip library when the handler's zip is cached.
 */

const zipsMade = vi.hoisted(() => ({ count: 0 }));
vi.mock("archiver", async (importOriginal) => {
  const real = await importOriginal<typeof Archiver>();
  class CountedZip extends real.ZipArchive {
    constructor(...args: ConstructorParameters<typeof real.ZipArchive>) {
      super(...args);
      zipsMade.count++;
    }
  }
  return { ...real, ZipArchive: CountedZip };
});

const ARTIFACT = { zip: Buffer.from("zip"), sha256Hex: "00", sha256Base64: "AA==" };

function clientsFor(
  settings: Partial<Settings>,
  purpose: StackPurpose,
  stored?: StackState,
): string[] {
  const config = resolveConfig({ region: "us-east-1", settings }, {}, "/tmp", undefined);
  const account = "123456789012";
  const specs = desiredStack({
    ...purpose,
    config,
    names: resourceNames({ ...config, account }),
    account,
    region: config.region,
    partition: "aws",
    tags: stackTags(config),
  });
  return clientsOf(specs, stored).sort();
}

const DEFAULT_STACK = [
  "apigateway",
  "cloudwatch",
  "dynamodb",
  "iam",
  "lambda",
  "logs",
  "s3",
  "sts",
];

describe("the SDK clients a run loads", () => {
  it("the default stack: its eight services, no WAF, KMS or SNS", () => {
    expect(clientsFor({}, { purpose: "deploy", artifact: ARTIFACT })).toEqual(DEFAULT_STACK);
  });

  it("a web ACL brings WAF's client, an alarm address KMS's and SNS's", () => {
    expect(clientsFor({ waf: true }, { purpose: "deploy", artifact: ARTIFACT })).toEqual(
      [...DEFAULT_STACK, "wafv2"].sort(),
    );
    expect(
      clientsFor({ alarmEmail: "ops@example.com" }, { purpose: "deploy", artifact: ARTIFACT }),
    ).toEqual([...DEFAULT_STACK, "kms", "sns"].sort());
  });

  it("down looks for every resource the stack may have: every client", () => {
    expect(clientsFor({}, { purpose: "teardown" })).toEqual(
      [...DEFAULT_STACK, "kms", "sns", "wafv2"].sort(),
    );
  });

  it("a resource the state records and the stack no longer wants: its client, to delete it", () => {
    const stored = {
      resources: { webAcl: { kind: "wafv2-web-acl", id: "acl", outputs: {} } },
    } as unknown as StackState;
    expect(clientsFor({}, { purpose: "deploy", artifact: ARTIFACT }, stored)).toEqual(
      [...DEFAULT_STACK, "wafv2"].sort(),
    );
  });
});

describe("the handler's zip", () => {
  const saved = { ...process.env };
  let cache: string;
  let entry: string;
  beforeEach(async () => {
    cache = mkdtempSync(path.join(os.tmpdir(), "sa-zip-cache-"));
    process.env.XDG_CACHE_HOME = cache;
    delete process.env.SERVERLESS_AUTOMATION_BUNDLE_CACHE;
    const dir = mkdtempSync(path.join(os.tmpdir(), "sa-zip-src-"));
    entry = path.join(dir, "api.ts");
    await fs.writeFile(entry, "export const handler = async () => ({ statusCode: 200 });\n");
    zipsMade.count = 0;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it("is made once: the next run reads the same bytes from the cache", async () => {
    const first = await buildArtifact(entry, "nodejs22.x", true, path.dirname(entry));
    expect(zipsMade.count).toBe(1);
    const again = await buildArtifact(entry, "nodejs22.x", true, path.dirname(entry));
    expect(zipsMade.count).toBe(1);
    expect(again.zip.equals(first.zip)).toBe(true);
    expect(again.sha256Hex).toBe(first.sha256Hex);
    expect(again.sha256Base64).toBe(first.sha256Base64);
    const kept = await fs.readdir(path.join(cache, "serverless-automation", "bundles"));
    const zips = kept.filter((n) => n.endsWith(".zip"));
    expect(zips).toHaveLength(1);
    const mode = (await fs.stat(path.join(cache, "serverless-automation", "bundles", zips[0]!)))
      .mode;
    expect(mode & 0o777).toBe(0o600);
  });

  it("a changed handler is zipped again; with the cache off, every run zips", async () => {
    await buildArtifact(entry, "nodejs22.x", true, path.dirname(entry));
    await fs.writeFile(entry, "export const handler = async () => ({ statusCode: 201 });\n");
    const changed = await buildArtifact(entry, "nodejs22.x", true, path.dirname(entry));
    expect(zipsMade.count).toBe(2);
    process.env.SERVERLESS_AUTOMATION_BUNDLE_CACHE = "off";
    const uncached = await buildArtifact(entry, "nodejs22.x", true, path.dirname(entry));
    expect(zipsMade.count).toBe(3);
    // The same bytes either way: the zip is a function of the bundle alone.
    expect(uncached.sha256Hex).toBe(changed.sha256Hex);
  });
});

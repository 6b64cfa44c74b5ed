import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FakeAccount } from "../fake-aws/index.js";
import { world, type World } from "../helpers.js";

export const ACCOUNT = "123456789012";
export const STACK = "serverless-automation-production";

/**
 * A tiny handler to bundle: the reliability tests exercise the control plane, and bundling the
 * real handler on every one of dozens of runs would only make them slow.
 */
export function tinyHandler(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sa-handler-"));
  const entry = path.join(dir, "index.ts");
  writeFileSync(entry, "export const handler = async () => ({ statusCode: 200, body: 'ok' });\n");
  return entry;
}

/**
 * A fresh world whose async windows (IAM propagation, table CREATING, function Pending…) are a
 * few ms: still there, so every wait and retry path runs, but dozens of runs stay fast. Tests
 * about a window set it longer themselves.
 */
export function quickWorld(): World {
  const w = world();
  w.fake.iam.timings.propagationMs = 5;
  w.fake.dynamodb.timings = { creatingMs: 5, updatingMs: 5, deletingMs: 5, backupsDelayMs: 3 };
  w.fake.lambda.timings = { pendingMs: 5, updatingMs: 5 };
  return w;
}

/** Longer than every quickWorld window: the fake settles lazily, on the next read after it. */
export const SETTLE_MS = 15;

/** A pid that belonged to a process that has exited: what a crashed run leaves in its lock. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  if (child.pid === undefined) throw new Error("could not spawn a process to get a dead pid");
  return child.pid;
}

/** The lock file a process killed mid-run leaves behind (same host, pid no longer running). */
export function writeDeadLock(statePath: string, pid = deadPid()): number {
  writeFileSync(
    `${statePath}.lock`,
    JSON.stringify({
      pid,
      hostname: os.hostname(),
      command: "up",
      startedAt: "2026-01-01T00:00:00.000Z",
    }),
  );
  return pid;
}

/** Every service object of the fake account (anything with a name and operations). */
function services(fake: FakeAccount): [string, Record<string, unknown>][] {
  return Object.values(fake)
    .filter(
      (v): v is Record<string, unknown> & { name: string } =>
        typeof v === "object" &&
        v !== null &&
        typeof (v as { name?: unknown }).name === "string" &&
        typeof (v as { operations?: unknown }).operations === "object",
    )
    .map((s) => [s.name, s]);
}

/**
 * How many resources of each type the fake account holds, e.g. {"S3.buckets": 1,
 * "IAM.roles": 1}: every Map a fake service keeps (so services added later are counted too),
 * plus the object versions inside buckets, which a retried upload would multiply.
 */
export function inventory(fake: FakeAccount): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, svc] of services(fake)) {
    for (const [field, value] of Object.entries(svc)) {
      if (value instanceof Map) out[`${name}.${field}`] = value.size;
    }
  }
  let versions = 0;
  for (const b of fake.s3.buckets.values()) {
    for (const v of b.objects.values()) versions += v.length;
  }
  out["S3.objectVersions"] = versions;
  return out;
}

/** True when the account holds nothing at all (no resource of any type). */
export function nonEmpty(fake: FakeAccount): Record<string, number> {
  return Object.fromEntries(Object.entries(inventory(fake)).filter(([, n]) => n > 0));
}

// Fields that differ between two correct deployments: timestamps, AWS-chosen ids, counters.
const VOLATILE = /^(id|[a-z]\w*Id|\w*At|\w*Time|revision|lastModified|timestamp|events)$/;

/**
 * Every resource the fake holds with its properties, minus what legitimately differs between
 * two correct deployments (timestamps, generated ids, revision counters), in a stable order:
 * two accounts that hold the same stack give equal snapshots.
 */
export function snapshot(fake: FakeAccount): Record<string, unknown> {
  const ids = new Set<string>();
  const collect = (v: unknown): void => {
    if (v instanceof Map) return [...v.values()].forEach(collect);
    if (Array.isArray(v)) return v.forEach(collect);
    if (typeof v === "object" && v !== null && !(v instanceof Uint8Array)) {
      for (const [k, x] of Object.entries(v)) {
        if (VOLATILE.test(k) && typeof x === "string" && x.length >= 4) ids.add(x);
        collect(x);
      }
    }
  };
  const scrub = (s: string): string => {
    let out = s;
    for (const id of ids) out = out.split(id).join("<id>");
    // Times written into text (the live alias's description says since when).
    return out.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>");
  };
  const norm = (v: unknown, key = ""): unknown => {
    if (v instanceof Uint8Array) return createHash("sha256").update(v).digest("hex");
    if (v instanceof Date) return undefined;
    if (v instanceof Map) {
      return Object.fromEntries(
        [...v.entries()]
          .map(([k, x]) => [scrub(String(k)), norm(x)] as const)
          .sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    if (v instanceof Set) return [...v].map((x) => norm(x)).sort();
    if (Array.isArray(v)) {
      const items = v.map((x) => norm(x));
      // Tag lists are sets; every other list keeps its order.
      return key.toLowerCase() === "tags"
        ? items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
        : items;
    }
    if (typeof v === "string") return scrub(v);
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => !VOLATILE.test(k))
          .map(([k, x]) => [k, norm(x, k)])
          .sort(([a], [b]) => (a as string).localeCompare(b as string)),
      );
    }
    return v;
  };
  const out: Record<string, unknown> = {};
  for (const [, svc] of services(fake)) {
    for (const value of Object.values(svc)) {
      if (value instanceof Map) collect(value);
    }
  }
  for (const [name, svc] of services(fake)) {
    for (const [field, value] of Object.entries(svc)) {
      if (value instanceof Map) out[`${name}.${field}`] = norm(value);
    }
  }
  return out;
}

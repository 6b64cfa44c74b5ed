import { randomBytes } from "node:crypto";
import { readFileSync, promises as fs } from "node:fs";
import path from "node:path";
import { PROJECT } from "../config.js";
import { canonicalJson, sha256Hex } from "../engine/canonical.js";
import type { Step } from "../engine/plan.js";
import { UserError } from "../errors.js";
import { commandLine, type StackFlags } from "../hint.js";
import { fileSystemReason } from "../state/fs-errors.js";

/** What the first field of every plan file says: a file of this kind, not any JSON. */
export const PLAN_FORMAT = `${PROJECT}-plan`;
/** Bumped whenever a plan file's fields change meaning: an older file is refused, not misread. */
export const PLAN_FORMAT_VERSION = 1;

/**
 * A plan as a file (`up --dry-run --out`): what `up --plan` applies exactly, and refuses to
 * apply once anything it rests on has changed. Plain JSON, for a person to review; no secrets
 * (the steps hold props and what was read, never a key's value).
 */
export interface PlanFile {
  readonly format: string;
  readonly formatVersion: number;
  /** The version of the tool that made it: only the same version applies it. */
  readonly toolVersion: string;
  readonly createdAt: string;
  /** The stack it was made for. */
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly stage: string;
  /** Of the resolved settings and the handler bundle's sha256: a code change is a change. */
  readonly configHash: string;
  /** The state's serial when the plan was made (0: no state). */
  readonly stateSerial: number;
  readonly steps: readonly Step[];
}

let version: string | undefined;

/** This tool's version, as its package.json says (the file ships beside dist/ and src/). */
export function toolVersion(): string {
  version ??= (
    JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    }
  ).version;
  return version;
}

/** The hash a plan file names its configuration by: settings and the bundle's sha256. */
export function configHash(settings: unknown, codeSha256: string | undefined): string {
  return `sha256:${sha256Hex(canonicalJson({ settings, codeSha256 }))}`;
}

/** Writes through a temp file and rename: a reader finds the old file or the new one, whole. */
export async function writePlanFile(file: string, plan: PlanFile): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await fs.writeFile(tmp, `${JSON.stringify(plan, null, 2)}\n`, { flag: "wx" });
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw new UserError(`Cannot write the plan file ${file}: ${fileSystemReason(err)}.`, {
      cause: err,
      hint: "Pass --out with a file in a directory you can write to.",
    });
  }
}

/** Reads and checks a plan file (at `resolved`; `file` as given): one this version of the tool wrote, whole. */
export async function readPlanFile(
  resolved: string,
  file: string,
  flags: StackFlags,
): Promise<PlanFile> {
  const again = `Make a new plan with ${commandLine(`up --dry-run --out ${file}`, flags)}.`;
  let text: string;
  try {
    text = await fs.readFile(resolved, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "there is no such file" : fileSystemReason(err);
    // A plan written over a directory fails too: name a file in it instead.
    const hint =
      code === "EISDIR"
        ? `Pass --plan the file a dry run wrote, or make one with ${commandLine(`up --dry-run --out ${path.join(file, "plan.json")}`, flags)}.`
        : again;
    throw new UserError(`Cannot read the plan file ${file}: ${why}.`, { cause: err, hint });
  }
  const notPlan = (why: string) =>
    new UserError(`${file} is not a plan file of ${PROJECT}: ${why}. Nothing was changed.`, {
      hint: `A plan file is what ${commandLine("up --dry-run --out plan.json", flags)} writes.`,
    });
  let v: Partial<PlanFile>;
  try {
    v = JSON.parse(text) as Partial<PlanFile>;
  } catch {
    throw notPlan("it is not valid JSON");
  }
  if (typeof v !== "object" || v === null || v.format !== PLAN_FORMAT) {
    throw notPlan(`it does not say "format": "${PLAN_FORMAT}"`);
  }
  if (v.formatVersion !== PLAN_FORMAT_VERSION) {
    throw new UserError(
      `The plan file ${file} has format version ${String(v.formatVersion)}; this version of ${PROJECT} reads version ${PLAN_FORMAT_VERSION} only. Nothing was changed.`,
      { hint: again },
    );
  }
  if (v.toolVersion !== toolVersion()) {
    throw new UserError(
      `The plan file ${file} was made by ${PROJECT} ${String(v.toolVersion)}, and this is ${toolVersion()}: another version may plan otherwise. Nothing was changed.`,
      { hint: `${again} Or apply it with version ${String(v.toolVersion)}.` },
    );
  }
  for (const field of ["account", "region", "name", "stage", "configHash", "createdAt"] as const) {
    if (typeof v[field] !== "string") throw notPlan(`${field} is missing`);
  }
  if (typeof v.stateSerial !== "number") throw notPlan("stateSerial is missing");
  if (!Array.isArray(v.steps) || !v.steps.every(isStep)) throw notPlan("its steps are malformed");
  return v as PlanFile;
}

function isStep(x: unknown): boolean {
  if (typeof x !== "object" || x === null) return false;
  const s = x as Partial<Record<keyof Step, unknown>>;
  return (
    ["key", "kind", "label", "id", "action", "fingerprint"].every(
      (k) => typeof s[k as keyof Step] === "string",
    ) &&
    Array.isArray(s.fields) &&
    Array.isArray(s.changes)
  );
}

/**
 * Why the plan no longer holds, one line per resource: what the plan read of it and what it
 * reads now differ, or the plan has a step for it that a fresh plan does not (or the other way
 * round). Empty: every read is as it was.
 */
export function changedSince(planned: readonly Step[], now: readonly Step[]): string[] {
  const fresh = new Map(now.map((x) => [x.key, x]));
  const old = new Map(planned.map((x) => [x.key, x]));
  const out: string[] = [];
  for (const p of planned) {
    const n = fresh.get(p.key);
    if (!n || n.fingerprint !== p.fingerprint || n.action !== p.action) {
      out.push(`the ${p.label} ${p.id} changed since the plan was made`);
    }
  }
  for (const n of now) {
    if (!old.has(n.key)) out.push(`the ${n.label} ${n.id} changed since the plan was made`);
  }
  return out;
}

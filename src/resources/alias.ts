import {
  CreateAliasCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  ListVersionsByFunctionCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-lambda";
import { errorMessage, isNamed, orMissing } from "../aws/errors.js";
import { shiftTraffic } from "../deploy/bake.js";
import { trafficSteps, type DeployStrategy } from "../deploy/traffic.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import type { Ctx, StateEntry } from "../engine/types.js";

/** The alias the API calls: every change of the function reaches callers through it. */
export const LIVE_ALIAS = "live";

export interface AliasProps {
  readonly functionName: string;
  readonly name: string;
  /** The function's ARN with the alias: what the API's integrations and permissions name. */
  readonly arn: string;
  /** The published version that should take all the traffic. */
  readonly version: string;
  readonly strategy: DeployStrategy;
  /** The alarms whose ALARM state takes a shift back. */
  readonly alarms: readonly string[];
  /** Shortens the holds of a shift (SERVERLESS_AUTOMATION_WAIT_SCALE). */
  readonly bakeScale: number;
  /** How many published versions to keep, newest first (those the alias uses always stay). */
  readonly keepVersions: number;
}

export interface AliasOutputs extends Record<string, string> {
  name: string;
  arn: string;
  /** The version with all (or, mid-shift, most) of the traffic. */
  version: string;
  /** The version live before it ("" for the first). */
  previousVersion: string;
  /** When the version went live, ISO 8601 ("" if unknown). */
  liveSince: string;
  /** A version taking a share during a shift, as "version:percent" ("" for none). */
  split: string;
}

interface AliasCurrent {
  version: string;
  /** Additional version → weight (0–1). */
  weights: Record<string, number>;
  revisionId: string | undefined;
  previousVersion: string;
  liveSince: string;
  /** Every published version of the function (not $LATEST). */
  versions: string[];
}

type AliasField = "traffic" | "versions";

/**
 * The alias's description records what the tool needs after a lost state: the version before
 * and when this one went live.
 */
export function describeLive(previous: string, since: Date): string {
  return `Live since ${since.toISOString()}; previous version ${previous || "none"}`;
}

export function parseDescription(d: string | undefined): { previous: string; since: string } {
  const m = /^Live since (\S+); previous version (\S+)$/.exec(d ?? "");
  return { since: m?.[1] ?? "", previous: m?.[2] === "none" ? "" : (m?.[2] ?? "") };
}

async function versionsOf(ctx: Ctx, functionName: string): Promise<string[]> {
  const out: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await ctx.clients.lambda.send(
      new ListVersionsByFunctionCommand({ FunctionName: functionName, Marker }),
    );
    for (const v of page.Versions ?? [])
      if (v.Version && /^\d+$/.test(v.Version)) out.push(v.Version);
    Marker = page.NextMarker;
  } while (Marker);
  return out;
}

function outputsOf(p: AliasProps, c: AliasCurrent): AliasOutputs {
  const [extra, weight] = Object.entries(c.weights)[0] ?? [];
  return {
    name: p.name,
    arn: p.arn,
    version: c.version,
    previousVersion: c.previousVersion,
    liveSince: c.liveSince,
    split: extra === undefined ? "" : `${extra}:${Math.round((weight ?? 0) * 100)}`,
  };
}

/** Published versions past the newest `keep`, except those the alias uses or will use. */
export function prunable(p: AliasProps, c: AliasCurrent, previous = c.previousVersion): string[] {
  const inUse = new Set([p.version, c.version, previous, ...Object.keys(c.weights)]);
  return [...c.versions]
    .sort((a, b) => Number(b) - Number(a))
    .slice(p.keepVersions)
    .filter((v) => !inUse.has(v));
}

/** All traffic on one version; returns the alias's new RevisionId. */
async function route(
  ctx: Ctx,
  p: AliasProps,
  version: string,
  revisionId: string | undefined,
): Promise<string | undefined> {
  const r = await ctx.clients.lambda.send(
    new UpdateAliasCommand({
      FunctionName: p.functionName,
      Name: p.name,
      FunctionVersion: version,
      RoutingConfig: { AdditionalVersionWeights: {} },
      ...(revisionId !== undefined ? { RevisionId: revisionId } : {}),
    }),
  );
  return r.RevisionId;
}

export const aliasKind: Kind<AliasProps, AliasOutputs, AliasCurrent, AliasField> = {
  kind: "lambda-alias",
  label: "Lambda alias",
  clients: ["lambda", "cloudwatch"],
  displayId: (p) => `${p.functionName}:${p.name}`,

  async read(ctx, p) {
    const a = await orMissing(
      ctx.clients.lambda.send(new GetAliasCommand({ FunctionName: p.functionName, Name: p.name })),
    );
    if (!a?.FunctionVersion) return undefined;
    const { previous, since } = parseDescription(a.Description);
    const current: AliasCurrent = {
      version: a.FunctionVersion,
      weights: { ...(a.RoutingConfig?.AdditionalVersionWeights ?? {}) },
      revisionId: a.RevisionId,
      previousVersion: previous,
      liveSince: since,
      versions: await versionsOf(ctx, p.functionName),
    };
    return { id: `${p.functionName}:${p.name}`, outputs: outputsOf(p, current), current };
  },

  diff(p, o) {
    const fields: AliasField[] = [];
    const c = o.current;
    if (c.version !== p.version || Object.keys(c.weights).length) fields.push("traffic");
    if (prunable(p, c).length) fields.push("versions");
    return fields;
  },

  values: (p, o) => ({
    traffic: {
      observed: { version: o.current.version, weights: o.current.weights },
      desired: { version: p.version, weights: {} },
    },
    versions: {
      observed: o.current.versions,
      desired: o.current.versions.filter((v) => !prunable(p, o.current).includes(v)),
    },
  }),

  fix: {
    /**
     * A new version takes the traffic as the strategy says, watched by the alarms; a shift an
     * interrupted run left half done is finished (to the same version) or taken back first.
     */
    async traffic(ctx, p, o) {
      const c = o.current;
      const [inFlight] = Object.keys(c.weights);
      const toSame = inFlight === p.version;
      const from = c.version;
      const now = new Date();
      const common = {
        lambda: ctx.clients.lambda,
        cloudwatch: ctx.clients.cloudwatch,
        functionName: p.functionName,
        alias: p.name,
        alarms: p.alarms,
        pollMs: ctx.timing.maxDelayMs * 10,
        signal: ctx.signal,
        progress: (m: string) => ctx.progress(m),
        description: describeLive(from, now),
      };
      let revisionId = c.revisionId;
      if (inFlight !== undefined && !toSame) {
        // A shift an earlier run left toward another version: all traffic back on the one
        // that was live, before anything else.
        revisionId = await route(ctx, p, from, revisionId);
        if (from === p.version) return { split: "" };
      }
      // A shift an earlier run left toward this version is finished, not started again: the
      // alarms are read once more, and then it takes all the traffic.
      await shiftTraffic({
        ...common,
        from,
        to: p.version,
        steps: toSame ? [] : trafficSteps(p.strategy, p.bakeScale),
        split: toSame,
        revisionId,
      });
      return {
        version: p.version,
        previousVersion: from,
        liveSince: now.toISOString(),
        split: "",
      };
    },

    async versions(ctx, p, o) {
      const previous = o.outputs.previousVersion;
      const c = { ...o.current, version: o.outputs.version, weights: {} };
      for (const v of prunable(p, c, previous)) {
        await ctx.clients.lambda.send(
          new DeleteFunctionCommand({ FunctionName: p.functionName, Qualifier: v }),
        );
      }
    },
  },

  async create(ctx, p) {
    const now = new Date();
    const a = await ctx.clients.lambda.send(
      new CreateAliasCommand({
        FunctionName: p.functionName,
        Name: p.name,
        FunctionVersion: p.version,
        Description: describeLive("", now),
      }),
    );
    const current: AliasCurrent = {
      version: p.version,
      weights: {},
      revisionId: a.RevisionId,
      previousVersion: "",
      liveSince: now.toISOString(),
      versions: await versionsOf(ctx, p.functionName),
    };
    return { id: `${p.functionName}:${p.name}`, outputs: outputsOf(p, current), current };
  },

  // Made by an earlier attempt whose answer was lost: read back and fixed like any other.
  alreadyExists: (err) =>
    isNamed(err, "ResourceConflictException") && /already exists/i.test(errorMessage(err)),

  async delete(ctx, entry: StateEntry) {
    const [functionName, name] = [entry.id.slice(0, entry.id.lastIndexOf(":")), entry.outputs.name];
    await ctx.clients.lambda.send(
      new DeleteAliasCommand({ FunctionName: functionName, Name: name }),
    );
  },
};

export const aliasHandler = lifecycle(aliasKind);

import {
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetUsagePlanCommand,
  TagResourceCommand,
  UpdateUsagePlanCommand,
  paginateGetUsagePlanKeys,
  paginateGetUsagePlans,
  type PatchOperation,
  type UsagePlan,
} from "@aws-sdk/client-api-gateway";
import { isNamed, orMissing } from "../aws/errors.js";
import { hasTags } from "../engine/equal.js";
import { retryWhile } from "../engine/retry.js";
import { lifecycle, type Fixer, type Kind } from "../engine/kind.js";
import type { Ctx, Observed, StateEntry } from "../engine/types.js";
import { allItems, apiBusy } from "./api-common.js";
import type { TagMap } from "./tags.js";

/** The usage plan that meters the stack's API key: per-key rate, burst and daily quota. */
export interface UsagePlanProps {
  readonly name: string;
  readonly description: string;
  /** Usage plan names are not unique: only a plan carrying this tag is ours to adopt. */
  readonly stackTag: { readonly key: string; readonly value: string };
  readonly tags: TagMap;
  readonly region: string;
  readonly partition: string;
  /** The one API stage the plan covers. */
  readonly apiId: string;
  readonly stage: string;
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Requests per key per day. */
  readonly dailyQuota: number;
  /** The API key the plan meters. */
  readonly keyId: string;
}

export interface UsagePlanOutputs extends Record<string, string> {
  id: string;
  name: string;
}

interface UsagePlanCurrent {
  /** "apiId:stage" of every stage the plan covers. */
  stages: string[];
  rateLimit: number | undefined;
  burstLimit: number | undefined;
  quotaLimit: number | undefined;
  quotaPeriod: string | undefined;
  keyIds: string[];
  tags: Record<string, string>;
}

export function usagePlanArn(partition: string, region: string, id: string): string {
  return `arn:${partition}:apigateway:${region}::/usageplans/${id}`;
}

const stageRef = (p: Pick<UsagePlanProps, "apiId" | "stage">) => `${p.apiId}:${p.stage}`;

async function findOurs(ctx: Ctx, p: UsagePlanProps): Promise<UsagePlan[]> {
  const all = await allItems(
    paginateGetUsagePlans({ client: ctx.clients.apigateway }, { limit: 500 }),
  );
  // Oldest first would need a creation date, which usage plans lack: order by id, stably.
  return all
    .filter((u) => u.name === p.name && u.tags?.[p.stackTag.key] === p.stackTag.value)
    .sort((a, b) => (a.id ?? "").localeCompare(b.id ?? ""));
}

async function readCurrent(ctx: Ctx, u: UsagePlan): Promise<UsagePlanCurrent> {
  const keys = await allItems(
    paginateGetUsagePlanKeys(
      { client: ctx.clients.apigateway },
      { usagePlanId: u.id ?? "", limit: 500 },
    ),
  );
  return {
    stages: (u.apiStages ?? []).map((s) => `${s.apiId ?? ""}:${s.stage ?? ""}`).sort(),
    rateLimit: u.throttle?.rateLimit,
    burstLimit: u.throttle?.burstLimit,
    quotaLimit: u.quota?.limit,
    quotaPeriod: u.quota?.period,
    keyIds: keys.map((k) => k.id ?? "").sort(),
    tags: u.tags ?? {},
  };
}

function observed(
  p: UsagePlanProps,
  id: string,
  current: UsagePlanCurrent,
): Observed<UsagePlanOutputs, UsagePlanCurrent> {
  return { id, outputs: { id, name: p.name }, current };
}

type UsagePlanField = "stages" | "throttle" | "quota" | "keys" | "tags";

/** Stages, throttle and quota: one UpdateUsagePlan with the patches of every field that differs. */
const settings: Fixer<UsagePlanProps, UsagePlanOutputs, UsagePlanCurrent, UsagePlanField> = async (
  ctx,
  p,
  o,
  fields,
) => {
  const c = o.current;
  const ops: PatchOperation[] = [];
  if (fields.has("stages")) {
    for (const s of c.stages.filter((x) => x !== stageRef(p))) {
      ops.push({ op: "remove", path: "/apiStages", value: s });
    }
    if (!c.stages.includes(stageRef(p))) {
      ops.push({ op: "add", path: "/apiStages", value: stageRef(p) });
    }
  }
  if (fields.has("throttle")) {
    ops.push(
      { op: "replace", path: "/throttle/rateLimit", value: String(p.rateLimit) },
      { op: "replace", path: "/throttle/burstLimit", value: String(p.burstLimit) },
    );
  }
  if (fields.has("quota")) {
    ops.push(
      { op: "replace", path: "/quota/limit", value: String(p.dailyQuota) },
      { op: "replace", path: "/quota/period", value: "DAY" },
    );
  }
  if (ops.length) {
    await retryWhile(
      ctx,
      () =>
        ctx.clients.apigateway.send(
          new UpdateUsagePlanCommand({ usagePlanId: o.id, patchOperations: ops }),
        ),
      apiBusy(),
    );
  }
};

export const usagePlanKind: Kind<
  UsagePlanProps,
  UsagePlanOutputs,
  UsagePlanCurrent,
  UsagePlanField
> = {
  kind: "apigateway-usage-plan",
  label: "API usage plan",
  clients: ["apigateway"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.name,

  async read(ctx, p, recorded) {
    const byId = recorded?.id
      ? await orMissing(
          ctx.clients.apigateway.send(new GetUsagePlanCommand({ usagePlanId: recorded.id })),
        )
      : undefined;
    const plan = byId ?? (await findOurs(ctx, p))[0];
    if (!plan?.id) return undefined;
    return observed(p, plan.id, await readCurrent(ctx, plan));
  },

  diff(p, o) {
    const c = o.current;
    const fields: UsagePlanField[] = [];
    if (c.stages.join(",") !== stageRef(p)) fields.push("stages");
    if (c.rateLimit !== p.rateLimit || c.burstLimit !== p.burstLimit) fields.push("throttle");
    if (c.quotaLimit !== p.dailyQuota || c.quotaPeriod !== "DAY") fields.push("quota");
    if (c.keyIds.join(",") !== p.keyId) fields.push("keys");
    if (!hasTags(c.tags, p.tags)) fields.push("tags");
    return fields;
  },

  values(p, o) {
    const c = o.current;
    return {
      stages: { observed: c.stages, desired: [stageRef(p)] },
      throttle: {
        observed: { rateLimit: c.rateLimit, burstLimit: c.burstLimit },
        desired: { rateLimit: p.rateLimit, burstLimit: p.burstLimit },
      },
      quota: {
        observed: { limit: c.quotaLimit, period: c.quotaPeriod },
        desired: { limit: p.dailyQuota, period: "DAY" },
      },
      keys: { observed: c.keyIds, desired: [p.keyId] },
      tags: { observed: c.tags, desired: p.tags },
    };
  },

  fix: {
    stages: settings,
    throttle: settings,
    quota: settings,
    async keys(ctx, p, o) {
      const api = ctx.clients.apigateway;
      const usagePlanId = o.id;
      for (const keyId of o.current.keyIds.filter((k) => k !== p.keyId)) {
        await orMissing(api.send(new DeleteUsagePlanKeyCommand({ usagePlanId, keyId })));
      }
      if (!o.current.keyIds.includes(p.keyId)) {
        await api
          .send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: p.keyId, keyType: "API_KEY" }))
          .catch((err: unknown) => {
            // Already attached by a call whose response was lost.
            if (!isNamed(err, "ConflictException")) throw err;
          });
      }
    },
    async tags(ctx, p, o) {
      await ctx.clients.apigateway.send(
        new TagResourceCommand({
          resourceArn: usagePlanArn(p.partition, p.region, o.id),
          tags: { ...p.tags },
        }),
      );
    },
  },

  // The key is attached by the fix that follows: CreateUsagePlan has no parameter for it.
  async create(ctx, p) {
    const made = await retryWhile(
      ctx,
      () =>
        ctx.clients.apigateway.send(
          new CreateUsagePlanCommand({
            name: p.name,
            description: p.description,
            apiStages: [{ apiId: p.apiId, stage: p.stage }],
            throttle: { rateLimit: p.rateLimit, burstLimit: p.burstLimit },
            quota: { limit: p.dailyQuota, period: "DAY" },
            // Tagged at birth: should this run stop before recording it, the next one adopts it.
            tags: { ...p.tags },
          }),
        ),
      apiBusy(),
    );
    // No idempotency token here either: keep one plan, delete any twin a retry made.
    const ours = await findOurs(ctx, p);
    const keep = ours.find((u) => u.id === made.id) ?? ours[0] ?? made;
    for (const extra of ours.filter((u) => u.id !== keep.id)) {
      if (extra.id) await orMissing(deletePlan(ctx, extra.id));
    }
    return observed(p, keep.id ?? "", await readCurrent(ctx, keep));
  },

  async exists(ctx, entry) {
    const plan = await orMissing(
      ctx.clients.apigateway.send(new GetUsagePlanCommand({ usagePlanId: entry.id })),
    );
    return plan !== undefined;
  },

  delete: (ctx, entry: StateEntry) => deletePlan(ctx, entry.id),
};

export const usagePlanHandler = lifecycle(usagePlanKind);

/** A plan still associated with API stages cannot be deleted: detach them first. */
async function deletePlan(ctx: Ctx, usagePlanId: string): Promise<void> {
  const api = ctx.clients.apigateway;
  const plan = await api.send(new GetUsagePlanCommand({ usagePlanId }));
  const stages = (plan.apiStages ?? []).map((s) => `${s.apiId ?? ""}:${s.stage ?? ""}`);
  if (stages.length) {
    await retryWhile(
      ctx,
      () =>
        api.send(
          new UpdateUsagePlanCommand({
            usagePlanId,
            patchOperations: stages.map((value) => ({ op: "remove", path: "/apiStages", value })),
          }),
        ),
      apiBusy(),
    );
  }
  await retryWhile(ctx, () => api.send(new DeleteUsagePlanCommand({ usagePlanId })), apiBusy());
}

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
import { isNamed, isNotFound, orMissing } from "../aws/errors.js";
import { hasTags } from "../engine/equal.js";
import { retryWhile } from "../engine/retry.js";
import type { Change, Ctx, Observed, ResourceHandler, StateEntry } from "../engine/types.js";
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

export const usagePlanHandler: ResourceHandler<UsagePlanProps, UsagePlanOutputs, UsagePlanCurrent> =
  {
    kind: "apigateway-usage-plan",
    label: "API usage plan",
    displayId: (p) => p.name,

    async observe(ctx, p, recorded) {
      let plan: UsagePlan | undefined;
      if (recorded?.id) {
        try {
          plan = await ctx.clients.apigateway.send(
            new GetUsagePlanCommand({ usagePlanId: recorded.id }),
          );
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      plan ??= (await findOurs(ctx, p))[0];
      if (!plan?.id) return undefined;
      return observed(p, plan.id, await readCurrent(ctx, plan));
    },

    diff(p, o): Change {
      const c = o.current;
      const fields: string[] = [];
      if (c.stages.join(",") !== stageRef(p)) fields.push("stages");
      if (c.rateLimit !== p.rateLimit || c.burstLimit !== p.burstLimit) fields.push("throttle");
      if (c.quotaLimit !== p.dailyQuota || c.quotaPeriod !== "DAY") fields.push("quota");
      if (c.keyIds.join(",") !== p.keyId) fields.push("keys");
      if (!hasTags(c.tags, p.tags)) fields.push("tags");
      return { fields };
    },

    async create(ctx, p) {
      const api = ctx.clients.apigateway;
      const made = await retryWhile(
        ctx,
        () =>
          api.send(
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
        if (extra.id) await this.destroy(ctx, { kind: this.kind, id: extra.id, outputs: {} });
      }
      const o = observed(p, keep.id ?? "", await readCurrent(ctx, keep));
      return this.update(ctx, p, o, this.diff(p, o));
    },

    async update(ctx, p, o, change) {
      const api = ctx.clients.apigateway;
      const usagePlanId = o.id;
      const c = o.current;
      const ops: PatchOperation[] = [];
      if (change.fields.includes("stages")) {
        for (const s of c.stages.filter((x) => x !== stageRef(p))) {
          ops.push({ op: "remove", path: "/apiStages", value: s });
        }
        if (!c.stages.includes(stageRef(p))) {
          ops.push({ op: "add", path: "/apiStages", value: stageRef(p) });
        }
      }
      if (change.fields.includes("throttle")) {
        ops.push(
          { op: "replace", path: "/throttle/rateLimit", value: String(p.rateLimit) },
          { op: "replace", path: "/throttle/burstLimit", value: String(p.burstLimit) },
        );
      }
      if (change.fields.includes("quota")) {
        ops.push(
          { op: "replace", path: "/quota/limit", value: String(p.dailyQuota) },
          { op: "replace", path: "/quota/period", value: "DAY" },
        );
      }
      if (ops.length) {
        await retryWhile(
          ctx,
          () => api.send(new UpdateUsagePlanCommand({ usagePlanId, patchOperations: ops })),
          apiBusy(),
        );
      }
      if (change.fields.includes("keys")) {
        for (const keyId of c.keyIds.filter((k) => k !== p.keyId)) {
          await api
            .send(new DeleteUsagePlanKeyCommand({ usagePlanId, keyId }))
            .catch((err: unknown) => {
              if (!isNotFound(err)) throw err;
            });
        }
        if (!c.keyIds.includes(p.keyId)) {
          await api
            .send(
              new CreateUsagePlanKeyCommand({ usagePlanId, keyId: p.keyId, keyType: "API_KEY" }),
            )
            .catch((err: unknown) => {
              // Already attached by a call whose response was lost.
              if (!isNamed(err, "ConflictException")) throw err;
            });
        }
      }
      if (change.fields.includes("tags")) {
        await api.send(
          new TagResourceCommand({
            resourceArn: usagePlanArn(p.partition, p.region, usagePlanId),
            tags: { ...p.tags },
          }),
        );
      }
      return observed(p, usagePlanId, {
        stages: [stageRef(p)],
        rateLimit: p.rateLimit,
        burstLimit: p.burstLimit,
        quotaLimit: p.dailyQuota,
        quotaPeriod: "DAY",
        keyIds: [p.keyId],
        tags: { ...c.tags, ...p.tags },
      });
    },

    async exists(ctx, entry) {
      const plan = await orMissing(
        ctx.clients.apigateway.send(new GetUsagePlanCommand({ usagePlanId: entry.id })),
      );
      return plan !== undefined;
    },

    async destroy(ctx, entry: StateEntry) {
      const api = ctx.clients.apigateway;
      try {
        // A plan still associated with API stages cannot be deleted: detach them first.
        const plan = await api.send(new GetUsagePlanCommand({ usagePlanId: entry.id }));
        const stages = (plan.apiStages ?? []).map((s) => `${s.apiId ?? ""}:${s.stage ?? ""}`);
        if (stages.length) {
          await retryWhile(
            ctx,
            () =>
              api.send(
                new UpdateUsagePlanCommand({
                  usagePlanId: entry.id,
                  patchOperations: stages.map((value) => ({
                    op: "remove",
                    path: "/apiStages",
                    value,
                  })),
                }),
              ),
            apiBusy(),
          );
        }
        await retryWhile(
          ctx,
          () => api.send(new DeleteUsagePlanCommand({ usagePlanId: entry.id })),
          apiBusy(),
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };

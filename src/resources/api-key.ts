import {
  CreateApiKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeyCommand,
  TagResourceCommand,
  UpdateApiKeyCommand,
  paginateGetApiKeys,
  type ApiKey,
} from "@aws-sdk/client-api-gateway";
import { orMissing } from "../aws/errors.js";
import { hasTags } from "../engine/equal.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import type { Ctx, Observed, StateEntry } from "../engine/types.js";
import { allItems } from "./api-common.js";
import type { TagMap } from "./tags.js";

export interface ApiKeyProps {
  readonly name: string;
  readonly description: string;
  /** API key names are not unique: only a key carrying this tag is ours to adopt. */
  readonly stackTag: { readonly key: string; readonly value: string };
  readonly tags: TagMap;
  readonly region: string;
  readonly partition: string;
}

/** Never the key's value: that stays in API Gateway, read only when a user asks for it. */
export interface ApiKeyOutputs extends Record<string, string> {
  id: string;
  name: string;
}

interface ApiKeyCurrent {
  enabled: boolean;
  tags: Record<string, string>;
}

export function apiKeyArn(partition: string, region: string, id: string): string {
  return `arn:${partition}:apigateway:${region}::/apikeys/${id}`;
}

/** Every key with our name and stack tag, oldest first. */
async function findOurs(ctx: Ctx, p: ApiKeyProps): Promise<ApiKey[]> {
  const all = await allItems(
    paginateGetApiKeys(
      { client: ctx.clients.apigateway },
      { limit: 500, nameQuery: p.name, includeValues: false },
    ),
  );
  return all
    .filter((k) => k.name === p.name && k.tags?.[p.stackTag.key] === p.stackTag.value)
    .sort((a, b) => (a.createdDate?.getTime() ?? 0) - (b.createdDate?.getTime() ?? 0));
}

function observed(p: ApiKeyProps, k: ApiKey): Observed<ApiKeyOutputs, ApiKeyCurrent> {
  const id = k.id ?? "";
  return {
    id,
    outputs: { id, name: p.name },
    current: { enabled: k.enabled === true, tags: k.tags ?? {} },
  };
}

type ApiKeyField = "enabled" | "tags";

export const apiKeyKind: Kind<ApiKeyProps, ApiKeyOutputs, ApiKeyCurrent, ApiKeyField> = {
  kind: "apigateway-api-key",
  label: "API key",
  clients: ["apigateway"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.name,

  async read(ctx, p, recorded) {
    const byId = recorded?.id
      ? await orMissing(
          ctx.clients.apigateway.send(
            new GetApiKeyCommand({ apiKey: recorded.id, includeValue: false }),
          ),
        )
      : undefined;
    const k = byId ?? (await findOurs(ctx, p))[0];
    return k && observed(p, k);
  },

  diff(p, o) {
    const fields: ApiKeyField[] = [];
    if (!o.current.enabled) fields.push("enabled");
    if (!hasTags(o.current.tags, p.tags)) fields.push("tags");
    return fields;
  },

  values: (p, o) => ({
    enabled: { observed: o.current.enabled, desired: true },
    tags: { observed: o.current.tags, desired: p.tags },
  }),

  fix: {
    async enabled(ctx, _p, o) {
      await ctx.clients.apigateway.send(
        new UpdateApiKeyCommand({
          apiKey: o.id,
          patchOperations: [{ op: "replace", path: "/enabled", value: "true" }],
        }),
      );
    },
    async tags(ctx, p, o) {
      await ctx.clients.apigateway.send(
        new TagResourceCommand({
          resourceArn: apiKeyArn(p.partition, p.region, o.id),
          tags: { ...p.tags },
        }),
      );
    },
  },

  async create(ctx, p) {
    const made = await ctx.clients.apigateway.send(
      new CreateApiKeyCommand({
        name: p.name,
        description: p.description,
        enabled: true,
        // Tagged at birth: should this run stop before recording it, the next one adopts it.
        tags: { ...p.tags },
      }),
    );
    // CreateApiKey takes no idempotency token: a retry after a lost response makes a second
    // key. Keep the oldest (the one read adopts), delete the others.
    const ours = await findOurs(ctx, p);
    const keep = ours[0] ?? made;
    for (const extra of ours.slice(1)) {
      if (extra.id) await orMissing(deleteKey(ctx, extra.id));
    }
    return observed(p, { ...keep, enabled: true, tags: { ...p.tags, ...keep.tags } });
  },

  async exists(ctx, entry) {
    const k = await orMissing(
      ctx.clients.apigateway.send(new GetApiKeyCommand({ apiKey: entry.id })),
    );
    return k !== undefined;
  },

  delete: (ctx, entry: StateEntry) => deleteKey(ctx, entry.id),
};

export const apiKeyHandler = lifecycle(apiKeyKind);

async function deleteKey(ctx: Ctx, apiKey: string): Promise<void> {
  await ctx.clients.apigateway.send(new DeleteApiKeyCommand({ apiKey }));
}

/** The key's value, for `request` and `outputs --show-api-key`: read on demand, never stored. */
export async function readApiKeyValue(ctx: Pick<Ctx, "clients">, id: string): Promise<string> {
  const k = await ctx.clients.apigateway.send(
    new GetApiKeyCommand({ apiKey: id, includeValue: true }),
  );
  return k.value ?? "";
}

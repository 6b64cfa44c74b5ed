import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";
import { isNamed, orMissing } from "../aws/errors.js";
import { hasTags, jsonValue, sameJson } from "../engine/equal.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import type { FieldValues, StateEntry } from "../engine/types.js";
import type { PolicyDocument } from "./policies.js";
import { fromKeyValueList, toKeyValueList, type TagMap } from "./tags.js";

export interface RoleProps {
  readonly name: string;
  readonly description: string;
  readonly trust: PolicyDocument;
  /** The one inline policy (name and document), if any. */
  readonly inline: { readonly name: string; readonly document: PolicyDocument } | undefined;
  /** Managed policy ARNs to attach (none for the function: everything is inline). */
  readonly managed: readonly string[];
  readonly tags: TagMap;
}

export interface RoleOutputs extends Record<string, string> {
  name: string;
  arn: string;
}

export interface RoleCurrent {
  trust: string;
  inline: Map<string, string>;
  managed: string[];
  tags: Record<string, string>;
}

/**
 * Everything about the role in one round trip. Only the document of the policy we manage is
 * read; other inline policies need only be known by name (they are drift, to be removed).
 */
async function readRole(
  iam: IAMClient,
  name: string,
  policyName: string | undefined,
): Promise<{ arn: string; current: RoleCurrent } | undefined> {
  const [got, names, attached, doc] = await Promise.all([
    orMissing(iam.send(new GetRoleCommand({ RoleName: name }))),
    orMissing(iam.send(new ListRolePoliciesCommand({ RoleName: name }))),
    orMissing(iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))),
    policyName
      ? orMissing(iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName })))
      : undefined,
  ]);
  const role = got?.Role;
  if (!role?.Arn || !names || !attached) return undefined;
  const inline = new Map<string, string>();
  for (const n of names.PolicyNames ?? []) {
    inline.set(n, n === policyName && doc ? decodeURIComponent(doc.PolicyDocument ?? "") : "");
  }
  return {
    arn: role.Arn,
    current: {
      trust: decodeURIComponent(role.AssumeRolePolicyDocument ?? ""),
      inline,
      managed: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? "").sort(),
      tags: fromKeyValueList(role.Tags),
    },
  };
}

function json(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

export function diffRole(p: RoleProps, c: RoleCurrent): RoleField[] {
  const fields: RoleField[] = [];
  if (!sameJson(c.trust, json(p.trust))) fields.push("trust");
  if (p.inline && !sameJson(c.inline.get(p.inline.name), json(p.inline.document)))
    fields.push("policy");
  if ([...c.inline.keys()].some((n) => n !== p.inline?.name)) fields.push("extraPolicies");
  if (c.managed.join(",") !== [...p.managed].sort().join(",")) fields.push("managedPolicies");
  if (!hasTags(c.tags, p.tags)) fields.push("tags");
  return fields;
}

export type RoleField = "trust" | "policy" | "extraPolicies" | "managedPolicies" | "tags";

/** Each field diffRole compares, observed and desired. */
export function roleValues(p: RoleProps, c: RoleCurrent): { [K in RoleField]: FieldValues } {
  const name = p.inline?.name;
  return {
    trust: { observed: jsonValue(c.trust), desired: p.trust },
    policy: {
      observed: name === undefined ? undefined : jsonValue(c.inline.get(name)),
      desired: p.inline?.document,
    },
    extraPolicies: { observed: [...c.inline.keys()].filter((n) => n !== name), desired: [] },
    managedPolicies: { observed: c.managed, desired: [...p.managed].sort() },
    tags: { observed: c.tags, desired: p.tags },
  };
}

export const roleKind: Kind<RoleProps, RoleOutputs, RoleCurrent, RoleField> = {
  kind: "iam-role",
  label: "IAM role",
  clients: ["iam"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.name,

  async read(ctx, p) {
    const r = await readRole(ctx.clients.iam, p.name, p.inline?.name);
    return r && { id: p.name, outputs: { name: p.name, arn: r.arn }, current: r.current };
  },

  diff: (p, o) => diffRole(p, o.current),
  values: (p, o) => roleValues(p, o.current),

  fix: {
    async trust(ctx, p) {
      await ctx.clients.iam.send(
        new UpdateAssumeRolePolicyCommand({ RoleName: p.name, PolicyDocument: json(p.trust) }),
      );
    },
    async policy(ctx, p) {
      if (!p.inline) return;
      await ctx.clients.iam.send(
        new PutRolePolicyCommand({
          RoleName: p.name,
          PolicyName: p.inline.name,
          PolicyDocument: json(p.inline.document),
        }),
      );
    },
    async extraPolicies(ctx, p, o) {
      for (const name of o.current.inline.keys()) {
        if (name !== p.inline?.name) {
          await ctx.clients.iam.send(
            new DeleteRolePolicyCommand({ RoleName: p.name, PolicyName: name }),
          );
        }
      }
    },
    async managedPolicies(ctx, p, o) {
      const iam = ctx.clients.iam;
      const RoleName = p.name;
      for (const arn of o.current.managed.filter((a) => !p.managed.includes(a))) {
        await iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: arn }));
      }
      for (const arn of p.managed.filter((a) => !o.current.managed.includes(a))) {
        await iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: arn }));
      }
    },
    async tags(ctx, p) {
      await ctx.clients.iam.send(
        new TagRoleCommand({ RoleName: p.name, Tags: toKeyValueList(p.tags) }),
      );
    },
  },

  // The policies are put by the fixes that follow, from what the engine reads back.
  async create(ctx, p) {
    await ctx.clients.iam.send(
      new CreateRoleCommand({
        RoleName: p.name,
        Description: p.description,
        AssumeRolePolicyDocument: json(p.trust),
        Tags: toKeyValueList(p.tags),
      }),
    );
  },

  // IAM's wire code is EntityAlreadyExists; the SDK throws it as EntityAlreadyExistsException.
  alreadyExists: (err) => isNamed(err, "EntityAlreadyExistsException"),

  delete: (ctx, entry: StateEntry) => deleteRole(ctx.clients.iam, entry.id),
};

export const roleHandler = lifecycle(roleKind);

/**
 * Inline policies and attachments first: DeleteRole fails with DeleteConflict until then.
 * Each policy step treats its own not-found as done: a policy already gone (deleted by hand, or
 * a retried call whose first response was lost) must not end the teardown with the role left.
 * The role's own not-found is thrown: the engine counts it as done.
 */
export async function deleteRole(iam: IAMClient, RoleName: string): Promise<void> {
  const [names, attached] = await Promise.all([
    iam.send(new ListRolePoliciesCommand({ RoleName })),
    iam.send(new ListAttachedRolePoliciesCommand({ RoleName })),
  ]);
  for (const PolicyName of names.PolicyNames ?? []) {
    await orMissing(iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName })));
  }
  for (const p of attached.AttachedPolicies ?? []) {
    await orMissing(iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: p.PolicyArn })));
  }
  await iam.send(new DeleteRoleCommand({ RoleName }));
}

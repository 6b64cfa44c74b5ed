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
import { isNamed, isNotFound, orMissing } from "../aws/errors.js";
import { hasTags, sameJson } from "../engine/equal.js";
import type { Change, Ctx, ResourceHandler, StateEntry } from "../engine/types.js";
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

interface RoleCurrent {
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

async function applyFields(
  ctx: Ctx,
  p: RoleProps,
  current: RoleCurrent,
  fields: readonly string[],
): Promise<void> {
  const iam = ctx.clients.iam;
  const RoleName = p.name;
  if (fields.includes("trust")) {
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: json(p.trust) }));
  }
  if (fields.includes("policy") && p.inline) {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName,
        PolicyName: p.inline.name,
        PolicyDocument: json(p.inline.document),
      }),
    );
  }
  if (fields.includes("extraPolicies")) {
    for (const name of current.inline.keys()) {
      if (name !== p.inline?.name)
        await iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: name }));
    }
  }
  if (fields.includes("managedPolicies")) {
    for (const arn of current.managed.filter((a) => !p.managed.includes(a))) {
      await iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: arn }));
    }
    for (const arn of p.managed.filter((a) => !current.managed.includes(a))) {
      await iam.send(new AttachRolePolicyCommand({ RoleName, PolicyArn: arn }));
    }
  }
  if (fields.includes("tags")) {
    await iam.send(new TagRoleCommand({ RoleName, Tags: toKeyValueList(p.tags) }));
  }
}

export function diffRole(p: RoleProps, c: RoleCurrent): string[] {
  const fields: string[] = [];
  if (!sameJson(c.trust, json(p.trust))) fields.push("trust");
  if (p.inline && !sameJson(c.inline.get(p.inline.name), json(p.inline.document)))
    fields.push("policy");
  if ([...c.inline.keys()].some((n) => n !== p.inline?.name)) fields.push("extraPolicies");
  if (c.managed.join(",") !== [...p.managed].sort().join(",")) fields.push("managedPolicies");
  if (!hasTags(c.tags, p.tags)) fields.push("tags");
  return fields;
}

export const roleHandler: ResourceHandler<RoleProps, RoleOutputs, RoleCurrent> = {
  kind: "iam-role",
  label: "IAM role",
  displayId: (p) => p.name,

  async observe(ctx, p) {
    const r = await readRole(ctx.clients.iam, p.name, p.inline?.name);
    return r && { id: p.name, outputs: { name: p.name, arn: r.arn }, current: r.current };
  },

  diff(p, o): Change {
    return { fields: diffRole(p, o.current) };
  },

  async create(ctx, p) {
    const iam = ctx.clients.iam;
    try {
      await iam.send(
        new CreateRoleCommand({
          RoleName: p.name,
          Description: p.description,
          AssumeRolePolicyDocument: json(p.trust),
          Tags: toKeyValueList(p.tags),
        }),
      );
    } catch (err) {
      // Made by an earlier run that stopped before recording it: adopt and converge it. IAM's
      // wire code is EntityAlreadyExists; the SDK throws it as EntityAlreadyExistsException.
      if (!isNamed(err, "EntityAlreadyExistsException")) throw err;
    }
    const r = await readRole(iam, p.name, p.inline?.name);
    if (!r) throw new Error("the role is not readable right after it was created");
    const observed = { id: p.name, outputs: { name: p.name, arn: r.arn }, current: r.current };
    const fields = diffRole(p, r.current);
    return fields.length ? this.update(ctx, p, observed, { fields }) : observed;
  },

  async update(ctx, p, o, change) {
    await applyFields(ctx, p, o.current, change.fields);
    const r = await readRole(ctx.clients.iam, p.name, p.inline?.name);
    if (!r) throw new Error("the role disappeared while it was being updated");
    return { id: p.name, outputs: { name: p.name, arn: r.arn }, current: r.current };
  },

  async destroy(ctx, entry: StateEntry) {
    await deleteRole(ctx.clients.iam, entry.id);
  },
};

/**
 * Inline policies and attachments first: DeleteRole fails with DeleteConflict until then.
 * Each step treats its own not-found as done: a policy already gone (deleted by hand, or a
 * retried call whose first response was lost) must not end the teardown with the role left.
 */
export async function deleteRole(iam: IAMClient, RoleName: string): Promise<void> {
  const gone = async (step: () => Promise<unknown>): Promise<void> => {
    try {
      await step();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };
  let names;
  let attached;
  try {
    [names, attached] = await Promise.all([
      iam.send(new ListRolePoliciesCommand({ RoleName })),
      iam.send(new ListAttachedRolePoliciesCommand({ RoleName })),
    ]);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  for (const PolicyName of names.PolicyNames ?? []) {
    await gone(() => iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName })));
  }
  for (const p of attached.AttachedPolicies ?? []) {
    await gone(() => iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn: p.PolicyArn })));
  }
  await gone(() => iam.send(new DeleteRoleCommand({ RoleName })));
}

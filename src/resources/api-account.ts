import {
  GetAccountCommand,
  UpdateAccountCommand,
  paginateGetRestApis,
} from "@aws-sdk/client-api-gateway";
import { AttachRolePolicyCommand } from "@aws-sdk/client-iam";
import { errorMessage, isNamed } from "../aws/errors.js";
import { apiGatewayCloudWatchRoleName, STACK_TAG_KEY } from "../config.js";
import { pause, retryWhile } from "../engine/retry.js";
import { lifecycle, type Fixer, type Kind } from "../engine/kind.js";
import type { Ctx, StateEntry } from "../engine/types.js";
import { allItems, apiBusy } from "./api-common.js";
import { API_GATEWAY_LOGS_MANAGED_POLICY, trustPolicy } from "./policies.js";
import {
  deleteRole,
  diffRole,
  roleValues,
  roleKind,
  type RoleCurrent,
  type RoleField,
  type RoleProps,
} from "./role.js";
import type { TagMap } from "./tags.js";

/** UpdateAccount rejects a role IAM has not yet propagated to API Gateway. */
function notPropagated(err: unknown): string | undefined {
  if (
    isNamed(err, "BadRequestException") &&
    /role ARN does not have required permissions/i.test(errorMessage(err))
  ) {
    return "waiting for the IAM role to propagate…";
  }
  return apiBusy()(err);
}

async function setAccountRole(ctx: Ctx, roleArn: string): Promise<void> {
  await retryWhile(
    ctx,
    () =>
      ctx.clients.apigateway.send(
        new UpdateAccountCommand({
          patchOperations: [{ op: "replace", path: "/cloudwatchRoleArn", value: roleArn }],
        }),
      ),
    notPropagated,
  );
}

async function accountRole(ctx: Ctx): Promise<string | undefined> {
  const a = await ctx.clients.apigateway.send(new GetAccountCommand({}));
  return a.cloudwatchRoleArn || undefined;
}

/** Whether a role ARN names the role this tool makes for API Gateway's logs (roleName). */
function isOurs(roleName: string, roleArn: string): boolean {
  return roleArn.slice(roleArn.lastIndexOf("/") + 1) === roleName;
}

/**
 * Why `down` must leave the region's logging role and its setting alone: set before this stack,
 * or other REST APIs (not this stack's, which go first) may log through it. undefined: this
 * stack may remove them.
 */
async function keptBecause(ctx: Ctx, entry: StateEntry): Promise<string | undefined> {
  if (entry.outputs.createdByStack !== "true") {
    return "it was set before this stack; other APIs in the region may rely on it";
  }
  // This stack's own API may still be on its way out (deleted concurrently): it does not count.
  // It carries the stack tag this stack's resources are owned by.
  const apis = await allItems(
    paginateGetRestApis({ client: ctx.clients.apigateway }, { limit: 500 }),
  );
  const stack = ctx.owner[STACK_TAG_KEY];
  const others = apis.filter((a) => a.tags?.[STACK_TAG_KEY] !== stack);
  if (others.length)
    return `${others.length} other REST API(s) in ${ctx.region} may log through it`;
  return undefined;
}

export interface LoggingRoleProps {
  /** The role to create when the region has none set. */
  readonly roleName: string;
  readonly partition: string;
  readonly tags: TagMap;
}

export interface LoggingRoleOutputs extends Record<string, string> {
  /** The role API Gateway writes logs with, in this region. */
  arn: string;
  /** "true" when it is the role this tool makes; only then may `down` delete it. */
  createdByStack: string;
}

/** What was read of the role: undefined when it is another's, set before this stack. */
type LoggingRoleCurrent = RoleCurrent | undefined;

type LoggingRoleField = RoleField;

function roleProps(p: LoggingRoleProps): RoleProps {
  return {
    name: p.roleName,
    description: "Lets API Gateway write execution and access logs in this region.",
    trust: trustPolicy("apigateway.amazonaws.com"),
    inline: undefined,
    managed: [API_GATEWAY_LOGS_MANAGED_POLICY(p.partition)],
    tags: p.tags,
  };
}

/** The role's own fixer, for the role this tool made. */
function roleFix(
  field: RoleField,
): Fixer<LoggingRoleProps, LoggingRoleOutputs, LoggingRoleCurrent, RoleField> {
  return async (ctx, p, o, fields) => {
    if (!o.current) return;
    await roleKind.fix[field](
      ctx,
      roleProps(p),
      { id: p.roleName, outputs: { name: p.roleName, arn: o.outputs.arn }, current: o.current },
      fields,
    );
  };
}

/**
 * The role API Gateway writes this region's logs with: one per account and region, shared by
 * every REST API there. A role already set is reused and never touched; CDK once deleted it
 * with a stack and broke logging for every other API in the account. Otherwise the role this
 * tool makes under its derived name (shared by its stages).
 */
export const loggingRoleKind: Kind<
  LoggingRoleProps,
  LoggingRoleOutputs,
  LoggingRoleCurrent,
  LoggingRoleField
> = {
  kind: "apigateway-logging-role",
  label: "API Gateway logging role",
  clients: ["apigateway", "iam"],
  displayId: (p) => p.roleName,
  // Whichever role the region uses is this node's; one replaced is nobody's to sweep.
  superseded: "forget",
  shared: true,

  async read(ctx, p) {
    const [set, own] = await Promise.all([
      accountRole(ctx),
      roleKind.read(ctx, roleProps(p), undefined),
    ]);
    // Another's role, set before this stack: used as it is. Ours set but deleted: made again.
    if (set && !isOurs(p.roleName, set)) {
      return { id: set, outputs: { arn: set, createdByStack: "false" }, current: undefined };
    }
    if (!own) return undefined;
    const arn = own.outputs.arn;
    return { id: arn, outputs: { arn, createdByStack: "true" }, current: own.current };
  },

  // Another's role is used as it is. Ours is shared by the tool's stages in the region: it
  // keeps the tags of the stage that made it.
  diff(p, o) {
    if (!o.current) return [];
    const fields = diffRole(roleProps(p), o.current);
    const madeBy = o.current.tags[STACK_TAG_KEY];
    return madeBy !== undefined && madeBy !== p.tags[STACK_TAG_KEY]
      ? fields.filter((f) => f !== "tags")
      : fields;
  },

  values(p, o) {
    if (o.current) return roleValues(roleProps(p), o.current);
    // Another's role, left exactly as it is: nothing observed of it is compared.
    const kept = { observed: "(not this stack's)", desired: "(not this stack's)" };
    return {
      trust: kept,
      policy: kept,
      extraPolicies: kept,
      managedPolicies: kept,
      tags: kept,
    };
  },

  fix: {
    trust: roleFix("trust"),
    policy: roleFix("policy"),
    extraPolicies: roleFix("extraPolicies"),
    managedPolicies: roleFix("managedPolicies"),
    tags: roleFix("tags"),
  },

  async create(ctx, p) {
    const role = roleProps(p);
    await roleKind.create(ctx, role);
    for (const PolicyArn of role.managed) {
      await ctx.clients.iam.send(new AttachRolePolicyCommand({ RoleName: p.roleName, PolicyArn }));
    }
    // Usable once API Gateway can assume it. A call made before that fails and still spends
    // UpdateAccount's one-per-20-s quota: give IAM its usual time first.
    ctx.progress("waiting for the IAM role to propagate…");
    await pause(ctx, ctx.timing.iamPropagationMs);
  },

  alreadyExists: roleKind.alreadyExists,

  keeps: keptBecause,

  async delete(ctx, entry) {
    const kept = await keptBecause(ctx, entry);
    if (kept) return { kept };
    // Only the role under this tool's derived name: never a role it did not create. The entry
    // alone says which stack's it was; the region says which name the tool gave it.
    const roleName = apiGatewayCloudWatchRoleName(ctx.region);
    if (isOurs(roleName, entry.id)) await deleteRole(ctx.clients.iam, roleName);
  },
};

export const loggingRoleHandler = lifecycle(loggingRoleKind);

export interface ApiAccountProps {
  /** The role API Gateway is to log with when none is set: the one this tool makes. */
  readonly roleArn: string;
  /** The name of the role this tool makes: what is shown before anything is set. */
  readonly roleName: string;
}

export interface ApiAccountOutputs extends Record<string, string> {
  /** The role API Gateway writes logs with, in this region. */
  roleArn: string;
  /** "true" only when this tool set it; only then may `down` unset it. */
  createdByStack: string;
}

interface ApiAccountCurrent {
  /** The role set for the region; undefined when none is. */
  roleArn: string | undefined;
}

async function setLoggingRole(ctx: Ctx, p: ApiAccountProps): Promise<Partial<ApiAccountOutputs>> {
  await setAccountRole(ctx, p.roleArn);
  return { roleArn: p.roleArn, createdByStack: "true" };
}

/**
 * The region's API Gateway setting of the role it writes CloudWatch logs with. Whoever set it
 * owns it; any role set is good enough for logging.
 */
export const apiAccountKind: Kind<
  ApiAccountProps,
  ApiAccountOutputs,
  ApiAccountCurrent,
  "cloudwatchRoleArn"
> = {
  kind: "apigateway-account",
  label: "API Gateway logging role setting",
  clients: ["apigateway"],
  // One setting per region, whichever role it names.
  displayId: (p) => p.roleName,
  superseded: "forget",
  shared: true,

  // Never set by this stack and empty: to be made. Set by it and emptied since: drifted.
  async read(ctx, p, recorded) {
    const roleArn = await accountRole(ctx);
    if (roleArn === undefined && recorded === undefined) return undefined;
    const id = roleArn ?? p.roleArn;
    // The role under the derived name was made by this tool (by some stage of it), even when
    // the run that set it stopped before recording so.
    const ours =
      roleArn === undefined ||
      isOurs(p.roleName, roleArn) ||
      (recorded?.outputs.createdByStack === "true" && recorded.id === roleArn);
    return {
      id,
      outputs: { roleArn: id, createdByStack: ours ? "true" : "false" },
      current: { roleArn },
    };
  },

  diff: (_p, o) => (o.current.roleArn ? [] : ["cloudwatchRoleArn"]),
  // Only an empty setting is set: any role already there is the region's and stays.
  values: (p, o) => ({
    cloudwatchRoleArn: { observed: o.current.roleArn, desired: o.current.roleArn ?? p.roleArn },
  }),

  fix: { cloudwatchRoleArn: (ctx, p) => setLoggingRole(ctx, p) },

  async create(ctx, p) {
    await setLoggingRole(ctx, p);
    return {
      id: p.roleArn,
      outputs: { roleArn: p.roleArn, createdByStack: "true" },
      current: { roleArn: p.roleArn },
    };
  },

  keeps: keptBecause,

  async delete(ctx, entry: StateEntry) {
    const kept = await keptBecause(ctx, entry);
    if (kept) return { kept };
    if ((await accountRole(ctx)) !== entry.id) return;
    await retryWhile(
      ctx,
      () =>
        ctx.clients.apigateway.send(
          new UpdateAccountCommand({
            patchOperations: [{ op: "replace", path: "/cloudwatchRoleArn", value: "" }],
          }),
        ),
      apiBusy({ quota: true }),
    );
  },
};

export const apiAccountHandler = lifecycle(apiAccountKind);

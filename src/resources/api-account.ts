import {
  GetAccountCommand,
  UpdateAccountCommand,
  paginateGetRestApis,
} from "@aws-sdk/client-api-gateway";
import { GetRoleCommand } from "@aws-sdk/client-iam";
import { errorMessage, isNamed, isNotFound } from "../aws/errors.js";
import { STACK_TAG_KEY } from "../config.js";
import { pause, retryWhile } from "../engine/retry.js";
import type { Change, Ctx, ResourceHandler, StateEntry } from "../engine/types.js";
import { allItems, apiBusy } from "./api-common.js";
import { API_GATEWAY_LOGS_MANAGED_POLICY, trustPolicy } from "./policies.js";
import { deleteRole, roleHandler } from "./role.js";
import type { TagMap } from "./tags.js";

export interface ApiAccountProps {
  /** The role to create when the region has none set. */
  readonly roleName: string;
  readonly partition: string;
  readonly tags: TagMap;
}

export interface ApiAccountOutputs extends Record<string, string> {
  /** The role API Gateway writes logs with, in this region. */
  roleArn: string;
  /** "true" only when this stack set it; only then may `down` unset it. */
  createdByStack: string;
}

interface ApiAccountCurrent {
  /** The role set for the region; undefined when none is. */
  roleArn: string | undefined;
}

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

/** The ARN of the role under this tool's derived name, if it exists. */
async function ourRoleArn(ctx: Ctx, roleName: string): Promise<string | undefined> {
  try {
    return (await ctx.clients.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role?.Arn;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function accountRole(ctx: Ctx): Promise<string | undefined> {
  const a = await ctx.clients.apigateway.send(new GetAccountCommand({}));
  return a.cloudwatchRoleArn || undefined;
}

/** Creates the role (or adopts and converges the one an earlier run made under this name). */
async function ensureRole(ctx: Ctx, p: ApiAccountProps): Promise<string> {
  const role = await roleHandler.create(ctx, {
    name: p.roleName,
    description: "Lets API Gateway write execution and access logs in this region.",
    trust: trustPolicy("apigateway.amazonaws.com"),
    inline: undefined,
    managed: [API_GATEWAY_LOGS_MANAGED_POLICY(p.partition)],
    tags: p.tags,
  });
  return role.outputs.arn;
}

/**
 * Why `down` must leave the region's setting alone: set before this stack, or other REST APIs
 * (not this stack's, which go first) may log through it. undefined: this stack may remove it.
 */
async function keptBecause(ctx: Ctx, entry: StateEntry): Promise<string | undefined> {
  if (entry.outputs.createdByStack !== "true") {
    return "it was set before this stack; other APIs in the region may rely on it";
  }
  // This stack's own API may still be on its way out (deleted concurrently): it does not count.
  const apis = await allItems(
    paginateGetRestApis({ client: ctx.clients.apigateway }, { limit: 500 }),
  );
  const others = apis.filter((a) => a.tags?.[STACK_TAG_KEY] !== ctx.names.stack);
  if (others.length)
    return `${others.length} other REST API(s) in ${ctx.region} may log through it`;
  return undefined;
}

/**
 * The region's API Gateway CloudWatch Logs role: one per account and region, shared by every
 * REST API there. A role already set is reused and never touched; CDK once deleted it with a
 * stack and broke logging for every other API in the account.
 */
export const apiAccountHandler: ResourceHandler<
  ApiAccountProps,
  ApiAccountOutputs,
  ApiAccountCurrent
> = {
  kind: "apigateway-account",
  label: "API Gateway logging role",
  displayId: (p) => p.roleName,
  // The region's setting names whichever role is in use; a role this stack made is found by
  // its derived name, not by what was recorded.
  superseded: "forget",
  shared: true,

  async observe(ctx, p, recorded) {
    const [roleArn, ownRole] = await Promise.all([accountRole(ctx), ourRoleArn(ctx, p.roleName)]);
    if (!roleArn) {
      if (!ownRole) return undefined;
      // Our role exists but is not set: a run stopped between creating and setting it, or a
      // down stopped between unsetting and deleting it. Ours either way, and to be converged.
      return {
        id: ownRole,
        outputs: { roleArn: ownRole, createdByStack: "true" },
        current: { roleArn: undefined },
      };
    }
    // The role under the derived name was made by this tool (by some stage of it), even when
    // the run that set it stopped before recording so.
    const ours =
      roleArn === ownRole ||
      (recorded?.outputs.createdByStack === "true" && recorded.id === roleArn);
    return {
      id: roleArn,
      outputs: { roleArn, createdByStack: ours ? "true" : "false" },
      current: { roleArn },
    };
  },

  // Whoever set the role owns it; any role set is good enough for logging.
  diff: (_p, o): Change => ({ fields: o.current.roleArn ? [] : ["cloudwatchRoleArn"] }),

  async create(ctx, p) {
    const existed = (await ourRoleArn(ctx, p.roleName)) !== undefined;
    const roleArn = await ensureRole(ctx, p);
    if (!existed) {
      // A call made before the new role reaches API Gateway fails and still spends the
      // one-per-20-s UpdateAccount quota: give IAM its usual time first.
      ctx.progress("waiting for the IAM role to propagate…");
      await pause(ctx, ctx.timing.iamPropagationMs);
    }
    await setAccountRole(ctx, roleArn);
    return { id: roleArn, outputs: { roleArn, createdByStack: "true" }, current: { roleArn } };
  },

  async update(ctx, p, o, change) {
    if (!change.fields.includes("cloudwatchRoleArn")) return o;
    // Converge the role too (policy attached, trust), then set it.
    const roleArn = await ensureRole(ctx, p);
    await setAccountRole(ctx, roleArn);
    return { id: roleArn, outputs: { roleArn, createdByStack: "true" }, current: { roleArn } };
  },

  keeps: keptBecause,

  async destroy(ctx, entry: StateEntry) {
    const kept = await keptBecause(ctx, entry);
    if (kept) return { kept };
    if ((await accountRole(ctx)) === entry.id) {
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
    }
    // Only the role under this stack's derived name: never a role it did not create.
    const roleName = entry.id.slice(entry.id.lastIndexOf("/") + 1);
    if (roleName === ctx.names.apiGatewayCloudWatchRole)
      await deleteRole(ctx.clients.iam, roleName);
  },
};

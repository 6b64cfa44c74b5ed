import {
  GetAccountCommand,
  GetRestApisCommand,
  UpdateAccountCommand,
} from "@aws-sdk/client-api-gateway";
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { errorMessage, isNamed, isNotFound } from "../aws/errors.js";
import { STACK_TAG_KEY } from "../config.js";
import { sameJson } from "../engine/equal.js";
import { retryWhile } from "../engine/retry.js";
import type { Change, Ctx, ResourceHandler, StateEntry } from "../engine/types.js";
import { allPages, apiBusy } from "./api-common.js";
import { toKeyValueList, type TagMap } from "./tags.js";

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
  roleArn: string;
}

export function pushToCloudWatchPolicyArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`;
}

/** Only API Gateway may assume the role. */
export function apiGatewayTrustPolicy(): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" },
        Action: "sts:AssumeRole",
      },
    ],
  });
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

async function accountRole(ctx: Ctx): Promise<string | undefined> {
  const a = await ctx.clients.apigateway.send(new GetAccountCommand({}));
  return a.cloudwatchRoleArn || undefined;
}

/** Creates the role, or adopts the one an earlier run made under this name. */
async function ensureRole(ctx: Ctx, p: ApiAccountProps): Promise<string> {
  const iam = ctx.clients.iam;
  let arn: string | undefined;
  try {
    const r = await iam.send(
      new CreateRoleCommand({
        RoleName: p.roleName,
        AssumeRolePolicyDocument: apiGatewayTrustPolicy(),
        Description: "Lets API Gateway write execution and access logs in this region.",
        Tags: toKeyValueList(p.tags),
      }),
    );
    arn = r.Role?.Arn;
  } catch (err) {
    if (!isNamed(err, "EntityAlreadyExists")) throw err;
    const r = await iam.send(new GetRoleCommand({ RoleName: p.roleName }));
    arn = r.Role?.Arn;
    if (!sameJson(r.Role?.AssumeRolePolicyDocument, apiGatewayTrustPolicy())) {
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: p.roleName,
          PolicyDocument: apiGatewayTrustPolicy(),
        }),
      );
    }
  }
  await iam.send(
    new AttachRolePolicyCommand({
      RoleName: p.roleName,
      PolicyArn: pushToCloudWatchPolicyArn(p.partition),
    }),
  );
  if (!arn) throw new Error(`IAM returned no ARN for the role ${p.roleName}`);
  return arn;
}

async function deleteRole(ctx: Ctx, roleName: string): Promise<void> {
  const iam = ctx.clients.iam;
  try {
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
    for (const a of attached.AttachedPolicies ?? []) {
      await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: a.PolicyArn }));
    }
    const inline = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
    for (const PolicyName of inline.PolicyNames ?? []) {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName }));
    }
    await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
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

  async observe(ctx, _p, recorded) {
    const roleArn = await accountRole(ctx);
    if (!roleArn) return undefined;
    const ours = recorded?.outputs.createdByStack === "true" && recorded.id === roleArn;
    return {
      id: roleArn,
      outputs: { roleArn, createdByStack: ours ? "true" : "false" },
      current: { roleArn },
    };
  },

  // Whoever set the role owns it; any role set is good enough for logging.
  diff: (): Change => ({ fields: [] }),

  async create(ctx, p) {
    const roleArn = await ensureRole(ctx, p);
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
    return { id: roleArn, outputs: { roleArn, createdByStack: "true" }, current: { roleArn } };
  },

  async update(_ctx, _p, o) {
    return o;
  },

  async destroy(ctx, entry: StateEntry) {
    if (entry.outputs.createdByStack !== "true") {
      return { kept: "it was set before this stack; other APIs in the region may rely on it" };
    }
    // This stack's own API may still be on its way out (deleted concurrently): it does not count.
    const apis = await allPages((position) =>
      ctx.clients.apigateway.send(new GetRestApisCommand({ position, limit: 500 })),
    );
    const others = apis.filter((a) => a.tags?.[STACK_TAG_KEY] !== ctx.names.stack);
    if (others.length) {
      return {
        kept: `${others.length} other REST API(s) in ${ctx.region} may log through it`,
      };
    }
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
    if (roleName === ctx.names.apiGatewayCloudWatchRole) await deleteRole(ctx, roleName);
  },
};

import {
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { isNamed, orMissing } from "../aws/errors.js";
import { hasTags } from "../engine/equal.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import type { Ctx, StateEntry } from "../engine/types.js";
import type { TagMap } from "./tags.js";

export interface LogGroupProps {
  readonly name: string;
  /** arn:…:log-group:NAME, without the trailing ":*". */
  readonly arn: string;
  readonly retentionDays: number;
  readonly tags: TagMap;
}

export interface LogGroupOutputs extends Record<string, string> {
  name: string;
  arn: string;
}

interface LogGroupCurrent {
  retentionDays: number | undefined;
  tags: Record<string, string>;
}

export function logGroupArn(
  partition: string,
  region: string,
  account: string,
  name: string,
): string {
  return `arn:${partition}:logs:${region}:${account}:log-group:${name}`;
}

async function read(ctx: Ctx, p: LogGroupProps): Promise<LogGroupCurrent | undefined> {
  const logs = ctx.clients.logs;
  const [groups, tags] = await Promise.all([
    logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: p.name, limit: 5 })),
    orMissing(logs.send(new ListTagsForResourceCommand({ resourceArn: p.arn }))),
  ]);
  const group = groups.logGroups?.find((g) => g.logGroupName === p.name);
  if (!group) return undefined;
  return { retentionDays: group.retentionInDays, tags: tags?.tags ?? {} };
}

const outputsOf = (p: LogGroupProps): LogGroupOutputs => ({ name: p.name, arn: p.arn });

type LogGroupField = "retention" | "tags";

export const logGroupKind: Kind<LogGroupProps, LogGroupOutputs, LogGroupCurrent, LogGroupField> = {
  kind: "log-group",
  label: "log group",
  clients: ["logs"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.name,

  async read(ctx, p) {
    const current = await read(ctx, p);
    return current && { id: p.name, outputs: outputsOf(p), current };
  },

  diff(p, o) {
    const fields: LogGroupField[] = [];
    if (o.current.retentionDays !== p.retentionDays) fields.push("retention");
    if (!hasTags(o.current.tags, p.tags)) fields.push("tags");
    return fields;
  },

  values: (p, o) => ({
    retention: { observed: o.current.retentionDays, desired: p.retentionDays },
    tags: { observed: o.current.tags, desired: p.tags },
  }),

  fix: {
    async retention(ctx, p) {
      await ctx.clients.logs.send(
        new PutRetentionPolicyCommand({ logGroupName: p.name, retentionInDays: p.retentionDays }),
      );
    },
    async tags(ctx, p) {
      await ctx.clients.logs.send(
        new TagResourceCommand({ resourceArn: p.arn, tags: { ...p.tags } }),
      );
    },
  },

  // Retention is set by the fix that follows: CreateLogGroup has no parameter for it.
  async create(ctx, p) {
    await ctx.clients.logs.send(
      new CreateLogGroupCommand({ logGroupName: p.name, tags: { ...p.tags } }),
    );
    return {
      id: p.name,
      outputs: outputsOf(p),
      current: { retentionDays: undefined, tags: { ...p.tags } },
    };
  },

  // Auto-created by the service before we got here, or made by a run that stopped early.
  alreadyExists: (err) => isNamed(err, "ResourceAlreadyExistsException"),

  async exists(ctx, entry) {
    const groups = await ctx.clients.logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: entry.id, limit: 5 }),
    );
    return groups.logGroups?.some((g) => g.logGroupName === entry.id) === true;
  },

  async delete(ctx, entry: StateEntry) {
    await ctx.clients.logs.send(new DeleteLogGroupCommand({ logGroupName: entry.id }));
  },
};

export const logGroupHandler = lifecycle(logGroupKind);

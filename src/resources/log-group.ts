import {
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { isNamed, isNotFound, orMissing } from "../aws/errors.js";
import { hasTags } from "../engine/equal.js";
import type { Change, Ctx, ResourceHandler, StateEntry } from "../engine/types.js";
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

export const logGroupHandler: ResourceHandler<LogGroupProps, LogGroupOutputs, LogGroupCurrent> = {
  kind: "log-group",
  label: "log group",
  displayId: (p) => p.name,

  async observe(ctx, p) {
    const current = await read(ctx, p);
    return current && { id: p.name, outputs: outputsOf(p), current };
  },

  diff(p, o): Change {
    const fields: string[] = [];
    if (o.current.retentionDays !== p.retentionDays) fields.push("retention");
    if (!hasTags(o.current.tags, p.tags)) fields.push("tags");
    return { fields };
  },

  async create(ctx, p) {
    try {
      await ctx.clients.logs.send(
        new CreateLogGroupCommand({ logGroupName: p.name, tags: { ...p.tags } }),
      );
    } catch (err) {
      // Auto-created by the service before we got here, or made by a run that stopped early.
      if (!isNamed(err, "ResourceAlreadyExistsException")) throw err;
      const current = (await read(ctx, p)) ?? { retentionDays: undefined, tags: {} };
      return this.update(
        ctx,
        p,
        { id: p.name, outputs: outputsOf(p), current },
        this.diff(p, { id: p.name, outputs: outputsOf(p), current }),
      );
    }
    await ctx.clients.logs.send(
      new PutRetentionPolicyCommand({ logGroupName: p.name, retentionInDays: p.retentionDays }),
    );
    return {
      id: p.name,
      outputs: outputsOf(p),
      current: { retentionDays: p.retentionDays, tags: { ...p.tags } },
    };
  },

  async update(ctx, p, o, change) {
    const logs = ctx.clients.logs;
    if (change.fields.includes("retention")) {
      await logs.send(
        new PutRetentionPolicyCommand({ logGroupName: p.name, retentionInDays: p.retentionDays }),
      );
    }
    if (change.fields.includes("tags")) {
      await logs.send(new TagResourceCommand({ resourceArn: p.arn, tags: { ...p.tags } }));
    }
    return {
      id: p.name,
      outputs: outputsOf(p),
      current: { retentionDays: p.retentionDays, tags: { ...o.current.tags, ...p.tags } },
    };
  },

  async exists(ctx, entry) {
    const groups = await ctx.clients.logs.send(
      new DescribeLogGroupsCommand({ logGroupNamePrefix: entry.id, limit: 5 }),
    );
    return groups.logGroups?.some((g) => g.logGroupName === entry.id) === true;
  },

  async destroy(ctx, entry: StateEntry) {
    try {
      await ctx.clients.logs.send(new DeleteLogGroupCommand({ logGroupName: entry.id }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
};

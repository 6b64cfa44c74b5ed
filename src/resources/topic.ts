import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  SetTopicAttributesCommand,
  TagResourceCommand,
} from "@aws-sdk/client-sns";
import { errorMessage, isNamed, isNotFound, orMissing } from "../aws/errors.js";
import { hasTags, sameJson } from "../engine/equal.js";
import type { Change, Ctx, ResourceHandler, StateEntry } from "../engine/types.js";
import { fromKeyValueList, toKeyValueList, type TagMap } from "./tags.js";

/** A topic policy: who may do what on the topic. */
export interface TopicPolicy {
  Version: "2012-10-17";
  Statement: {
    Sid: string;
    Effect: "Allow";
    Principal: { Service: string };
    Action: string;
    Resource: string;
    Condition: Record<string, Record<string, string>>;
  }[];
}

/**
 * Only CloudWatch may publish, and only for alarms of this account whose names start with the
 * stack's prefix (confused-deputy protection); nothing is public. The account's own principals
 * keep the access their IAM policies give them.
 */
export function alarmTopicPolicy(i: {
  topicArn: string;
  partition: string;
  region: string;
  account: string;
  alarmNamePrefix: string;
}): TopicPolicy {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: i.topicArn,
        Condition: {
          StringEquals: { "aws:SourceAccount": i.account },
          ArnLike: {
            "aws:SourceArn": `arn:${i.partition}:cloudwatch:${i.region}:${i.account}:alarm:${i.alarmNamePrefix}*`,
          },
        },
      },
    ],
  };
}

export interface TopicProps {
  readonly name: string;
  /** arn:PARTITION:sns:REGION:ACCOUNT:NAME: known before the topic exists. */
  readonly arn: string;
  /** The customer-managed key that encrypts messages at rest (its alias ARN). */
  readonly kmsKeyArn: string;
  readonly policy: TopicPolicy;
  readonly tags: TagMap;
}

export interface TopicOutputs extends Record<string, string> {
  name: string;
  arn: string;
  kmsKeyArn: string;
}

interface TopicCurrent {
  kmsKeyId: string | undefined;
  policy: string | undefined;
  tags: Record<string, string>;
}

async function read(ctx: Ctx, p: TopicProps): Promise<TopicCurrent | undefined> {
  const sns = ctx.clients.sns;
  const [attrs, tags] = await Promise.all([
    orMissing(sns.send(new GetTopicAttributesCommand({ TopicArn: p.arn }))),
    orMissing(sns.send(new ListTagsForResourceCommand({ ResourceArn: p.arn }))),
  ]);
  if (!attrs) return undefined;
  return {
    kmsKeyId: attrs.Attributes?.KmsMasterKeyId,
    policy: attrs.Attributes?.Policy,
    tags: fromKeyValueList(tags?.Tags),
  };
}

const outputsOf = (p: TopicProps): TopicOutputs => ({
  name: p.name,
  arn: p.arn,
  kmsKeyArn: p.kmsKeyArn,
});

export const topicHandler: ResourceHandler<TopicProps, TopicOutputs, TopicCurrent> = {
  kind: "sns-topic",
  label: "SNS topic",
  displayId: (p) => p.name,

  async observe(ctx, p) {
    const current = await read(ctx, p);
    return current && { id: p.arn, outputs: outputsOf(p), current };
  },

  diff(p, o): Change {
    const fields: string[] = [];
    if (o.current.kmsKeyId !== p.kmsKeyArn) fields.push("encryption");
    if (!sameJson(o.current.policy, JSON.stringify(p.policy))) fields.push("policy");
    if (!hasTags(o.current.tags, p.tags)) fields.push("tags");
    return { fields };
  },

  async create(ctx, p) {
    try {
      // Idempotent in AWS: the same name and attributes return the same ARN.
      await ctx.clients.sns.send(
        new CreateTopicCommand({
          Name: p.name,
          Attributes: { KmsMasterKeyId: p.kmsKeyArn, Policy: JSON.stringify(p.policy) },
          Tags: toKeyValueList(p.tags),
        }),
      );
    } catch (err) {
      // It appeared since it was observed, with other settings: converge it instead.
      if (
        !isNamed(err, "InvalidParameterException") ||
        !/already exists with different/.test(errorMessage(err))
      ) {
        throw err;
      }
    }
    const current = await read(ctx, p);
    if (!current) throw new Error("the topic is not readable right after it was created");
    const o = { id: p.arn, outputs: outputsOf(p), current };
    const change = this.diff(p, o);
    return change.fields.length ? this.update(ctx, p, o, change) : o;
  },

  async update(ctx, p, o, change) {
    const sns = ctx.clients.sns;
    const set = (AttributeName: string, AttributeValue: string) =>
      sns.send(new SetTopicAttributesCommand({ TopicArn: p.arn, AttributeName, AttributeValue }));
    if (change.fields.includes("encryption")) await set("KmsMasterKeyId", p.kmsKeyArn);
    if (change.fields.includes("policy")) await set("Policy", JSON.stringify(p.policy));
    if (change.fields.includes("tags")) {
      await sns.send(new TagResourceCommand({ ResourceArn: p.arn, Tags: toKeyValueList(p.tags) }));
    }
    return { id: p.arn, outputs: outputsOf(p), current: (await read(ctx, p)) ?? o.current };
  },

  async exists(ctx, entry) {
    return (
      (await orMissing(
        ctx.clients.sns.send(new GetTopicAttributesCommand({ TopicArn: entry.id })),
      )) !== undefined
    );
  },

  /** Deleting a topic also deletes its subscriptions, pending ones included. */
  async destroy(ctx, entry: StateEntry) {
    try {
      await ctx.clients.sns.send(new DeleteTopicCommand({ TopicArn: entry.id }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
};

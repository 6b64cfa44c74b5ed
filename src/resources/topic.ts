import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  SetTopicAttributesCommand,
  TagResourceCommand,
} from "@aws-sdk/client-sns";
import { errorMessage, isNamed, orMissing } from "../aws/errors.js";
import { hasTags, jsonValue, sameJson } from "../engine/equal.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import type { Ctx, StateEntry } from "../engine/types.js";
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
    Condition: Record<string, Record<string, string | string[]>>;
  }[];
}

/**
 * Only CloudWatch may publish, and only for this account's alarms that are the stack's own, each
 * by its exact ARN (confused-deputy protection); nothing is public. The account's own principals
 * keep the access their IAM policies give them.
 */
export function alarmTopicPolicy(i: {
  topicArn: string;
  partition: string;
  region: string;
  account: string;
  /** The stack's alarms, each by its exact ARN: no pattern another stack's names could match. */
  alarmArns: readonly string[];
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
          ArnEquals: { "aws:SourceArn": [...i.alarmArns] },
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

type TopicField = "encryption" | "policy" | "tags";

const setAttribute = (ctx: Ctx, p: TopicProps, AttributeName: string, AttributeValue: string) =>
  ctx.clients.sns.send(
    new SetTopicAttributesCommand({ TopicArn: p.arn, AttributeName, AttributeValue }),
  );

export const topicKind: Kind<TopicProps, TopicOutputs, TopicCurrent, TopicField> = {
  kind: "sns-topic",
  label: "SNS topic",
  clients: ["sns"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.name,

  async read(ctx, p) {
    const current = await read(ctx, p);
    return current && { id: p.arn, outputs: outputsOf(p), current };
  },

  diff(p, o) {
    const fields: TopicField[] = [];
    if (o.current.kmsKeyId !== p.kmsKeyArn) fields.push("encryption");
    if (!sameJson(o.current.policy, JSON.stringify(p.policy))) fields.push("policy");
    if (!hasTags(o.current.tags, p.tags)) fields.push("tags");
    return fields;
  },

  values: (p, o) => ({
    encryption: { observed: o.current.kmsKeyId, desired: p.kmsKeyArn },
    policy: { observed: jsonValue(o.current.policy), desired: p.policy },
    tags: { observed: o.current.tags, desired: p.tags },
  }),

  fix: {
    async encryption(ctx, p) {
      await setAttribute(ctx, p, "KmsMasterKeyId", p.kmsKeyArn);
    },
    async policy(ctx, p) {
      await setAttribute(ctx, p, "Policy", JSON.stringify(p.policy));
    },
    async tags(ctx, p) {
      await ctx.clients.sns.send(
        new TagResourceCommand({ ResourceArn: p.arn, Tags: toKeyValueList(p.tags) }),
      );
    },
  },

  async create(ctx, p) {
    // Idempotent in AWS: the same name and attributes return the same ARN.
    await ctx.clients.sns.send(
      new CreateTopicCommand({
        Name: p.name,
        Attributes: { KmsMasterKeyId: p.kmsKeyArn, Policy: JSON.stringify(p.policy) },
        Tags: toKeyValueList(p.tags),
      }),
    );
  },

  // It appeared since it was observed, with other settings: converge it instead.
  alreadyExists: (err) =>
    isNamed(err, "InvalidParameterException") &&
    /already exists with different/.test(errorMessage(err)),

  async exists(ctx, entry) {
    return (
      (await orMissing(
        ctx.clients.sns.send(new GetTopicAttributesCommand({ TopicArn: entry.id })),
      )) !== undefined
    );
  },

  /** Deleting a topic also deletes its subscriptions, pending ones included. */
  async delete(ctx, entry: StateEntry) {
    await ctx.clients.sns.send(new DeleteTopicCommand({ TopicArn: entry.id }));
  },
};

export const topicHandler = lifecycle(topicKind);

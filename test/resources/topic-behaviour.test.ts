import { beforeEach, describe, expect, it, vi } from "vitest";
import type { StateEntry } from "../../src/engine/types.js";
import type * as TopicModule from "../../src/resources/topic.js";
import { awsError } from "../fake-aws/index.js";
import { kindWorld } from "./kind-ctx.js";

/** The alarm topic on its own: its policy, the calls that make, repair and delete it. */

/** Loaded afresh for each test: the kind's table is evaluated once per load. */
let m: typeof TopicModule;
beforeEach(async () => {
  vi.resetModules();
  m = await import("../../src/resources/topic.js");
});

const ARN = "arn:aws:sns:us-east-1:123456789012:shop-production-alarms";
const KEY = "arn:aws:kms:us-east-1:123456789012:alias/shop-production";
const ALARM = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-production-5xx";
const policy = (alarmArns = [ALARM]) =>
  m.alarmTopicPolicy({
    topicArn: ARN,
    partition: "aws",
    region: "us-east-1",
    account: "123456789012",
    alarmArns,
  });
const props = (over: Partial<TopicModule.TopicProps> = {}) => ({
  name: "shop-production-alarms",
  arn: ARN,
  kmsKeyArn: KEY,
  policy: policy(),
  tags: { project: "shop" },
  ...over,
});
const entry = (id: string) => ({ kind: "sns-topic", id }) as unknown as StateEntry;

describe("SNS topic", () => {
  it("its policy: only CloudWatch publishes, for this account's listed alarms", () => {
    expect(policy()).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "CloudWatchAlarmsPublish",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: "sns:Publish",
          Resource: ARN,
          Condition: {
            StringEquals: { "aws:SourceAccount": "123456789012" },
            ArnEquals: { "aws:SourceArn": [ALARM] },
          },
        },
      ],
    });
    expect(m.topicKind.kind).toBe("sns-topic");
    expect(m.topicHandler.label).toBe("SNS topic");
    expect(m.topicHandler.displayId(props())).toBe("shop-production-alarms");
  });

  it("create: one call with its key, policy and tags; read back by its ARN", async () => {
    const w = kindWorld();
    const o = await m.topicHandler.create(w.ctx, props());
    expect(w.inputs("CreateTopic")).toEqual([
      {
        Name: "shop-production-alarms",
        Attributes: { KmsMasterKeyId: KEY, Policy: JSON.stringify(policy()) },
        Tags: [{ Key: "project", Value: "shop" }],
      },
    ]);
    expect(w.operations().filter((op) => /^(Set|Tag)/.test(op))).toEqual([]);
    expect(o).toEqual({
      id: ARN,
      outputs: { name: "shop-production-alarms", arn: ARN, kmsKeyArn: KEY },
      current: { kmsKeyId: KEY, policy: JSON.stringify(policy()), tags: { project: "shop" } },
    });
    expect(m.topicHandler.tagsOf?.(o)).toEqual({ project: "shop" });
  });

  it("a topic of that name with other settings is adopted and converged", async () => {
    const w = kindWorld();
    await m.topicHandler.create(w.ctx, props({ policy: policy([]) }));
    w.fake.resetCalls();
    await m.topicHandler.create(w.ctx, props());
    expect(w.inputs("SetTopicAttributes")).toEqual([
      { TopicArn: ARN, AttributeName: "Policy", AttributeValue: JSON.stringify(policy()) },
    ]);
  });

  it("another invalid parameter is not taken for an existing topic", async () => {
    const w = kindWorld();
    w.fake.inject({
      operation: "CreateTopic",
      times: 1,
      error: () => awsError("SNS", "InvalidParameterException", "Invalid parameter: Name"),
    });
    await expect(m.topicHandler.create(w.ctx, props())).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
    w.fake.inject({
      operation: "CreateTopic",
      times: 1,
      error: () => awsError("SNS", "AuthorizationErrorException", "already exists with different"),
    });
    await expect(m.topicHandler.create(w.ctx, props())).rejects.toMatchObject({
      name: "AuthorizationErrorException",
    });
  });

  it("read: none when it is not there (tags or not)", async () => {
    const w = kindWorld();
    expect(await m.topicHandler.observe(w.ctx, props(), undefined)).toBeUndefined();
    expect(w.inputs("GetTopicAttributes")).toEqual([{ TopicArn: ARN }]);
    expect(w.inputs("ListTagsForResource")).toEqual([{ ResourceArn: ARN }]);
    expect(await m.topicHandler.exists!(w.ctx, entry(ARN))).toBe(false);
    await m.topicHandler.create(w.ctx, props());
    expect(await m.topicHandler.exists!(w.ctx, entry(ARN))).toBe(true);
  });

  it("read: an answer without attributes or tags reads as none set", async () => {
    const w = kindWorld();
    await m.topicHandler.create(w.ctx, props());
    w.fake.sns.operations.GetTopicAttributes = () => ({});
    w.fake.sns.operations.ListTagsForResource = () => ({});
    expect((await m.topicHandler.observe(w.ctx, props(), undefined))?.current).toEqual({
      kmsKeyId: undefined,
      policy: undefined,
      tags: {},
    });
  });

  it("read: tags that cannot be listed (the topic going) read as none", async () => {
    const w = kindWorld();
    await m.topicHandler.create(w.ctx, props());
    w.fake.inject({
      operation: "ListTagsForResource",
      times: 1,
      error: () => awsError("SNS", "NotFound", "Topic does not exist", 404),
    });
    expect((await m.topicHandler.observe(w.ctx, props(), undefined))?.current.tags).toEqual({});
  });

  it("diff names each drift; fixes set each attribute and tag", async () => {
    const w = kindWorld();
    await m.topicHandler.create(w.ctx, props());
    const o = (await m.topicHandler.observe(w.ctx, props(), undefined))!;
    expect(m.topicHandler.diff(props(), o).fields).toEqual([]);
    const other = props({
      kmsKeyArn: `${KEY}-2`,
      policy: policy([ALARM, `${ALARM}-2`]),
      tags: { project: "shop", team: "a" },
    });
    expect(m.topicHandler.diff(other, o).fields).toEqual(["encryption", "policy", "tags"]);
    w.fake.resetCalls();
    await m.topicHandler.update(w.ctx, other, o, { fields: ["encryption", "policy", "tags"] });
    expect(w.inputs("SetTopicAttributes")).toEqual([
      { TopicArn: ARN, AttributeName: "KmsMasterKeyId", AttributeValue: `${KEY}-2` },
      {
        TopicArn: ARN,
        AttributeName: "Policy",
        AttributeValue: JSON.stringify(policy([ALARM, `${ALARM}-2`])),
      },
    ]);
    expect(w.inputs("TagResource")).toEqual([
      {
        ResourceArn: ARN,
        Tags: [
          { Key: "project", Value: "shop" },
          { Key: "team", Value: "a" },
        ],
      },
    ]);
  });

  it("destroy deletes it by ARN", async () => {
    const w = kindWorld();
    await m.topicHandler.create(w.ctx, props());
    await m.topicHandler.destroy(w.ctx, entry(ARN));
    expect(w.inputs("DeleteTopic")).toEqual([{ TopicArn: ARN }]);
    expect(await m.topicHandler.exists!(w.ctx, entry(ARN))).toBe(false);
  });
});

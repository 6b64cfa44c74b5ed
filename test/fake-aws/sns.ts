import type { CallContext, FakeService } from "./core.js";
import { errorsFor } from "./errors.js";

const err = errorsFor("SNS");

/** What ListSubscriptionsByTopic shows for a subscription nobody has confirmed yet. */
export const PENDING = "PendingConfirmation";

export interface Subscription {
  arn: string;
  protocol: string;
  endpoint: string;
  confirmed: boolean;
  /** How many confirmation messages were sent (a re-Subscribe of a pending one sends another). */
  confirmationsSent: number;
}

export interface Topic {
  name: string;
  arn: string;
  attributes: Record<string, string>;
  tags: Map<string, string>;
  subscriptions: Subscription[];
}

type In = Record<string, unknown>;

const SETTABLE = new Set([
  "Policy",
  "DisplayName",
  "DeliveryPolicy",
  "KmsMasterKeyId",
  "SignatureVersion",
  "TracingConfig",
  "FifoTopic",
  "ContentBasedDeduplication",
  "ArchivePolicy",
]);

/**
 * SNS topics and e-mail subscriptions. E-mail subscriptions stay pending until the recipient
 * clicks the link (`confirm` in tests); AWS reports them as "pending confirmation".
 */
export class FakeSns implements FakeService {
  readonly name = "SNS";
  readonly topics = new Map<string, Topic>();
  readonly operations: FakeService["operations"];
  private nextSub = 1;

  constructor(private readonly account: string) {
    this.operations = {
      CreateTopic: (i, c) => this.createTopic(i, c),
      GetTopicAttributes: (i) => {
        const t = this.topic(i.TopicArn);
        const confirmed = t.subscriptions.filter((s) => s.confirmed).length;
        return {
          Attributes: {
            ...t.attributes,
            TopicArn: t.arn,
            Owner: this.account,
            SubscriptionsConfirmed: String(confirmed),
            SubscriptionsPending: String(t.subscriptions.length - confirmed),
            SubscriptionsDeleted: "0",
          },
        };
      },
      SetTopicAttributes: (i) => {
        const t = this.topic(i.TopicArn);
        const name = i.AttributeName as string;
        if (!SETTABLE.has(name)) throw err("InvalidParameter", "Invalid parameter: AttributeName");
        const value = (i.AttributeValue as string | undefined) ?? "";
        if (name === "Policy") this.checkPolicy(value);
        if (value === "" && name !== "Policy") delete t.attributes[name];
        else
          t.attributes[name] =
            name === "Policy" && value === "" ? this.defaultPolicy(t.arn) : value;
        return {};
      },
      // Idempotent in AWS: deleting a topic that does not exist is not an error.
      DeleteTopic: (i) => {
        const arn = i.TopicArn as string;
        this.topics.delete(arn);
        return {};
      },
      ListTopics: () => ({ Topics: [...this.topics.keys()].map((TopicArn) => ({ TopicArn })) }),
      Subscribe: (i) => this.subscribe(i),
      Unsubscribe: (i) => {
        const arn = i.SubscriptionArn as string;
        if (!/^arn:[\w-]+:sns:/.test(arn))
          throw err("InvalidParameter", "Invalid parameter: SubscriptionArn");
        for (const t of this.topics.values()) {
          const n = t.subscriptions.findIndex((s) => s.arn === arn && s.confirmed);
          if (n >= 0) {
            t.subscriptions.splice(n, 1);
            return {};
          }
        }
        throw err("NotFound", "Subscription does not exist", 404);
      },
      ListSubscriptions: () => ({
        Subscriptions: [...this.topics.values()].flatMap((t) =>
          t.subscriptions.map((s) => ({
            SubscriptionArn: s.confirmed ? s.arn : PENDING,
            Owner: this.account,
            Protocol: s.protocol,
            Endpoint: s.endpoint,
            TopicArn: t.arn,
          })),
        ),
      }),
      ListSubscriptionsByTopic: (i) => {
        const t = this.topic(i.TopicArn);
        // Pages of 100, as AWS does.
        const from = i.NextToken ? Number(i.NextToken) : 0;
        const page = t.subscriptions.slice(from, from + 100);
        return {
          Subscriptions: page.map((s) => ({
            SubscriptionArn: s.confirmed ? s.arn : PENDING,
            Owner: this.account,
            Protocol: s.protocol,
            Endpoint: s.endpoint,
            TopicArn: t.arn,
          })),
          ...(from + 100 < t.subscriptions.length ? { NextToken: String(from + 100) } : {}),
        };
      },
      ListTagsForResource: (i) => ({
        Tags: [...this.tagged(i.ResourceArn).tags].map(([Key, Value]) => ({ Key, Value })),
      }),
      TagResource: (i) => {
        const t = this.tagged(i.ResourceArn);
        for (const tag of i.Tags as { Key: string; Value: string }[])
          t.tags.set(tag.Key, tag.Value);
        return {};
      },
      UntagResource: (i) => {
        const t = this.tagged(i.ResourceArn);
        for (const k of i.TagKeys as string[]) t.tags.delete(k);
        return {};
      },
    };
  }

  /** The recipient clicks the link in the confirmation e-mail (tests). */
  confirm(address: string): void {
    let found = false;
    for (const t of this.topics.values()) {
      for (const s of t.subscriptions) {
        if (s.endpoint === address && !s.confirmed) {
          s.confirmed = true;
          found = true;
        }
      }
    }
    if (!found) throw new Error(`no subscription of ${address} is pending confirmation`);
  }

  /** The topic by name (tests). */
  byName(name: string): Topic | undefined {
    return [...this.topics.values()].find((t) => t.name === name);
  }

  private topic(arn: unknown): Topic {
    const t = this.topics.get(String(arn));
    if (!t) throw err("NotFound", "Topic does not exist", 404);
    return t;
  }

  private tagged(arn: unknown): Topic {
    const t = this.topics.get(String(arn));
    if (!t) throw err("ResourceNotFound", "Resource does not exist", 404);
    return t;
  }

  private defaultPolicy(arn: string): string {
    return JSON.stringify({
      Version: "2008-10-17",
      Id: "__default_policy_ID",
      Statement: [
        {
          Sid: "__default_statement_ID",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: [
            "SNS:GetTopicAttributes",
            "SNS:SetTopicAttributes",
            "SNS:AddPermission",
            "SNS:RemovePermission",
            "SNS:DeleteTopic",
            "SNS:Subscribe",
            "SNS:ListSubscriptionsByTopic",
            "SNS:Publish",
          ],
          Resource: arn,
          Condition: { StringEquals: { "AWS:SourceOwner": this.account } },
        },
      ],
    });
  }

  private checkPolicy(policy: string): void {
    try {
      const doc = JSON.parse(policy) as { Statement?: unknown };
      if (!Array.isArray(doc.Statement)) throw new Error("no statements");
    } catch {
      throw err("InvalidParameter", "Invalid parameter: Policy Error: null");
    }
  }

  private createTopic(i: In, c: CallContext): object {
    const name = i.Name as string;
    if (!/^[\w-]{1,256}$/.test(name))
      throw err(
        "InvalidParameterException",
        "Invalid parameter: Topic Name: Topic names must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.",
      );
    const arn = `arn:aws:sns:${c.region}:${this.account}:${name}`;
    const attributes = { ...((i.Attributes as Record<string, string> | undefined) ?? {}) };
    for (const k of Object.keys(attributes)) {
      if (!SETTABLE.has(k))
        throw err(
          "InvalidParameterException",
          `Invalid parameter: Attributes Reason: Unknown attribute ${k}`,
        );
    }
    if (attributes.Policy !== undefined) this.checkPolicy(attributes.Policy);
    const tags = new Map(
      ((i.Tags as { Key: string; Value: string }[] | undefined) ?? []).map((t) => [t.Key, t.Value]),
    );
    const existing = this.topics.get(arn);
    if (existing) {
      // Same name and attributes: AWS returns the same ARN and changes nothing.
      const differs = Object.entries(attributes).some(([k, v]) => existing.attributes[k] !== v);
      if (differs)
        throw err(
          "InvalidParameterException",
          "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
        );
      if ([...tags].some(([k, v]) => existing.tags.get(k) !== v))
        throw err(
          "InvalidParameterException",
          "Invalid parameter: Tags Reason: Topic already exists with different tags",
        );
      return { TopicArn: arn };
    }
    this.topics.set(arn, {
      name,
      arn,
      attributes: {
        Policy: this.defaultPolicy(arn),
        DisplayName: "",
        EffectiveDeliveryPolicy:
          '{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false}}',
        ...attributes,
      },
      tags,
      subscriptions: [],
    });
    return { TopicArn: arn };
  }

  private subscribe(i: In): object {
    const t = this.topic(i.TopicArn);
    const protocol = i.Protocol as string;
    const endpoint = i.Endpoint as string;
    if (protocol === "email" && !/^[^@\s]+@[^@\s]+$/.test(endpoint ?? ""))
      throw err("InvalidParameter", "Invalid parameter: Email address");
    const existing = t.subscriptions.find(
      (s) => s.protocol === protocol && s.endpoint === endpoint,
    );
    if (existing) {
      if (existing.confirmed) return { SubscriptionArn: existing.arn };
      // AWS sends the confirmation e-mail again.
      existing.confirmationsSent++;
      return { SubscriptionArn: i.ReturnSubscriptionArn ? existing.arn : "pending confirmation" };
    }
    const sub: Subscription = {
      arn: `${t.arn}:${String(this.nextSub++).padStart(8, "0")}-fake-subscription`,
      protocol,
      endpoint,
      confirmed: protocol !== "email" && protocol !== "email-json",
      confirmationsSent: protocol === "email" || protocol === "email-json" ? 1 : 0,
    };
    t.subscriptions.push(sub);
    return {
      SubscriptionArn: sub.confirmed || i.ReturnSubscriptionArn ? sub.arn : "pending confirmation",
    };
  }
}

import { describe, expect, it } from "vitest";
import type { StateEntry } from "../../src/engine/types.js";
import {
  emailSubscriptionHandler as sub,
  emailSubscriptionKind,
} from "../../src/resources/subscription.js";
import { topicHandler } from "../../src/resources/topic.js";
import { awsError } from "../fake-aws/index.js";
import { kindWorld, type KindWorld } from "./kind-ctx.js";

/**
 * The alarm e-mail subscription on its own: what is subscribed, when an old address is removed
 * (only once confirmed: AWS refuses the rest), and what the user is told.
 */

const TOPIC = "arn:aws:sns:us-east-1:123456789012:shop-production-alarms";
const props = (email = "oncall@example.com") => ({ topicArn: TOPIC, email });
const entry = (id: string, outputs: Record<string, string> = { topicArn: TOPIC }) =>
  ({ kind: "sns-email-subscription", id, outputs }) as unknown as StateEntry;

async function withTopic(): Promise<KindWorld> {
  const w = kindWorld();
  await topicHandler.create(w.ctx, {
    name: "shop-production-alarms",
    arn: TOPIC,
    kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:alias/k",
    policy: { Version: "2012-10-17", Statement: [] },
    tags: {},
  });
  w.fake.resetCalls();
  return w;
}

describe("e-mail subscription", () => {
  it("is recorded as sns-email-subscription and named by its address", () => {
    expect(emailSubscriptionKind.kind).toBe("sns-email-subscription");
    expect(sub.label).toBe("e-mail subscription");
    expect(sub.displayId(props())).toBe("oncall@example.com");
  });

  it("create subscribes the address, says an e-mail was sent, and records it pending", async () => {
    const w = await withTopic();
    const o = await sub.create(w.ctx, props());
    expect(w.inputs("Subscribe")).toEqual([
      { TopicArn: TOPIC, Protocol: "email", Endpoint: "oncall@example.com" },
    ]);
    expect(w.progress).toEqual([
      "AWS sent a confirmation e-mail to oncall@example.com: click its link to receive alarms",
    ]);
    expect(o.outputs).toEqual({
      topicArn: TOPIC,
      endpoint: "oncall@example.com",
      status: "pending confirmation",
      subscriptionArn: "",
      note: "",
    });
    expect(sub.diff(props(), o).fields).toEqual([]);
  });

  it("read: confirmed, with its ARN; the address matched whatever its case", async () => {
    const w = await withTopic();
    await sub.create(w.ctx, props("OnCall@Example.com"));
    w.fake.sns.confirm("OnCall@Example.com");
    const o = await sub.observe(w.ctx, props(), undefined);
    expect(o?.outputs.status).toBe("confirmed");
    expect(o?.outputs.subscriptionArn).toMatch(/^arn:aws:sns:us-east-1:123456789012:/);
    expect(o?.id).toBe("oncall@example.com");
  });

  it("read: none without the topic, none without the address", async () => {
    const w = kindWorld();
    expect(await sub.observe(w.ctx, props(), undefined)).toBeUndefined();
    expect(await sub.exists!(w.ctx, entry("oncall@example.com"))).toBe(false);
    const t = await withTopic();
    expect(await sub.observe(t.ctx, props(), undefined)).toBeUndefined();
    expect(await sub.exists!(t.ctx, entry("oncall@example.com"))).toBe(false);
    expect(await sub.exists!(t.ctx, entry("oncall@example.com", {}))).toBe(false);
    await sub.create(t.ctx, props());
    expect(await sub.exists!(t.ctx, entry("oncall@example.com"))).toBe(true);
    expect(await sub.exists!(t.ctx, entry("someone@example.com"))).toBe(false);
  });

  it("a listing error other than not-found is not taken for a missing topic", async () => {
    const w = await withTopic();
    w.fake.inject({
      operation: "ListSubscriptionsByTopic",
      times: 1,
      error: () => awsError("SNS", "AuthorizationErrorException", "not authorized"),
    });
    await expect(sub.observe(w.ctx, props(), undefined)).rejects.toMatchObject({
      name: "AuthorizationErrorException",
    });
  });

  it("a changed address, the old one confirmed: subscribes the new one, then unsubscribes the old", async () => {
    const w = await withTopic();
    await sub.create(w.ctx, props("old@example.com"));
    w.fake.sns.confirm("old@example.com");
    const recorded = entry("old@example.com", { topicArn: TOPIC, endpoint: "old@example.com" });
    const o = (await sub.observe(w.ctx, props("new@example.com"), recorded))!;
    expect(o.current).toMatchObject({ mine: undefined, previous: { confirmed: true } });
    expect(sub.diff(props("new@example.com"), o).fields).toEqual(["endpoint", "previousEndpoint"]);
    w.fake.resetCalls();
    const after = await sub.update(w.ctx, props("new@example.com"), o, {
      fields: ["endpoint", "previousEndpoint"],
    });
    expect(w.operations().filter((op) => !op.startsWith("List"))).toEqual([
      "Subscribe",
      "Unsubscribe",
    ]);
    expect(w.inputs("Unsubscribe")).toEqual([
      { SubscriptionArn: (o.current as { previous: { arn: string } }).previous.arn },
    ]);
    expect(after.outputs).toMatchObject({ endpoint: "new@example.com", note: "" });
    expect(await sub.exists!(w.ctx, entry("old@example.com"))).toBe(false);
  });

  it("a changed address, the old one pending: it stays, and the user is told why", async () => {
    const w = await withTopic();
    await sub.create(w.ctx, props("old@example.com"));
    const recorded = entry("old@example.com", { topicArn: TOPIC, endpoint: "old@example.com" });
    const o = (await sub.observe(w.ctx, props("new@example.com"), recorded))!;
    expect(sub.diff(props("new@example.com"), o).fields).toEqual(["endpoint"]);
    w.progress.length = 0;
    w.fake.resetCalls();
    const after = await sub.update(w.ctx, props("new@example.com"), o, { fields: ["endpoint"] });
    const note =
      "old@example.com is still pending confirmation: AWS cannot unsubscribe it, and drops it after 3 days unless someone confirms it.";
    expect(after.outputs.note).toBe(note);
    expect(w.progress).toEqual([
      "AWS sent a confirmation e-mail to new@example.com: click its link to receive alarms",
      note,
    ]);
    expect(w.inputs("Unsubscribe")).toEqual([]);
  });

  it("the same address recorded: no previous one; the old one already gone: the new one alone is read", async () => {
    const w = await withTopic();
    await sub.create(w.ctx, props());
    const same = entry("x", { topicArn: TOPIC, endpoint: "ONCALL@example.com" });
    expect((await sub.observe(w.ctx, props(), same))?.current).toMatchObject({
      previous: undefined,
    });
    const gone = entry("x", { topicArn: TOPIC, endpoint: "gone@example.com" });
    expect((await sub.observe(w.ctx, props(), gone))?.current).toMatchObject({
      previous: undefined,
    });
  });

  it("only the old address listed: read, and the new one is subscribed", async () => {
    const w = await withTopic();
    await sub.create(w.ctx, props("old@example.com"));
    const recorded = entry("old@example.com", { topicArn: TOPIC, endpoint: "old@example.com" });
    const o = await sub.observe(w.ctx, props("new@example.com"), recorded);
    expect(o?.outputs).toMatchObject({
      endpoint: "new@example.com",
      status: "pending confirmation",
    });
  });

  it("a subscription not listed right after it was made is an error", async () => {
    const w = await withTopic();
    const o = { id: "x", outputs: {}, current: { mine: undefined, previous: undefined } };
    w.fake.sns.operations.ListSubscriptionsByTopic = () => ({ Subscriptions: [] });
    await expect(sub.update(w.ctx, props(), o as never, { fields: ["endpoint"] })).rejects.toThrow(
      "the subscription is not listed right after it was made",
    );
  });

  it("an already subscribed address is not subscribed again by a fix", async () => {
    const w = await withTopic();
    await sub.create(w.ctx, props());
    w.fake.sns.confirm("oncall@example.com");
    const o = (await sub.observe(w.ctx, props(), undefined))!;
    w.fake.resetCalls();
    await sub.update(w.ctx, props(), o, { fields: ["endpoint"] });
    expect(w.inputs("Subscribe")).toEqual([]);
  });

  it("destroy: a confirmed address is unsubscribed; a pending one, or no topic, calls nothing", async () => {
    const w = await withTopic();
    await sub.create(w.ctx, props());
    w.fake.resetCalls();
    await sub.destroy(w.ctx, entry("oncall@example.com"));
    expect(w.inputs("Unsubscribe")).toEqual([]);
    await sub.destroy(w.ctx, entry("oncall@example.com", {}));
    expect(w.operations().filter((op) => op === "ListSubscriptionsByTopic")).toHaveLength(1);
    w.fake.sns.confirm("oncall@example.com");
    const arn = (await sub.observe(w.ctx, props(), undefined))!.outputs.subscriptionArn;
    await sub.destroy(w.ctx, entry("oncall@example.com"));
    expect(w.inputs("Unsubscribe")).toEqual([{ SubscriptionArn: arn }]);
    expect(await sub.exists!(w.ctx, entry("oncall@example.com"))).toBe(false);
  });
});

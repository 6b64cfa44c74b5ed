import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  alarmEmailSetting,
  resolveConfig,
  type ConfigInput,
  type RecordedAlarmEmail,
} from "../src/config.js";
import { world, type World } from "./helpers.js";

const ACCOUNT = "123456789012";
const TOPIC = "serverless-automation-production-alarms";
const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:${TOPIC}`;
const ALIAS = `alias/${TOPIC}`;
const ALARMS = [
  "serverless-automation-production-error-rate",
  "serverless-automation-production-throttles",
  "serverless-automation-production-api-5xx",
  "serverless-automation-production-api-requests",
  "serverless-automation-production-version-errors",
];
/** Each alarm by its exact ARN: a prefix with a wildcard would match a stage named production-x. */
const ALARM_ARNS = ALARMS.map((a) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${a}`);
const TAGS = {
  project: "serverless-automation",
  environment: "production",
  "serverless-automation:stack": "serverless-automation-production",
};
const EMAIL = "oncall@example.com";

function alarmActions(w: World): Record<string, unknown> {
  return Object.fromEntries(
    ALARMS.map((name) => {
      const d = w.fake.cloudwatch.alarms.get(name)?.definition;
      return [name, { AlarmActions: d?.AlarmActions, OKActions: d?.OKActions }];
    }),
  );
}

describe("alarm notifications by e-mail", () => {
  it("a cold up makes a rotating key CloudWatch may use, an encrypted topic, a pending subscription, and points every alarm at it", async () => {
    const w = world();
    const r = await w.run(["up", "--json", "--alarm-email", EMAIL]);
    expect(r.code).toBe(0);

    const key = w.fake.kms.byAlias(ALIAS);
    expect(key?.state).toBe("Enabled");
    expect(key?.rotation).toBe(true);
    expect(Object.fromEntries(key?.tags ?? [])).toEqual(TAGS);
    const policy = JSON.parse(key?.policy ?? "{}") as { Statement: Record<string, unknown>[] };
    expect(policy.Statement).toEqual([
      {
        Sid: "AccountAdministers",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: {
          StringEquals: { "aws:SourceAccount": ACCOUNT },
          ArnEquals: { "aws:SourceArn": ALARM_ARNS },
        },
      },
    ]);

    const topic = w.fake.sns.topics.get(TOPIC_ARN);
    // Not the AWS-managed alias/aws/sns, which CloudWatch cannot use.
    expect(topic?.attributes.KmsMasterKeyId).toBe(`arn:aws:kms:us-east-1:${ACCOUNT}:${ALIAS}`);
    expect(Object.fromEntries(topic?.tags ?? [])).toEqual(TAGS);
    const topicPolicy = JSON.parse(topic?.attributes.Policy ?? "{}") as {
      Statement: { Principal: unknown; Action: unknown; Condition: unknown }[];
    };
    expect(topicPolicy.Statement).toHaveLength(1);
    expect(topicPolicy.Statement[0]).toMatchObject({
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Condition: {
        StringEquals: { "aws:SourceAccount": ACCOUNT },
        ArnEquals: { "aws:SourceArn": ALARM_ARNS },
      },
    });
    expect(JSON.stringify(topicPolicy)).not.toContain('"AWS":"*"');

    expect(topic?.subscriptions).toMatchObject([
      { protocol: "email", endpoint: EMAIL, confirmed: false, confirmationsSent: 1 },
    ]);
    for (const name of ALARMS) {
      expect(alarmActions(w)[name], name).toEqual({
        AlarmActions: [TOPIC_ARN],
        OKActions: [TOPIC_ARN],
      });
    }
    expect(r.json.alarmNotifications).toEqual({ email: EMAIL, status: "pending confirmation" });
    // The key exists before the topic that uses it; the topic before what publishes to it.
    const ops = w.fake.operations({ mutating: true, ok: true });
    expect(ops.indexOf("KMS.CreateAlias")).toBeLessThan(ops.indexOf("SNS.CreateTopic"));
    expect(ops.indexOf("SNS.CreateTopic")).toBeLessThan(ops.indexOf("CloudWatch.PutMetricAlarm"));
  });

  it("says to check the inbox while pending, and nothing once confirmed", async () => {
    const w = world();
    const first = await w.run(["up", "--alarm-email", EMAIL]);
    expect(first.stdout).toContain(`Alarm e-mails go to ${EMAIL} once confirmed`);
    expect(first.stdout).toContain("check your inbox to confirm");
    w.fake.sns.confirm(EMAIL);
    const again = await w.run(["up", "--json", "--alarm-email", EMAIL]);
    expect(again.json.alarmNotifications).toEqual({ email: EMAIL, status: "confirmed" });
    const human = await w.run(["up", "--alarm-email", EMAIL]);
    expect(human.stdout).toContain(`Alarm e-mails go to ${EMAIL}.`);
    expect(human.stdout).not.toContain("inbox");
  });

  it("a second up makes zero mutating calls and does not re-send the confirmation e-mail", async () => {
    const w = world();
    expect((await w.run(["up", "--alarm-email", EMAIL])).code).toBe(0);
    w.fake.resetCalls();
    const r = await w.run(["up", "--alarm-email", EMAIL]);
    expect(r.code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(w.fake.sns.topics.get(TOPIC_ARN)?.subscriptions[0]?.confirmationsSent).toBe(1);
    const status = await w.run(["status", "--alarm-email", EMAIL]);
    expect(status.code).toBe(0);
  });

  it("without an e-mail: no topic or key, alarms without actions, and the summary says nobody is notified", async () => {
    const w = world();
    const r = await w.run(["up"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/alarms notify nobody.*--alarm-email you@example\.com/);
    expect(w.fake.sns.topics.size).toBe(0);
    expect(w.fake.kms.keys.size).toBe(0);
    for (const name of ALARMS) {
      expect(alarmActions(w)[name], name).toEqual({ AlarmActions: [], OKActions: [] });
    }
    const json = await w.run(["up", "--json"]);
    expect(json.json.alarmNotifications).toBeNull();
  });

  it("--no-alarm-email detaches the alarms first, then removes subscription, topic and key", async () => {
    const w = world();
    await w.run(["up", "--alarm-email", EMAIL]);
    w.fake.sns.confirm(EMAIL);
    const keyId = w.fake.kms.byAlias(ALIAS)?.keyId ?? "";
    w.fake.resetCalls();
    const r = await w.run(["up", "--no-alarm-email", "--json"]);
    expect(r.code).toBe(0);
    for (const name of ALARMS) {
      expect(alarmActions(w)[name], name).toEqual({ AlarmActions: [], OKActions: [] });
    }
    expect(w.fake.sns.topics.has(TOPIC_ARN)).toBe(false);
    expect(w.fake.kms.keys.get(keyId)?.state).toBe("PendingDeletion");
    expect(w.fake.kms.aliases.has(ALIAS)).toBe(false);
    const ops = w.fake.operations({ mutating: true, ok: true });
    const at = (op: string) => ops.indexOf(op);
    expect(ops.filter((o) => o === "CloudWatch.PutMetricAlarm")).toHaveLength(ALARMS.length);
    // Alarms stop publishing before the topic goes; the topic goes before its key.
    expect(at("CloudWatch.PutMetricAlarm")).toBeLessThan(at("SNS.Unsubscribe"));
    expect(at("SNS.Unsubscribe")).toBeLessThan(at("SNS.DeleteTopic"));
    expect(at("SNS.DeleteTopic")).toBeLessThan(at("KMS.ScheduleKeyDeletion"));
    expect(r.json.alarmNotifications).toBeNull();
    expect((r.json.warnings as string[]).join("\n")).toMatch(/KMS key .*scheduled for deletion/);
    const state = await w.readState();
    const recorded = Object.keys(state?.resources as object);
    for (const k of ["alarmKey", "alarmTopic", "alarmSubscription"])
      expect(recorded).not.toContain(k);
    expect(state?.settings).toBeUndefined();
    w.fake.resetCalls();
    expect((await w.run(["up"])).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("a changed address subscribes the new one and unsubscribes the old confirmed one", async () => {
    const w = world();
    await w.run(["up", "--alarm-email", EMAIL]);
    w.fake.sns.confirm(EMAIL);
    w.fake.resetCalls();
    const r = await w.run(["up", "--json", "--alarm-email", "new@example.com"]);
    expect(r.code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual(["SNS.Subscribe", "SNS.Unsubscribe"]);
    expect(w.fake.sns.topics.get(TOPIC_ARN)?.subscriptions).toMatchObject([
      { endpoint: "new@example.com", confirmed: false },
    ]);
    expect(r.json.alarmNotifications).toEqual({
      email: "new@example.com",
      status: "pending confirmation",
    });
  });

  it("an old address still pending cannot be unsubscribed: it says so and does not retry", async () => {
    const w = world();
    await w.run(["up", "--alarm-email", EMAIL]);
    const r = await w.run(["up", "--alarm-email", "new@example.com"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/oncall@example\.com is still pending confirmation.*3 days/);
    expect(w.fake.operations({ mutating: true })).not.toContain("SNS.Unsubscribe");
    w.fake.resetCalls();
    await w.run(["up", "--alarm-email", "new@example.com"]);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("recreates a topic deleted behind its back and subscribes again", async () => {
    const w = world();
    await w.run(["up", "--alarm-email", EMAIL]);
    w.fake.sns.topics.delete(TOPIC_ARN);
    w.fake.resetCalls();
    expect((await w.run(["up", "--alarm-email", EMAIL])).code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual(["SNS.CreateTopic", "SNS.Subscribe"]);
  });

  it("recovers a key scheduled for deletion behind its back", async () => {
    const w = world();
    await w.run(["up", "--alarm-email", EMAIL]);
    const key = w.fake.kms.byAlias(ALIAS);
    if (key) key.state = "PendingDeletion";
    w.fake.resetCalls();
    expect((await w.run(["up", "--alarm-email", EMAIL])).code).toBe(0);
    expect(w.fake.kms.byAlias(ALIAS)?.state).toBe("Enabled");
    expect(w.fake.operations({ mutating: true })).toEqual([
      "KMS.CancelKeyDeletion",
      "KMS.EnableKey",
    ]);
  });

  it("down removes them, reports the key's deletion window, and a second down does nothing", async () => {
    const w = world();
    await w.run(["up", "--alarm-email", EMAIL]);
    const keyId = w.fake.kms.byAlias(ALIAS)?.keyId ?? "";
    // Down is usually run without the option: it still finds the topic and the key.
    const r = await w.run(["down", "--yes", "--json"]);
    expect(r.code).toBe(0);
    expect(w.fake.sns.topics.size).toBe(0);
    const key = w.fake.kms.keys.get(keyId);
    expect(key?.state).toBe("PendingDeletion");
    const sched = w.fake.callLog().find((c) => c.operation === "ScheduleKeyDeletion");
    expect(sched?.input.PendingWindowInDays).toBe(7);
    expect(w.fake.kms.aliases.size).toBe(0);
    expect(r.json.kept).toEqual([
      expect.objectContaining({
        label: "KMS key",
        id: keyId,
        reason: expect.stringMatching(/scheduled for deletion on \d{4}-\d{2}-\d{2}.*7 days/),
      }),
    ]);
    expect(await w.readState()).toBeUndefined();
    const human = await w.run(["up", "--alarm-email", EMAIL]);
    expect(human.code).toBe(0);
    const again = await w.run(["down", "--yes"]);
    expect(again.stdout).toMatch(/kept KMS key .* scheduled for deletion/);
    w.fake.resetCalls();
    const third = await w.run(["down", "--yes"]);
    expect(third.code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
  });

  it("down with the state file lost still finds the topic and key by name", async () => {
    const w = world();
    await w.run(["up", "--alarm-email", EMAIL]);
    const { rm } = await import("node:fs/promises");
    await rm(w.statePath());
    expect((await w.run(["down", "--yes"])).code).toBe(0);
    expect(w.fake.sns.topics.size).toBe(0);
    expect([...w.fake.kms.keys.values()].map((k) => k.state)).toEqual(["PendingDeletion"]);
  });

  it("a key already pending deletion counts as gone", async () => {
    const w = world();
    await w.run(["up", "--alarm-email", EMAIL]);
    const key = w.fake.kms.byAlias(ALIAS);
    if (key) key.state = "PendingDeletion";
    const r = await w.run(["down", "--yes"]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("error:");
    expect(w.fake.callLog({ ok: false }).map((c) => c.operation)).not.toContain(
      "ScheduleKeyDeletion",
    );
    expect(w.fake.kms.aliases.size).toBe(0);
  });
});

interface Row {
  key: string;
  label: string;
  id: string;
  action: string;
  state?: string;
}

describe("the alarm address stays with the stack until it is removed explicitly", () => {
  it("a later plain up, up --dry-run and status keep topic, subscription and key: zero mutating calls", async () => {
    const w = world();
    expect((await w.run(["up", "--alarm-email", EMAIL])).code).toBe(0);
    const keyId = w.fake.kms.byAlias(ALIAS)?.keyId ?? "";
    expect((await w.readState())?.settings).toEqual({
      alarmEmail: { address: EMAIL, from: "flag" },
    });
    w.fake.resetCalls();
    const dry = await w.run(["up", "--dry-run", "--json"]);
    expect((dry.json.resources as Row[]).filter((x) => x.action !== "noop")).toEqual([]);
    const status = await w.run(["status"]);
    expect(status.code).toBe(0);
    const r = await w.run(["up", "--json"]);
    expect(r.code).toBe(0);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(w.fake.sns.topics.get(TOPIC_ARN)?.subscriptions).toMatchObject([{ endpoint: EMAIL }]);
    expect(w.fake.kms.keys.get(keyId)?.state).toBe("Enabled");
    for (const name of ALARMS) {
      expect(alarmActions(w)[name], name).toEqual({
        AlarmActions: [TOPIC_ARN],
        OKActions: [TOPIC_ARN],
      });
    }
    expect(r.json.alarmNotifications).toEqual({ email: EMAIL, status: "pending confirmation" });
    // The --alarm-email status used to need still works.
    expect((await w.run(["status", "--alarm-email", EMAIL])).code).toBe(0);
  });

  it("up --no-alarm-email --dry-run shows every delete and changes nothing", async () => {
    const w = world();
    await w.run(["up", "--alarm-email", EMAIL]);
    const keyId = w.fake.kms.byAlias(ALIAS)?.keyId ?? "";
    const before = await w.readState();
    w.fake.resetCalls();
    const r = await w.run(["up", "--no-alarm-email", "--dry-run", "--json"]);
    expect(r.code).toBe(0);
    const rows = r.json.resources as Row[];
    // In the order up deletes them: what publishes or subscribes before what it uses.
    expect(rows.filter((x) => x.action === "delete").map((x) => [x.label, x.id])).toEqual([
      ["e-mail subscription", EMAIL],
      ["SNS topic", TOPIC_ARN],
      ["KMS key", keyId],
    ]);
    expect(rows.filter((x) => x.key.endsWith("Alarm")).map((x) => x.action)).toEqual(
      ALARMS.map(() => "update"),
    );
    expect(r.json.alarmNotifications).toBeNull();
    const human = await w.run(["up", "--no-alarm-email", "--dry-run"]);
    expect(human.stdout).toMatch(/delete\s+SNS topic\s+arn:aws:sns/);
    expect(human.stdout).toMatch(/delete\s+KMS key/);
    expect(human.stdout).toContain("8 change(s)");
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(w.fake.sns.topics.has(TOPIC_ARN)).toBe(true);
    expect(w.fake.kms.keys.get(keyId)?.state).toBe("Enabled");
    expect(await w.readState()).toEqual(before);
  });

  it("an address from the config file goes when the file drops it; status shows the deletes first", async () => {
    const w = world();
    const file = path.join(w.cwd, "serverless-automation.config.json");
    await fs.writeFile(file, JSON.stringify({ stages: { production: { alarmEmail: EMAIL } } }));
    expect((await w.run(["up"])).code).toBe(0);
    expect(w.fake.sns.topics.get(TOPIC_ARN)?.subscriptions).toHaveLength(1);
    expect((await w.readState())?.settings).toEqual({
      alarmEmail: { address: EMAIL, from: "file" },
    });
    await fs.writeFile(file, JSON.stringify({ stages: { production: {} } }));
    w.fake.resetCalls();
    const status = await w.run(["status", "--json"]);
    expect(status.code).toBe(2);
    const rows = status.json.resources as Row[];
    const deletes = rows.filter((x) => x.state === "to delete");
    expect(deletes.map((x) => [x.label, x.action]).sort()).toEqual([
      ["KMS key", "delete"],
      ["SNS topic", "delete"],
      ["e-mail subscription", "delete"],
    ]);
    const human = await w.run(["status"]);
    expect(human.stdout).toMatch(/SNS topic\s+to delete/);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect((await w.run(["up"])).code).toBe(0);
    expect(w.fake.sns.topics.size).toBe(0);
    expect((await w.readState())?.settings).toBeUndefined();
    expect((await w.run(["status"])).code).toBe(0);
  });

  it("a malformed recorded address is an error that leaves the state file untouched", async () => {
    const w = world();
    await w.run(["up", "--alarm-email", EMAIL]);
    const state = {
      ...(await w.readState()),
      settings: { alarmEmail: { address: "x", from: "flag" } },
    };
    await fs.writeFile(w.statePath(), JSON.stringify(state));
    w.fake.resetCalls();
    const r = await w.run(["up"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("settings.alarmEmail is malformed");
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(await w.readState()).toEqual(state);
  });

  it("precedence: --alarm-email / --no-alarm-email > config file > recorded", () => {
    const env = { AWS_REGION: "us-east-1" };
    const file = { settings: { alarmEmail: "file@example.com" } };
    const fromFlag = { address: "flag@example.com", from: "flag" } as const;
    const fromFile = { address: "old@example.com", from: "file" } as const;
    const setting = (input: ConfigInput, f: typeof file | undefined, rec?: RecordedAlarmEmail) =>
      alarmEmailSetting(resolveConfig(input, env, "/w", f), rec)?.address;
    // Nothing said: the recorded flag address stays; one the file set went with the file.
    expect(setting({}, undefined, fromFlag)).toBe("flag@example.com");
    expect(setting({}, undefined, fromFile)).toBeUndefined();
    // The file over what is recorded; the flag over the file.
    expect(setting({}, file, fromFlag)).toBe("file@example.com");
    expect(setting({ settings: { alarmEmail: "new@example.com" } }, file, fromFlag)).toBe(
      "new@example.com",
    );
    // --no-alarm-email over everything.
    expect(setting({ noAlarmEmail: true }, file, fromFlag)).toBeUndefined();
    expect(
      resolveConfig({ noAlarmEmail: true }, env, "/w", file).settings.alarmEmail,
    ).toBeUndefined();
  });
});

import {
  ListSubscriptionsByTopicCommand,
  SubscribeCommand,
  UnsubscribeCommand,
  type Subscription,
} from "@aws-sdk/client-sns";
import { isNotFound, orMissing } from "../aws/errors.js";
import { lifecycle, type Fixer, type Kind } from "../engine/kind.js";
import type { Ctx, StateEntry } from "../engine/types.js";

/** How long AWS keeps an unconfirmed subscription before dropping it. */
export const PENDING_EXPIRY_DAYS = 3;

export type SubscriptionStatus = "pending confirmation" | "confirmed";

export interface EmailSubscriptionProps {
  readonly topicArn: string;
  readonly email: string;
}

export interface EmailSubscriptionOutputs extends Record<string, string> {
  topicArn: string;
  endpoint: string;
  status: SubscriptionStatus;
  /** The real ARN once confirmed; AWS shows none while pending. */
  subscriptionArn: string;
  /** Something the user should know (e.g. an old address AWS would not let us remove). */
  note: string;
}

interface Found {
  arn: string | undefined;
  confirmed: boolean;
}

interface EmailSubscriptionCurrent {
  /** The desired address, if it is subscribed (pending or confirmed). */
  mine: Found | undefined;
  /** The address recorded by an earlier run, when it differs from the desired one. */
  previous: (Found & { endpoint: string }) | undefined;
}

const same = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase();

/** Every subscription of the topic; undefined when the topic does not exist. */
async function list(ctx: Ctx, topicArn: string): Promise<Subscription[] | undefined> {
  const out: Subscription[] = [];
  // Page by page by hand: the SDK's paginator would bring SNS's client class into every run's
  // start-up, also where the stack has no topic.
  try {
    let NextToken: string | undefined;
    do {
      const page = await ctx.clients.sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }),
      );
      out.push(...(page.Subscriptions ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  return out;
}

function find(subs: readonly Subscription[], email: string): Found | undefined {
  const s = subs.find((x) => x.Protocol === "email" && same(x.Endpoint, email));
  if (!s) return undefined;
  // Pending subscriptions are listed with SubscriptionArn "PendingConfirmation", not an ARN.
  const confirmed = s.SubscriptionArn?.startsWith("arn:") === true;
  return { arn: confirmed ? s.SubscriptionArn : undefined, confirmed };
}

function observed(p: EmailSubscriptionProps, current: EmailSubscriptionCurrent, note = "") {
  return {
    id: p.email,
    outputs: {
      topicArn: p.topicArn,
      endpoint: p.email,
      status: (current.mine?.confirmed
        ? "confirmed"
        : "pending confirmation") as SubscriptionStatus,
      subscriptionArn: current.mine?.arn ?? "",
      note,
    },
    current,
  };
}

async function read(
  ctx: Ctx,
  p: EmailSubscriptionProps,
  previousEmail: string | undefined,
): Promise<EmailSubscriptionCurrent | undefined> {
  const subs = await list(ctx, p.topicArn);
  if (!subs) return undefined;
  const prev =
    previousEmail && !same(previousEmail, p.email) ? find(subs, previousEmail) : undefined;
  return {
    mine: find(subs, p.email),
    previous: prev && previousEmail ? { ...prev, endpoint: previousEmail } : undefined,
  };
}

async function subscribe(ctx: Ctx, p: EmailSubscriptionProps): Promise<void> {
  await ctx.clients.sns.send(
    new SubscribeCommand({ TopicArn: p.topicArn, Protocol: "email", Endpoint: p.email }),
  );
  ctx.progress(`AWS sent a confirmation e-mail to ${p.email}: click its link to receive alarms`);
}

type EmailSubscriptionField = "endpoint" | "previousEndpoint";

/**
 * Both fields in one fixer: the new address is subscribed before the old one goes, and what AWS
 * lists afterwards is recorded (the new address's status; a note on an old one AWS keeps).
 */
const addresses: Fixer<
  EmailSubscriptionProps,
  EmailSubscriptionOutputs,
  EmailSubscriptionCurrent,
  EmailSubscriptionField
> = async (ctx, p, o) => {
  const c = o.current;
  if (!c.mine) await subscribe(ctx, p);
  let note = "";
  if (c.previous?.confirmed && c.previous.arn) {
    // Already unsubscribed (by hand, or a retried call whose first answer was lost): done.
    await orMissing(
      ctx.clients.sns.send(new UnsubscribeCommand({ SubscriptionArn: c.previous.arn })),
    );
  } else if (c.previous) {
    note = `${c.previous.endpoint} is still pending confirmation: AWS cannot unsubscribe it, and drops it after ${PENDING_EXPIRY_DAYS} days unless someone confirms it.`;
    ctx.progress(note);
  }
  const current = await read(ctx, p, undefined);
  if (!current?.mine) throw new Error("the subscription is not listed right after it was made");
  return observed(p, current, note).outputs;
};

/**
 * The alarm e-mail subscription. AWS keeps it "pending confirmation" until the recipient clicks
 * the link; subscribing again would only send another e-mail, so an address already pending or
 * confirmed is left alone.
 */
export const emailSubscriptionKind: Kind<
  EmailSubscriptionProps,
  EmailSubscriptionOutputs,
  EmailSubscriptionCurrent,
  EmailSubscriptionField
> = {
  kind: "sns-email-subscription",
  label: "e-mail subscription",
  clients: ["sns"],
  displayId: (p) => p.email,
  // A changed address: the fix subscribes the new one and removes the old one if AWS lets it.
  superseded: "forget",

  async read(ctx, p, recorded) {
    const current = await read(ctx, p, recorded?.outputs.endpoint);
    if (!current || (!current.mine && !current.previous)) return undefined;
    return observed(p, current);
  },

  diff(_p, o) {
    const fields: EmailSubscriptionField[] = [];
    if (!o.current.mine) fields.push("endpoint");
    // A pending old address cannot be removed (AWS refuses to unsubscribe it): not a diff.
    if (o.current.previous?.confirmed) fields.push("previousEndpoint");
    return fields;
  },

  // The addresses subscribed: the desired one, and a confirmed earlier one that should go.
  values(p, o) {
    const previous = o.current.previous;
    return {
      endpoint: { observed: o.current.mine ? p.email : undefined, desired: p.email },
      previousEndpoint: {
        observed: previous?.confirmed ? previous.endpoint : undefined,
        desired: undefined,
      },
    };
  },

  fix: { endpoint: addresses, previousEndpoint: addresses },

  // The engine reads it back: a subscription not listed right after it was made is an error.
  async create(ctx, p) {
    await subscribe(ctx, p);
  },

  async exists(ctx, entry) {
    const topicArn = entry.outputs.topicArn;
    const subs = topicArn ? await list(ctx, topicArn) : undefined;
    return !!subs && find(subs, entry.id) !== undefined;
  },

  /**
   * Unsubscribes a confirmed address. A pending one cannot be unsubscribed; it goes with the
   * topic (deleted right after) or expires after three days.
   */
  async delete(ctx, entry: StateEntry) {
    const topicArn = entry.outputs.topicArn;
    if (!topicArn) return;
    const subs = await list(ctx, topicArn);
    const found = subs && find(subs, entry.id);
    if (found?.confirmed && found.arn) {
      await ctx.clients.sns.send(new UnsubscribeCommand({ SubscriptionArn: found.arn }));
    }
  },
};

export const emailSubscriptionHandler = lifecycle(emailSubscriptionKind);

import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  type Change,
  type ResourceRecordSet,
  type RRType,
} from "@aws-sdk/client-route-53";
import { UserError } from "../errors.js";
import { deepEqual } from "../engine/equal.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import type { Ctx, Observed, StateEntry } from "../engine/types.js";

/**
 * One record the stack writes: a plain one (the certificate's validation CNAME) or an alias
 * (A and AAAA to the API's regional domain).
 */
export interface DnsRecord {
  readonly name: string;
  readonly type: "CNAME" | "A" | "AAAA";
  /** A plain record's value and TTL. */
  readonly value?: string | undefined;
  /** An alias record's target: a DNS name and the hosted zone it is served from. */
  readonly alias?: { readonly dnsName: string; readonly hostedZoneId: string } | undefined;
}

export interface DnsRecordsProps {
  readonly hostedZoneId: string;
  /** What it is for, in error messages ("the certificate's validation record"). */
  readonly purpose: string;
  readonly records: readonly DnsRecord[];
}

/**
 * What the stack wrote, as written: records cannot be tagged, so what the stack deletes is
 * exactly these and only while they are still exactly so.
 */
export interface DnsRecordsOutputs extends Record<string, string> {
  hostedZoneId: string;
  /** The records, as JSON (outputs are strings). */
  records: string;
}

interface DnsRecordsCurrent {
  /** Each wanted record's name and type → the record the zone has there, if any. */
  found: (DnsRecord | undefined)[];
  /** Recorded in the state: the stack wrote these; anything else found there is not its own. */
  recorded: boolean;
}

/** A plain record's TTL: ACM's own examples use 300 s. */
const TTL = 300;

/** Route 53 answers names with a trailing dot and some characters escaped; compare without. */
export function dnsName(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

function id(p: Pick<DnsRecordsProps, "hostedZoneId" | "records">): string {
  return `${p.hostedZoneId}:${p.records.map((r) => `${dnsName(r.name)}/${r.type}`).join(",")}`;
}

/** A record set as Route 53 takes it. */
function recordSet(r: DnsRecord): ResourceRecordSet {
  return r.alias
    ? {
        Name: r.name,
        Type: r.type as RRType,
        AliasTarget: {
          DNSName: r.alias.dnsName,
          HostedZoneId: r.alias.hostedZoneId,
          EvaluateTargetHealth: false,
        },
      }
    : { Name: r.name, Type: r.type as RRType, TTL, ResourceRecords: [{ Value: r.value ?? "" }] };
}

/** A record set as the stack describes it; undefined for what the stack never writes. */
function fromSet(s: ResourceRecordSet): DnsRecord | undefined {
  const type = s.Type as DnsRecord["type"];
  const name = dnsName(s.Name ?? "");
  if (s.AliasTarget) {
    return {
      name,
      type,
      alias: {
        dnsName: dnsName(s.AliasTarget.DNSName ?? ""),
        hostedZoneId: s.AliasTarget.HostedZoneId ?? "",
      },
    };
  }
  const values = (s.ResourceRecords ?? []).map((x) => x.Value ?? "");
  return { name, type, value: values.length === 1 ? dnsName(values[0] ?? "") : values.join(" ") };
}

/** A record as compared: names and values without case or trailing dot. */
function normal(r: DnsRecord): DnsRecord {
  return r.alias
    ? {
        name: dnsName(r.name),
        type: r.type,
        alias: { dnsName: dnsName(r.alias.dnsName), hostedZoneId: r.alias.hostedZoneId },
      }
    : { name: dnsName(r.name), type: r.type, value: dnsName(r.value ?? "") };
}

const same = (a: DnsRecord | undefined, b: DnsRecord) =>
  a !== undefined && deepEqual(normal(a), normal(b));

/** The record the zone has at this name and type, if any: one ListResourceRecordSets. */
async function readRecord(ctx: Ctx, zone: string, want: DnsRecord): Promise<DnsRecord | undefined> {
  const out = await ctx.clients.route53.send(
    new ListResourceRecordSetsCommand({
      HostedZoneId: zone,
      StartRecordName: want.name,
      StartRecordType: want.type,
      MaxItems: 1,
    }),
  );
  const s = out.ResourceRecordSets?.[0];
  if (!s || dnsName(s.Name ?? "") !== dnsName(want.name) || s.Type !== want.type) return undefined;
  return fromSet(s);
}

function observed(
  p: DnsRecordsProps,
  found: (DnsRecord | undefined)[],
  recorded: boolean,
): Observed<DnsRecordsOutputs, DnsRecordsCurrent> {
  return {
    id: id(p),
    outputs: {
      hostedZoneId: p.hostedZoneId,
      // As given (not normalised): a DELETE must name the record exactly as it was written.
      records: JSON.stringify(p.records),
    },
    current: { found, recorded },
  };
}

async function upsert(ctx: Ctx, p: DnsRecordsProps, records: readonly DnsRecord[]): Promise<void> {
  if (!records.length) return;
  await ctx.clients.route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: p.hostedZoneId,
      ChangeBatch: {
        Comment: `${p.purpose}`,
        Changes: records.map((r): Change => ({
          Action: "UPSERT",
          ResourceRecordSet: recordSet(r),
        })),
      },
    }),
  );
}

/** Records at these names that the stack did not write: someone else's, never overwritten. */
function notOurs(
  p: DnsRecordsProps,
  o: Observed<DnsRecordsOutputs, DnsRecordsCurrent>,
): UserError | undefined {
  if (o.current.recorded) return undefined;
  const theirs = p.records.filter((r, i) => {
    const f = o.current.found[i];
    return f !== undefined && !same(f, r);
  });
  if (!theirs.length) return undefined;
  const what = theirs.map((r) => `${dnsName(r.name)} ${r.type}`).join(", ");
  return new UserError(
    `The hosted zone ${p.hostedZoneId} already has ${theirs.length === 1 ? "a record" : "records"} ${what} that this stack did not write (${p.purpose}); nothing was changed.`,
    {
      hint: "Another service uses the name: choose another domain name, or delete the record yourself if it is no longer used, then run up again.",
    },
  );
}

export const dnsRecordsKind: Kind<
  DnsRecordsProps,
  DnsRecordsOutputs,
  DnsRecordsCurrent,
  "records"
> = {
  kind: "route53-records",
  label: "Route 53 records",
  clients: ["route53"],
  displayId: (p) => p.records.map((r) => `${dnsName(r.name)} ${r.type}`).join(", "),

  /**
   * Found when every record is there exactly as the stack writes it (whoever wrote it: a
   * record holding exactly our value is ours to keep). Otherwise what the zone has is read, so
   * that a record of someone else's at one of these names is refused rather than overwritten.
   */
  async read(ctx, p, recorded) {
    const found = await Promise.all(p.records.map((r) => readRecord(ctx, p.hostedZoneId, r)));
    if (found.every((f) => f === undefined)) return undefined;
    const ours =
      recorded !== undefined || found.every((f, i) => same(f, p.records[i] as DnsRecord));
    return observed(p, found, ours);
  },

  diff: (p, o) => (p.records.every((r, i) => same(o.current.found[i], r)) ? [] : ["records"]),

  values: (p, o) => ({
    records: {
      observed: o.current.found.map((f) => (f ? normal(f) : null)),
      desired: p.records.map(normal),
    },
  }),

  /** Records it did not write are someone else's: never overwritten. */
  refuse: (p, o) => notOurs(p, o),

  fix: {
    async records(ctx, p, o) {
      // Read again at apply time, when the plan could not read them (a new domain's target).
      const refused = notOurs(p, o);
      if (refused) throw refused;
      await upsert(
        ctx,
        p,
        p.records.filter((r, i) => !same(o.current.found[i], r)),
      );
    },
  },

  /** UPSERT: a record left by an earlier run that stopped before recording it is rewritten. */
  async create(ctx, p) {
    await upsert(ctx, p, p.records);
    return observed(p, [...p.records], true);
  },

  async exists(ctx, entry) {
    const records = JSON.parse(entry.outputs.records ?? "[]") as DnsRecord[];
    const zone = entry.outputs.hostedZoneId ?? "";
    const found = await Promise.all(records.map((r) => readRecord(ctx, zone, r)));
    return found.some((f, i) => same(f, records[i] as DnsRecord));
  },

  /**
   * Deletes the records that are still exactly as the stack wrote them, each DELETE naming
   * the exact record (Route 53 refuses a DELETE whose values differ: one changed in between
   * stays). A record someone changed since is theirs now: kept, and said so.
   */
  async delete(ctx, entry: StateEntry) {
    const records = JSON.parse(entry.outputs.records ?? "[]") as DnsRecord[];
    const zone = entry.outputs.hostedZoneId ?? "";
    const found = await Promise.all(records.map((r) => readRecord(ctx, zone, r)));
    const ours = records.filter((r, i) => same(found[i], r));
    const changed = records.filter((r, i) => found[i] !== undefined && !same(found[i], r));
    if (ours.length) {
      await ctx.clients.route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zone,
          ChangeBatch: {
            Changes: ours.map((r): Change => ({
              Action: "DELETE",
              ResourceRecordSet: recordSet(r),
            })),
          },
        }),
      );
    }
    if (changed.length) {
      return {
        kept: `${changed.map((r) => `${r.name} ${r.type}`).join(", ")} changed since this stack wrote ${changed.length === 1 ? "it" : "them"}: left in place`,
      };
    }
  },
};

export const dnsRecordsHandler = lifecycle(dnsRecordsKind);

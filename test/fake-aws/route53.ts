import type { CallContext, FakeService, OperationHandler } from "./core.js";
import { errorsFor } from "./errors.js";

const err = errorsFor("Route53");

/** One record set as Route 53 keeps it: names lowercase with the trailing dot. */
export interface RecordSet {
  Name: string;
  Type: string;
  TTL?: number;
  ResourceRecords?: { Value: string }[];
  AliasTarget?: { DNSName: string; HostedZoneId: string; EvaluateTargetHealth: boolean };
}

export interface HostedZone {
  id: string;
  /** With the trailing dot, e.g. example.com. */
  name: string;
  private: boolean;
  records: RecordSet[];
}

type In = Record<string, unknown>;

const fqdn = (name: string) => `${name.toLowerCase().replace(/\.$/, "")}.`;

/** Route 53's order of record sets: by name with its labels reversed, then by type. */
function sortKey(r: { Name: string; Type: string }): string {
  return `${fqdn(r.Name).split(".").reverse().join(".")} ${r.Type}`;
}

/** Route 53 compares a record's values as sets, names without case. */
function sameSet(a: RecordSet, b: RecordSet): boolean {
  const norm = (r: RecordSet) =>
    JSON.stringify({
      ttl: r.AliasTarget ? undefined : r.TTL,
      values: (r.ResourceRecords ?? []).map((x) => x.Value.toLowerCase().replace(/\.$/, "")).sort(),
      alias: r.AliasTarget && {
        dns: fqdn(r.AliasTarget.DNSName),
        zone: r.AliasTarget.HostedZoneId,
        health: r.AliasTarget.EvaluateTargetHealth,
      },
    });
  return norm(a) === norm(b);
}

/**
 * Route 53's hosted zones and record sets: ChangeResourceRecordSets applies a batch atomically
 * (CREATE of an existing record, DELETE of a missing one or of other values fail the whole batch
 * with InvalidChangeBatch), ListResourceRecordSets lists in Route 53's order from a start name and
 * type. Zones of another account answer AccessDenied.
 */
export class FakeRoute53 implements FakeService {
  readonly name = "Route53";
  readonly zones = new Map<string, HostedZone>();
  /** Zone ids that exist in another account: every call on them is denied. */
  readonly foreignZones = new Set<string>();
  readonly operations: Record<string, OperationHandler>;
  #changes = 0;

  constructor() {
    this.operations = {
      GetHostedZone: (i) => {
        const z = this.zone(i.Id);
        return {
          HostedZone: {
            Id: `/hostedzone/${z.id}`,
            Name: z.name,
            CallerReference: z.id,
            Config: { PrivateZone: z.private },
            ResourceRecordSetCount: z.records.length,
          },
          ...(z.private ? {} : { DelegationSet: { NameServers: ["ns-1.awsdns-00.com"] } }),
        };
      },
      ListResourceRecordSets: (i) => this.list(i),
      ChangeResourceRecordSets: (i, c) => this.change(i, c),
    };
  }

  /** A public (or private) hosted zone of this account; returns its id. */
  createZone(name: string, options: { private?: boolean; id?: string } = {}): string {
    const id =
      options.id ??
      `Z${String(++this.#changes).padStart(4, "0")}${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
    const apex = fqdn(name);
    this.zones.set(id, {
      id,
      name: apex,
      private: options.private === true,
      // Every zone starts with its NS and SOA records.
      records: [
        {
          Name: apex,
          Type: "NS",
          TTL: 172800,
          ResourceRecords: [{ Value: "ns-1.awsdns-00.com." }],
        },
        {
          Name: apex,
          Type: "SOA",
          TTL: 900,
          ResourceRecords: [
            { Value: "ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400" },
          ],
        },
      ],
    });
    return id;
  }

  /** The record at name and type in any zone, for tests and for ACM's validation. */
  find(name: string, type: string): RecordSet | undefined {
    for (const z of this.zones.values()) {
      const r = z.records.find((x) => x.Name === fqdn(name) && x.Type === type);
      if (r) return r;
    }
    return undefined;
  }

  private zone(id: unknown): HostedZone {
    const bare = String(id).replace(/^\/hostedzone\//, "");
    if (this.foreignZones.has(bare))
      throw err("AccessDenied", `User is not authorized to access hosted zone ${bare}`, 403);
    const z = this.zones.get(bare);
    if (!z) throw err("NoSuchHostedZone", `No hosted zone found with ID: ${bare}`, 404);
    return z;
  }

  private list(i: In): object {
    const z = this.zone(i.HostedZoneId);
    const sorted = [...z.records].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    const max = Math.min(Number(i.MaxItems ?? 300), 300);
    const from = i.StartRecordName
      ? sortKey({ Name: i.StartRecordName as string, Type: (i.StartRecordType as string) ?? "" })
      : "";
    const rest = sorted.filter((r) => sortKey(r) >= from);
    const page = rest.slice(0, max);
    const next = rest[max];
    return {
      ResourceRecordSets: page.map((r) => structuredClone(r)),
      IsTruncated: next !== undefined,
      MaxItems: max,
      ...(next ? { NextRecordName: next.Name, NextRecordType: next.Type } : {}),
    };
  }

  private change(i: In, c: CallContext): object {
    const z = this.zone(i.HostedZoneId);
    const batch =
      (i.ChangeBatch as { Changes?: { Action: string; ResourceRecordSet: RecordSet }[] }).Changes ??
      [];
    const records = z.records.map((r) => structuredClone(r));
    const problems: string[] = [];
    for (const ch of batch) {
      const set = {
        ...structuredClone(ch.ResourceRecordSet),
        Name: fqdn(ch.ResourceRecordSet.Name),
      };
      if (set.AliasTarget) set.AliasTarget.DNSName = fqdn(set.AliasTarget.DNSName);
      if (set.Name !== z.name && !set.Name.endsWith(`.${z.name}`)) {
        problems.push(`RRSet with DNS name ${set.Name} is not permitted in zone ${z.name}`);
        continue;
      }
      const at = records.findIndex((r) => r.Name === set.Name && r.Type === set.Type);
      const what = `[name='${set.Name}', type='${set.Type}']`;
      if (ch.Action === "CREATE") {
        if (at >= 0)
          problems.push(`Tried to create resource record set ${what} but it already exists`);
        else records.push(set);
      } else if (ch.Action === "UPSERT") {
        if (at >= 0) records[at] = set;
        else records.push(set);
      } else if (ch.Action === "DELETE") {
        if (at < 0)
          problems.push(`Tried to delete resource record set ${what} but it was not found`);
        else if (!sameSet(records[at] as RecordSet, set))
          problems.push(
            `Tried to delete resource record set ${what} but the values provided do not match the current values`,
          );
        else records.splice(at, 1);
      } else throw err("InvalidInput", `Invalid action ${ch.Action}`);
    }
    if (problems.length) throw err("InvalidChangeBatch", `[${problems.join(", ")}]`);
    z.records = records;
    return {
      ChangeInfo: {
        Id: `/change/C${++this.#changes}`,
        Status: "PENDING",
        SubmittedAt: new Date(c.now),
      },
    };
  }
}

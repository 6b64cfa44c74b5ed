import { partitionOf, type CallContext, type FakeService } from "./core.js";
import { errorsFor } from "./errors.js";

const err = errorsFor("DynamoDB");

export interface Table {
  name: string;
  arn: string;
  status: "CREATING" | "ACTIVE" | "UPDATING" | "DELETING";
  /** When the current transition (CREATING/UPDATING/DELETING) ends, ms epoch. */
  settlesAt: number;
  /** PITR cannot be enabled until then (AWS: ContinuousBackupsUnavailableException). */
  backupsReadyAt: number;
  keySchema: { AttributeName: string; KeyType: string }[];
  attributeDefinitions: { AttributeName: string; AttributeType: string }[];
  billingMode: string;
  deletionProtection: boolean;
  pitr: boolean;
  /** On-demand maximum request units per second: only the members set (-1 removes one). */
  onDemandThroughput: { MaxReadRequestUnits?: number; MaxWriteRequestUnits?: number };
  tags: Map<string, string>;
  itemCount: number;
}

type Throughput = Table["onDemandThroughput"];
const MEMBERS = ["MaxReadRequestUnits", "MaxWriteRequestUnits"] as const;

export interface DynamoDbTimings {
  /** CREATING → ACTIVE. */
  creatingMs: number;
  /** UPDATING → ACTIVE after a billing-mode change. */
  updatingMs: number;
  /** DELETING → gone. */
  deletingMs: number;
  /** After ACTIVE, enabling PITR fails for this long. */
  backupsDelayMs: number;
}

type In = Record<string, unknown>;

/** The DynamoDB control plane: tables and their async states. */
export class FakeDynamoDb implements FakeService {
  readonly name = "DynamoDB";
  readonly tables = new Map<string, Table>();
  readonly operations: FakeService["operations"];

  constructor(
    private readonly account: string,
    public timings: DynamoDbTimings = {
      creatingMs: 30,
      updatingMs: 20,
      deletingMs: 20,
      backupsDelayMs: 10,
    },
  ) {
    this.operations = {
      CreateTable: (i, c) => this.createTable(i, c),
      ListTables: (_i, c) => ({
        TableNames: [...this.tables.values()]
          .filter((t) => t.arn.split(":")[3] === c.region)
          .map((t) => t.name)
          .sort(),
      }),
      DescribeTable: (i, c) => ({ Table: this.describe(this.table(i.TableName as string, c)) }),
      UpdateTable: (i, c) => {
        const t = this.table(i.TableName as string, c);
        if (t.status !== "ACTIVE") {
          throw err(
            "ResourceInUseException",
            `Attempt to change a resource which is still in use: Table is being ${t.status === "CREATING" ? "created" : t.status === "DELETING" ? "deleted" : "updated"}: ${t.name}`,
          );
        }
        const throughput = this.throughput(i.OnDemandThroughput);
        if (typeof i.DeletionProtectionEnabled === "boolean")
          t.deletionProtection = i.DeletionProtectionEnabled;
        // Only the members given change; -1 removes that maximum (API_OnDemandThroughput).
        for (const m of MEMBERS) {
          const v = throughput?.[m];
          if (v === -1) delete t.onDemandThroughput[m];
          else if (v !== undefined) t.onDemandThroughput[m] = v;
        }
        if (typeof i.BillingMode === "string" && i.BillingMode !== t.billingMode) {
          t.billingMode = i.BillingMode;
          t.status = "UPDATING";
          t.settlesAt = c.now + this.timings.updatingMs;
        }
        return { TableDescription: this.describe(t) };
      },
      DeleteTable: (i, c) => {
        const t = this.table(i.TableName as string, c);
        if (t.status === "CREATING" || t.status === "UPDATING") {
          throw err(
            "ResourceInUseException",
            `Attempt to change a resource which is still in use: Table is being ${t.status === "CREATING" ? "created" : "updated"}: ${t.name}`,
          );
        }
        if (t.status === "DELETING")
          throw err(
            "ResourceInUseException",
            `Attempt to change a resource which is still in use: Table is being deleted: ${t.name}`,
          );
        if (t.deletionProtection) {
          throw err(
            "ValidationException",
            `Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.`,
          );
        }
        t.status = "DELETING";
        t.settlesAt = c.now + this.timings.deletingMs;
        return { TableDescription: this.describe(t) };
      },
      DescribeContinuousBackups: (i, c) => {
        const t = this.tables.get(i.TableName as string);
        this.settle(t, c);
        if (!t || !this.tables.has(t.name))
          throw err("TableNotFoundException", `Table not found: ${i.TableName as string}`);
        return {
          ContinuousBackupsDescription: {
            ContinuousBackupsStatus: "ENABLED",
            PointInTimeRecoveryDescription: {
              PointInTimeRecoveryStatus: t.pitr ? "ENABLED" : "DISABLED",
            },
          },
        };
      },
      UpdateContinuousBackups: (i, c) => {
        const t = this.tables.get(i.TableName as string);
        this.settle(t, c);
        if (!t || !this.tables.has(t.name))
          throw err("TableNotFoundException", `Table not found: ${i.TableName as string}`);
        if (t.status === "CREATING" || c.now < t.backupsReadyAt) {
          throw err(
            "ContinuousBackupsUnavailableException",
            `Backups are being enabled for the table: ${t.name}. Please retry later`,
          );
        }
        t.pitr = (
          i.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled: boolean }
        ).PointInTimeRecoveryEnabled;
        return {
          ContinuousBackupsDescription: {
            ContinuousBackupsStatus: "ENABLED",
            PointInTimeRecoveryDescription: {
              PointInTimeRecoveryStatus: t.pitr ? "ENABLED" : "DISABLED",
            },
          },
        };
      },
      ListTagsOfResource: (i, c) => {
        const t = this.byArn(i.ResourceArn as string, c);
        return { Tags: [...t.tags].map(([Key, Value]) => ({ Key, Value })) };
      },
      TagResource: (i, c) => {
        const t = this.byArn(i.ResourceArn as string, c);
        for (const tag of i.Tags as { Key: string; Value: string }[])
          t.tags.set(tag.Key, tag.Value);
        return {};
      },
      UntagResource: (i, c) => {
        const t = this.byArn(i.ResourceArn as string, c);
        for (const k of i.TagKeys as string[]) t.tags.delete(k);
        return {};
      },
    };
  }

  private settle(t: Table | undefined, c: CallContext): void {
    if (!t || c.now < t.settlesAt) return;
    if (t.status === "DELETING") this.tables.delete(t.name);
    else if (t.status !== "ACTIVE") {
      t.status = "ACTIVE";
      t.backupsReadyAt = t.settlesAt + this.timings.backupsDelayMs;
    }
  }

  private table(name: string, c: CallContext): Table {
    const t = this.tables.get(name);
    this.settle(t, c);
    if (!t || !this.tables.has(name))
      throw err(
        "ResourceNotFoundException",
        `Requested resource not found: Table: ${name} not found`,
      );
    return t;
  }

  private byArn(arn: string, c: CallContext): Table {
    const name = /:table\/([^/]+)$/.exec(arn)?.[1];
    const t = name ? this.tables.get(name) : undefined;
    this.settle(t, c);
    if (!t || !this.tables.has(t.name) || t.arn !== arn)
      throw err(
        "ResourceNotFoundException",
        `Requested resource not found: ResourcArn: ${arn} not found`,
      );
    return t;
  }

  /**
   * OnDemandThroughput as given, checked as AWS checks it: each member 1 or more, or -1
   * ("To remove the maximum ... set the value to -1"; API_OnDemandThroughput).
   */
  private throughput(given: unknown): Throughput | undefined {
    if (given === undefined) return undefined;
    const t = given as Throughput;
    for (const m of MEMBERS) {
      const v = t[m];
      if (v !== undefined && !(Number.isInteger(v) && (v >= 1 || v === -1))) {
        throw err(
          "ValidationException",
          `One or more parameter values were invalid: Requested ${m} for OnDemandThroughput for table is outside of valid range`,
        );
      }
    }
    return t;
  }

  private createTable(i: In, c: CallContext): object {
    const name = i.TableName as string;
    const existing = this.tables.get(name);
    this.settle(existing, c);
    if (this.tables.has(name)) throw err("ResourceInUseException", `Table already exists: ${name}`);
    if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(name))
      throw err(
        "ValidationException",
        `1 validation error detected: Value '${name}' at 'tableName' failed to satisfy constraint`,
      );
    const t: Table = {
      name,
      arn: `arn:${partitionOf(c.region)}:dynamodb:${c.region}:${this.account}:table/${name}`,
      status: "CREATING",
      settlesAt: c.now + this.timings.creatingMs,
      backupsReadyAt: Infinity,
      keySchema: structuredClone(i.KeySchema as Table["keySchema"]),
      attributeDefinitions: structuredClone(
        i.AttributeDefinitions as Table["attributeDefinitions"],
      ),
      billingMode: (i.BillingMode as string | undefined) ?? "PROVISIONED",
      deletionProtection: i.DeletionProtectionEnabled === true,
      pitr: false,
      onDemandThroughput: Object.fromEntries(
        Object.entries(this.throughput(i.OnDemandThroughput) ?? {}).filter(([, v]) => v !== -1),
      ),
      tags: new Map(
        ((i.Tags as { Key: string; Value: string }[] | undefined) ?? []).map((t) => [
          t.Key,
          t.Value,
        ]),
      ),
      itemCount: 0,
    };
    this.tables.set(name, t);
    return { TableDescription: this.describe(t) };
  }

  private describe(t: Table): object {
    return {
      TableName: t.name,
      TableArn: t.arn,
      TableStatus: t.status,
      KeySchema: structuredClone(t.keySchema),
      AttributeDefinitions: structuredClone(t.attributeDefinitions),
      BillingModeSummary: { BillingMode: t.billingMode },
      DeletionProtectionEnabled: t.deletionProtection,
      // Only the maxima that are set; none set, no OnDemandThroughput at all.
      ...(Object.keys(t.onDemandThroughput).length
        ? { OnDemandThroughput: { ...t.onDemandThroughput } }
        : {}),
      ItemCount: t.itemCount,
      TableSizeBytes: t.itemCount * 100,
    };
  }
}

import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  type DynamoDBClient,
  type OnDemandThroughput,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import { isNamed, orMissing } from "../aws/errors.js";
import { hasTags } from "../engine/equal.js";
import { KEY_TYPE_LETTER, keySchemaString, type TableSettings } from "../config.js";
import { UserError } from "../errors.js";
import { lifecycle, type Fixer, type Kind } from "../engine/kind.js";
import { retryWhile, waitFor } from "../engine/retry.js";
import type { Ctx, Observed, StateEntry } from "../engine/types.js";
import { fromKeyValueList, toKeyValueList, type TagMap } from "./tags.js";

export interface TableProps {
  readonly name: string;
  readonly arn: string;
  /** The partition key and the optional sort key. */
  readonly key: Pick<TableSettings, "partitionKey" | "sortKey">;
  /** On-demand maximum read request units per second; -1: none. */
  readonly maxReadUnits: number;
  /** On-demand maximum write request units per second; -1: none. */
  readonly maxWriteUnits: number;
  readonly tags: TagMap;
}

export interface TableOutputs extends Record<string, string> {
  name: string;
  arn: string;
  /** As keySchemaString() writes it: a later run refuses another one before any AWS call. */
  keySchema: string;
}

interface TableCurrent {
  status: string | undefined;
  keySchema: string;
  billingMode: string | undefined;
  deletionProtection: boolean;
  pitr: boolean;
  /** On-demand maximum read request units; -1 when none is set. */
  maxReadUnits: number;
  /** On-demand maximum write request units; -1 when none is set. */
  maxWriteUnits: number;
  tags: Record<string, string>;
  itemCount: number | undefined;
}

/**
 * DynamoDB cannot change a table's key schema: it takes a new table, and the data would have to
 * be moved. The tool never does that on its own.
 */
export const KEY_SCHEMA_HINT =
  "A table's key schema cannot be changed in place. Keep the key in the config as it was; or back up the table, run down (or delete the table), then up with the new key, and load the data again.";

function keys(p: TableProps) {
  return [p.key.partitionKey, ...(p.key.sortKey ? [p.key.sortKey] : [])];
}

function outputsOf(p: TableProps): TableOutputs {
  return { name: p.name, arn: p.arn, keySchema: keySchemaString(p.key) };
}

/** What AWS means by -1, and by a member (or the whole OnDemandThroughput) it leaves out. */
const NO_MAXIMUM = -1;

/** A maximum as DescribeTable reports it: absent, -1 or anything below 1 all mean none. */
function maximumOf(n: number | undefined): number {
  return n !== undefined && n >= 1 ? n : NO_MAXIMUM;
}

function keySchemaOf(t: TableDescription): string {
  return (t.KeySchema ?? [])
    .map((k) => {
      const type = t.AttributeDefinitions?.find((a) => a.AttributeName === k.AttributeName);
      return `${k.AttributeName}:${type?.AttributeType}:${k.KeyType}`;
    })
    .join(",");
}

async function describe(db: DynamoDBClient, name: string): Promise<TableDescription | undefined> {
  return (await orMissing(db.send(new DescribeTableCommand({ TableName: name }))))?.Table;
}

async function readCurrent(ctx: Ctx, p: TableProps): Promise<TableCurrent | undefined> {
  const db = ctx.clients.dynamodb;
  const [table, backups, tags] = await Promise.all([
    describe(db, p.name),
    orMissing(db.send(new DescribeContinuousBackupsCommand({ TableName: p.name }))),
    orMissing(db.send(new ListTagsOfResourceCommand({ ResourceArn: p.arn }))),
  ]);
  if (!table) return undefined;
  return {
    status: table.TableStatus,
    keySchema: keySchemaOf(table),
    // Tables created on demand report no BillingModeSummary in some regions' older responses.
    billingMode: table.BillingModeSummary?.BillingMode ?? "PROVISIONED",
    deletionProtection: table.DeletionProtectionEnabled === true,
    pitr:
      backups?.ContinuousBackupsDescription?.PointInTimeRecoveryDescription
        ?.PointInTimeRecoveryStatus === "ENABLED",
    maxReadUnits: maximumOf(table.OnDemandThroughput?.MaxReadRequestUnits),
    maxWriteUnits: maximumOf(table.OnDemandThroughput?.MaxWriteRequestUnits),
    tags: fromKeyValueList(tags?.Tags),
    itemCount: table.ItemCount,
  };
}

/*
 * Waits use the tool's own waitFor rather than the SDK's waiters: those retry on any error until
 * their deadline, so a denied DescribeTable would hang for minutes instead of failing at once.
 */

async function waitGone(ctx: Ctx, name: string): Promise<void> {
  await waitFor(
    ctx,
    "waiting for the table to be deleted",
    () => describe(ctx.clients.dynamodb, name),
    (t) => (t === undefined ? "done" : "pending"),
  );
}

async function waitActive(ctx: Ctx, name: string): Promise<void> {
  await waitFor(
    ctx,
    "waiting for the table to become ACTIVE",
    () => describe(ctx.clients.dynamodb, name),
    (t) => (t?.TableStatus === "ACTIVE" ? "done" : "pending"),
  );
}

/** ResourceInUseException: the table is CREATING/UPDATING; LimitExceeded: too many at once. */
function tableBusy(err: unknown): string | undefined {
  if (isNamed(err, "ResourceInUseException", "LimitExceededException")) {
    return "waiting for the table to finish its current change";
  }
  // Enabling PITR right after CreateTable: "Backups are being enabled for the table".
  if (isNamed(err, "ContinuousBackupsUnavailableException")) {
    return "waiting for the table's backups to become available";
  }
  return undefined;
}

/** CreateTable's maximum: only the members that set one (no maximum is the default). */
function createThroughput(p: TableProps): { OnDemandThroughput?: OnDemandThroughput } {
  const t: OnDemandThroughput = {
    ...(p.maxReadUnits >= 1 ? { MaxReadRequestUnits: p.maxReadUnits } : {}),
    ...(p.maxWriteUnits >= 1 ? { MaxWriteRequestUnits: p.maxWriteUnits } : {}),
  };
  return Object.keys(t).length ? { OnDemandThroughput: t } : {};
}

function keySchemaRefused(p: TableProps, o: Observed<TableOutputs, TableCurrent>): UserError {
  return new UserError(
    `The DynamoDB table ${p.name} exists with another key schema (${o.current.keySchema}; the config asks for ${keySchemaString(p.key)}); nothing was changed.`,
    { hint: KEY_SCHEMA_HINT },
  );
}

type TableField =
  | "keySchema"
  | "billingMode"
  | "maxReadUnits"
  | "maxWriteUnits"
  | "deletionProtection"
  | "pitr"
  | "tags";

/**
 * Billing mode, maxima and deletion protection: one UpdateTable. A table switched back to
 * on-demand gets its maximum in the same call (the maximum of a provisioned table is not
 * compared: it does not apply until then).
 */
const settings: Fixer<TableProps, TableOutputs, TableCurrent, TableField> = async (
  ctx,
  p,
  _o,
  fields,
) => {
  const throughput =
    fields.has("billingMode") || fields.has("maxReadUnits") || fields.has("maxWriteUnits");
  await waitActive(ctx, p.name);
  await retryWhile(
    ctx,
    () =>
      ctx.clients.dynamodb.send(
        new UpdateTableCommand({
          TableName: p.name,
          ...(fields.has("billingMode") ? { BillingMode: "PAY_PER_REQUEST" } : {}),
          ...(fields.has("deletionProtection") ? { DeletionProtectionEnabled: true } : {}),
          // -1 removes a maximum; both members are sent, so the result does not depend on
          // what was there.
          ...(throughput
            ? {
                OnDemandThroughput: {
                  MaxReadRequestUnits: p.maxReadUnits,
                  MaxWriteRequestUnits: p.maxWriteUnits,
                },
              }
            : {}),
        }),
      ),
    tableBusy,
  );
};

export const tableKind: Kind<TableProps, TableOutputs, TableCurrent, TableField> = {
  kind: "dynamodb-table",
  label: "DynamoDB table",
  clients: ["dynamodb"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.name,

  async read(ctx, p) {
    const current = await readCurrent(ctx, p);
    return current && { id: p.name, outputs: outputsOf(p), current };
  },

  diff(p, o) {
    const c = o.current;
    const fields: TableField[] = [];
    if (c.keySchema !== keySchemaString(p.key)) fields.push("keySchema");
    if (c.billingMode !== "PAY_PER_REQUEST") fields.push("billingMode");
    else {
      if (c.maxReadUnits !== maximumOf(p.maxReadUnits)) fields.push("maxReadUnits");
      if (c.maxWriteUnits !== maximumOf(p.maxWriteUnits)) fields.push("maxWriteUnits");
    }
    if (!c.deletionProtection) fields.push("deletionProtection");
    if (!c.pitr) fields.push("pitr");
    if (!hasTags(c.tags, p.tags)) fields.push("tags");
    return fields;
  },

  values(p, o) {
    const c = o.current;
    return {
      keySchema: { observed: c.keySchema, desired: keySchemaString(p.key) },
      billingMode: { observed: c.billingMode, desired: "PAY_PER_REQUEST" },
      maxReadUnits: { observed: c.maxReadUnits, desired: maximumOf(p.maxReadUnits) },
      maxWriteUnits: { observed: c.maxWriteUnits, desired: maximumOf(p.maxWriteUnits) },
      deletionProtection: { observed: c.deletionProtection, desired: true },
      pitr: { observed: c.pitr, desired: true },
      tags: { observed: c.tags, desired: p.tags },
    };
  },

  // The plan fails with it, so that status and --dry-run say what up would.
  refuse: (p, o, fields) => (fields.includes("keySchema") ? keySchemaRefused(p, o) : undefined),

  fix: {
    // First, so that nothing else is changed on a table the tool will not convert.
    keySchema(_ctx, p, o) {
      throw keySchemaRefused(p, o);
    },
    billingMode: settings,
    maxReadUnits: settings,
    maxWriteUnits: settings,
    deletionProtection: settings,
    async pitr(ctx, p) {
      await retryWhile(
        ctx,
        () =>
          ctx.clients.dynamodb.send(
            new UpdateContinuousBackupsCommand({
              TableName: p.name,
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            }),
          ),
        tableBusy,
      );
    },
    async tags(ctx, p) {
      await ctx.clients.dynamodb.send(
        new TagResourceCommand({ ResourceArn: p.arn, Tags: toKeyValueList(p.tags) }),
      );
    },
  },

  async create(ctx, p) {
    try {
      await ctx.clients.dynamodb.send(
        new CreateTableCommand({
          TableName: p.name,
          AttributeDefinitions: keys(p).map((k) => ({
            AttributeName: k.name,
            AttributeType: KEY_TYPE_LETTER[k.type],
          })),
          KeySchema: keys(p).map((k, i) => ({
            AttributeName: k.name,
            KeyType: i === 0 ? "HASH" : "RANGE",
          })),
          BillingMode: "PAY_PER_REQUEST",
          ...createThroughput(p),
          DeletionProtectionEnabled: true,
          Tags: toKeyValueList(p.tags),
        }),
      );
    } catch (err) {
      // Made by an earlier run that stopped before recording it: adopt it. Caught here rather
      // than declared as alreadyExists because it may still be CREATING: it is waited for like
      // a new one, and the engine reads it (and fixes what differs) once it is ACTIVE.
      if (!isNamed(err, "ResourceInUseException")) throw err;
    }
    await waitActive(ctx, p.name);
  },

  async delete(ctx, entry: StateEntry) {
    const db = ctx.clients.dynamodb;
    const TableName = entry.id;
    const table = await describe(db, TableName);
    if (!table || table.TableStatus === "DELETING") {
      if (table) await waitGone(ctx, TableName);
      return;
    }
    if (table.DeletionProtectionEnabled) {
      if (table.TableStatus !== "ACTIVE") await waitActive(ctx, TableName);
      await retryWhile(
        ctx,
        () => db.send(new UpdateTableCommand({ TableName, DeletionProtectionEnabled: false })),
        tableBusy,
      );
    }
    // Already deleted: a not-found, which the engine counts as done.
    await retryWhile(ctx, () => db.send(new DeleteTableCommand({ TableName })), tableBusy);
    await waitGone(ctx, TableName);
  },
};

export const tableHandler = lifecycle(tableKind);

/** The table's approximate item count, for the confirmation before `down`. */
export async function approximateItemCount(ctx: Ctx, name: string): Promise<number | undefined> {
  return (await describe(ctx.clients.dynamodb, name))?.ItemCount;
}

import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import type { JsonObject } from "./validate.js";

/** What is stored and returned: the client's data plus server-owned stamps. */
export interface Item {
  readonly id: string;
  readonly data: JsonObject;
  /** ISO 8601, set once when the item is first written. */
  readonly createdAt: string;
  /** ISO 8601, set on every write. */
  readonly updatedAt: string;
}

/** Only send() is used, so tests can pass a stand-in that fails on purpose. */
export type DocClient = Pick<DynamoDBDocumentClient, "send">;

export interface Page {
  readonly items: Item[];
  readonly lastKey: Record<string, unknown> | undefined;
}

export class ItemStore {
  constructor(
    private readonly client: DocClient,
    private readonly table: string,
  ) {}

  /** A bounded Scan: one page of at most `limit` items, never the whole table. */
  async list(limit: number, startKey: { id: string } | undefined): Promise<Page> {
    const out = await this.client.send(
      new ScanCommand({ TableName: this.table, Limit: limit, ExclusiveStartKey: startKey }),
    );
    return { items: (out.Items ?? []) as Item[], lastKey: out.LastEvaluatedKey };
  }

  async get(id: string): Promise<Item | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: { id } }));
    return out.Item as Item | undefined;
  }

  /** Resolves false, writing nothing, when the id is already taken. */
  async create(item: Item): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: "attribute_not_exists(id)",
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /**
   * One atomic write that keeps the original createdAt (if_not_exists) and reports whether the
   * item existed; a read-then-put would race with a concurrent create or delete.
   */
  async replace(
    id: string,
    data: JsonObject,
    now: string,
  ): Promise<{ item: Item; created: boolean }> {
    const out = await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { id },
        UpdateExpression:
          "SET #data = :data, updatedAt = :now, createdAt = if_not_exists(createdAt, :now)",
        // "data" is a DynamoDB reserved word.
        ExpressionAttributeNames: { "#data": "data" },
        ExpressionAttributeValues: { ":data": data, ":now": now },
        ReturnValues: "ALL_OLD",
      }),
    );
    const old = out.Attributes as Partial<Item> | undefined;
    const createdAt = typeof old?.createdAt === "string" ? old.createdAt : now;
    return { item: { id, data, createdAt, updatedAt: now }, created: old === undefined };
  }

  /** Resolves false when there was nothing to delete. */
  async delete(id: string): Promise<boolean> {
    const out = await this.client.send(
      new DeleteCommand({ TableName: this.table, Key: { id }, ReturnValues: "ALL_OLD" }),
    );
    return out.Attributes !== undefined;
  }
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === "ConditionalCheckFailedException";
}

import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  fromAttributeValue,
  toAttributeMap,
  toAttributeValue,
  type AttributeMap,
} from "./attribute-value.js";
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
export type DynamoClient = Pick<DynamoDBClient, "send">;

export interface Page {
  readonly items: Item[];
  readonly lastKey: { id: string } | undefined;
}

/**
 * The items table through the low-level client and our own JSON mapping (attribute-value.ts):
 * the document client's mapping cannot hold every JSON object a client may send.
 */
export class ItemStore {
  constructor(
    private readonly client: DynamoClient,
    private readonly table: string,
  ) {}

  /** A bounded Scan: one page of at most `limit` items, never the whole table. */
  async list(limit: number, startKey: { id: string } | undefined): Promise<Page> {
    const out = await this.client.send(
      new ScanCommand({
        TableName: this.table,
        Limit: limit,
        ExclusiveStartKey: startKey ? keyOf(startKey.id) : undefined,
      }),
    );
    const last = out.LastEvaluatedKey?.id?.S;
    return {
      items: (out.Items ?? []).map(toItem),
      lastKey: last === undefined ? undefined : { id: last },
    };
  }

  async get(id: string): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: keyOf(id) }),
    );
    return out.Item ? toItem(out.Item) : undefined;
  }

  /** Resolves false, writing nothing, when the id is already taken. */
  async create(item: Item): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: toAttributeMap({ ...item }),
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
      new UpdateItemCommand({
        TableName: this.table,
        Key: keyOf(id),
        UpdateExpression:
          "SET #data = :data, updatedAt = :now, createdAt = if_not_exists(createdAt, :now)",
        // "data" is a DynamoDB reserved word.
        ExpressionAttributeNames: { "#data": "data" },
        ExpressionAttributeValues: { ":data": toAttributeValue(data), ":now": { S: now } },
        ReturnValues: "ALL_OLD",
      }),
    );
    const oldCreatedAt = out.Attributes?.createdAt?.S;
    return {
      item: { id, data, createdAt: oldCreatedAt ?? now, updatedAt: now },
      created: out.Attributes === undefined,
    };
  }

  /** Resolves false when there was nothing to delete. */
  async delete(id: string): Promise<boolean> {
    const out = await this.client.send(
      new DeleteItemCommand({ TableName: this.table, Key: keyOf(id), ReturnValues: "ALL_OLD" }),
    );
    return out.Attributes !== undefined;
  }
}

function keyOf(id: string): AttributeMap {
  return { id: { S: id } };
}

/** The stored attributes, in the order the API documents them. */
function toItem(attributes: AttributeMap): Item {
  const { id, data, createdAt, updatedAt } = attributes;
  return {
    id: id?.S ?? "",
    data: (data ? fromAttributeValue(data) : {}) as JsonObject,
    createdAt: createdAt?.S ?? "",
    updatedAt: updatedAt?.S ?? "",
  };
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === "ConditionalCheckFailedException";
}

import { randomUUID } from "node:crypto";
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";

/** An item of the table: the partition key `id`, a text and when it was made. */
export interface Item {
  id: string;
  text: string;
  createdAt: string;
}

/** What the handler needs of a DynamoDB client (a test passes a stand-in). */
export interface Db {
  send(command: object): Promise<Record<string, unknown>>;
}

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

const toItem = (a: Record<string, AttributeValue>): Item => ({
  id: a.id?.S ?? "",
  text: a.text?.S ?? "",
  createdAt: a.createdAt?.S ?? "",
});

/**
 * The routes of serverless-automation.config.json:
 *   GET /items, POST /items, GET /items/{id}, DELETE /items/{id}
 * The table's name comes from TABLE_NAME, which serverless-automation sets (up and dev alike).
 * A secret (a database password, an API key) is named under "secrets" in the config file and
 * read with `await getSecret("DB_PASSWORD")` from ./secrets.ts, never put in "environment".
 */
export function createHandler(db: Db, table = process.env.TABLE_NAME ?? "") {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const id = event.pathParameters?.id;
    switch (`${event.httpMethod} ${event.resource}`) {
      case "GET /items": {
        const out = await db.send(new ScanCommand({ TableName: table, Limit: 100 }));
        const items = (out.Items ?? []) as Record<string, AttributeValue>[];
        return json(200, { items: items.map(toItem) });
      }
      case "POST /items": {
        let text: unknown;
        try {
          text = (JSON.parse(event.body ?? "{}") as { text?: unknown }).text;
        } catch {
          return json(400, { message: "The body is not JSON." });
        }
        if (typeof text !== "string" || text === "") {
          return json(400, { message: 'Send {"text": "…"}.' });
        }
        const item: Item = { id: randomUUID(), text, createdAt: new Date().toISOString() };
        await db.send(
          new PutItemCommand({
            TableName: table,
            Item: { id: { S: item.id }, text: { S: item.text }, createdAt: { S: item.createdAt } },
          }),
        );
        return json(201, item);
      }
      case "GET /items/{id}": {
        const out = await db.send(
          new GetItemCommand({ TableName: table, Key: { id: { S: id! } } }),
        );
        const found = out.Item as Record<string, AttributeValue> | undefined;
        return found ? json(200, toItem(found)) : json(404, { message: `No item ${id}.` });
      }
      case "DELETE /items/{id}": {
        await db.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: id! } } }));
        return { statusCode: 204, body: "" };
      }
      default:
        return json(405, { message: `${event.httpMethod} is not allowed on ${event.resource}.` });
    }
  };
}

/**
 * The table through the AWS SDK: one client per container, made on the first request and reused
 * across requests. Not made when this module loads, so a test that passes its own Db never starts
 * the SDK.
 */
let client: Db | undefined;
const dynamo: Db = {
  send: (command) => (client ??= new DynamoDBClient({}) as unknown as Db).send(command),
};

/** What Lambda calls (index.handler). */
export const handler = createHandler(dynamo);

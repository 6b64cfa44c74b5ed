import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";

// Placeholder: the real CRUD API lands with its own issue.
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ok: true, path: event.path }),
  };
}

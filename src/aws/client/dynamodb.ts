export { DynamoDBClient as Client } from "@aws-sdk/client-dynamodb";

export { APIGatewayClient as Client } from "@aws-sdk/client-api-gateway";

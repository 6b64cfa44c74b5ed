export { LambdaClient as Client } from "@aws-sdk/client-lambda";

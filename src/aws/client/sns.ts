export { SNSClient as Client } from "@aws-sdk/client-sns";

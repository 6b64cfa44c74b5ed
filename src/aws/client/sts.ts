export { STSClient as Client } from "@aws-sdk/client-sts";

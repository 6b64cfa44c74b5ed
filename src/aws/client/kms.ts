export { KMSClient as Client } from "@aws-sdk/client-kms";

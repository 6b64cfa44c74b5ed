export { ACMClient as Client } from "@aws-sdk/client-acm";

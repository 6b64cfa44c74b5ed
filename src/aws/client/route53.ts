export { Route53Client as Client } from "@aws-sdk/client-route-53";

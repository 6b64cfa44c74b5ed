export { WAFV2Client as Client } from "@aws-sdk/client-wafv2";

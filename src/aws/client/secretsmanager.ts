export { SecretsManagerClient as Client } from "@aws-sdk/client-secrets-manager";

import { ACMClient } from "@aws-sdk/client-acm";
import { APIGatewayClient } from "@aws-sdk/client-api-gateway";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { IAMClient } from "@aws-sdk/client-iam";
import { KMSClient } from "@aws-sdk/client-kms";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { Route53Client } from "@aws-sdk/client-route-53";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { SSMClient } from "@aws-sdk/client-ssm";
import { STSClient } from "@aws-sdk/client-sts";
import { WAFV2Client } from "@aws-sdk/client-wafv2";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Pluggable,
} from "@smithy/types";

/** The SDK clients the tool uses, built once per run. */
export interface Clients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  lambda: LambdaClient;
  apigateway: APIGatewayClient;
  iam: IAMClient;
  cloudwatch: CloudWatchClient;
  logs: CloudWatchLogsClient;
  sts: STSClient;
  sns: SNSClient;
  kms: KMSClient;
  wafv2: WAFV2Client;
  ssm: SSMClient;
  secretsmanager: SecretsManagerClient;
  acm: ACMClient;
  route53: Route53Client;
}

export interface ClientOptions {
  region: string;
  profile?: string | undefined;
  /** A custom endpoint for every service (AWS_ENDPOINT_URL), e.g. LocalStack. */
  endpoint?: string | undefined;
  /** Overrides the standard credential chain (tests). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  /** Middleware plugged into every client (tests plug the fake AWS in here). */
  plugins?: Pluggable<object, object>[] | undefined;
}

/**
 * The SDK's standard retry strategy (throttling, 5xx, timeouts, with jittered exponential
 * backoff), with more attempts than its default three. A deploy stopped halfway costs more than
 * a few more seconds of backoff: on a network that loses one call in five, 5 attempts still let
 * one call in 3,125 fail (a few percent of a stack's runs of about a hundred mutating calls),
 * 8 attempts one in 390,625. API Gateway's control plane has per-account quotas as low as one
 * DeleteRestApi per 30 s, so it gets more still.
 */
export const MAX_ATTEMPTS = { default: 8, apigateway: 10 } as const;

export function createClients(options: ClientOptions): Clients {
  const credentials =
    options.credentials ??
    fromNodeProviderChain(options.profile ? { profile: options.profile } : {});
  const base = {
    region: options.region,
    credentials,
    maxAttempts: MAX_ATTEMPTS.default,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  const clients: Clients = {
    // Path-style addressing: LocalStack-style endpoints don't resolve bucket subdomains.
    s3: new S3Client({ ...base, forcePathStyle: options.endpoint !== undefined }),
    dynamodb: new DynamoDBClient(base),
    lambda: new LambdaClient(base),
    apigateway: new APIGatewayClient({ ...base, maxAttempts: MAX_ATTEMPTS.apigateway }),
    iam: new IAMClient(base),
    cloudwatch: new CloudWatchClient(base),
    logs: new CloudWatchLogsClient(base),
    sts: new STSClient(base),
    sns: new SNSClient(base),
    kms: new KMSClient(base),
    wafv2: new WAFV2Client(base),
    ssm: new SSMClient(base),
    secretsmanager: new SecretsManagerClient(base),
    acm: new ACMClient(base),
    // Global: the SDK sends it to route53.amazonaws.com whatever the region.
    route53: new Route53Client(base),
  };
  for (const plugin of options.plugins ?? []) {
    for (const client of Object.values(clients) as {
      middlewareStack: { use(p: unknown): void };
    }[]) {
      client.middlewareStack.use(plugin);
    }
  }
  return clients;
}

export function destroyClients(clients: Clients): void {
  for (const client of Object.values(clients) as { destroy(): void }[]) client.destroy();
}

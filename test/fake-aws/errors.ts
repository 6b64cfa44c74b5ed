import * as apigw from "@aws-sdk/client-api-gateway";
import * as cloudwatch from "@aws-sdk/client-cloudwatch";
import * as logs from "@aws-sdk/client-cloudwatch-logs";
import * as dynamodb from "@aws-sdk/client-dynamodb";
import * as iam from "@aws-sdk/client-iam";
import * as kms from "@aws-sdk/client-kms";
import * as lambda from "@aws-sdk/client-lambda";
import * as s3 from "@aws-sdk/client-s3";
import * as sns from "@aws-sdk/client-sns";
import * as sts from "@aws-sdk/client-sts";

type ServiceExceptionCtor = new (opts: {
  name: string;
  $fault: "client" | "server";
  message: string;
  $metadata: { httpStatusCode?: number };
}) => Error;

const MODULES: Record<string, { module: Record<string, unknown>; base: string }> = {
  S3: { module: s3, base: "S3ServiceException" },
  DynamoDB: { module: dynamodb, base: "DynamoDBServiceException" },
  STS: { module: sts, base: "STSServiceException" },
  IAM: { module: iam, base: "IAMServiceException" },
  Lambda: { module: lambda, base: "LambdaServiceException" },
  APIGateway: { module: apigw, base: "APIGatewayServiceException" },
  CloudWatch: { module: cloudwatch, base: "CloudWatchServiceException" },
  CloudWatchLogs: { module: logs, base: "CloudWatchLogsServiceException" },
  SNS: { module: sns, base: "SNSServiceException" },
  KMS: { module: kms, base: "KMSServiceException" },
};

/**
 * The error the real SDK would throw: the service's modelled exception class when it has one
 * (e.g. DynamoDB's ResourceNotFoundException), else its ServiceException base with AWS's name.
 */
export function awsError(service: string, name: string, message: string, status = 400): Error {
  const m = MODULES[service];
  if (!m) throw new Error(`unknown service ${service}`);
  const base = m.module[m.base] as ServiceExceptionCtor;
  const modelled = m.module[name] as unknown;
  const fault = status >= 500 ? "server" : "client";
  const metadata = {
    httpStatusCode: status,
    requestId: "fake-request-id",
    attempts: 1,
    totalRetryDelay: 0,
  };
  let err: Error;
  if (
    typeof modelled === "function" &&
    (modelled as { prototype: unknown }).prototype instanceof base
  ) {
    const Ctor = modelled as new (opts: { message: string; $metadata: object }) => Error;
    err = new Ctor({ message, $metadata: metadata });
  } else {
    err = new base({ name, $fault: fault, message, $metadata: metadata });
  }
  // The SDK sets these from the response; keep them as a real response would.
  Object.assign(err, { $metadata: metadata });
  return err;
}

/** A service's error factory, e.g. `const err = errorsFor("S3")`. */
export function errorsFor(service: string) {
  return (name: string, message: string, status = 400) => awsError(service, name, message, status);
}

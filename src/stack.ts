import type { Config, Names } from "./config.js";
import { spec, type AnySpec } from "./engine/types.js";
import type { Artifact } from "./package/zip.js";
import { STACK_TAG_KEY } from "./config.js";
import { apiAccountHandler } from "./resources/api-account.js";
import { accessLogFormat, invokeUrl, stageHandler } from "./resources/api-stage.js";
import { artifactHandler } from "./resources/artifact.js";
import { bucketHandler } from "./resources/bucket.js";
import { API_ROUTES, restApiHandler, type RestApiOutputs } from "./resources/rest-api.js";
import { tableHandler } from "./resources/table.js";

export interface StackInput {
  readonly config: Config;
  readonly names: Names;
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The zipped handler; absent for `down`, which needs no code. */
  readonly artifact: Artifact | undefined;
}

/** Noncurrent object versions (replaced bundles) are kept this long for rollback. */
const NONCURRENT_VERSION_DAYS = 30;

/** The desired stack: every resource, its properties and dependencies. Pure. */
export function desiredStack(i: StackInput): AnySpec[] {
  const { names, tags } = i;
  const tableArn = `arn:${i.partition}:dynamodb:${i.region}:${i.account}:table/${names.table}`;
  // Deterministic, so the API's integrations need not wait for the function to exist.
  const functionArn = `arn:${i.partition}:lambda:${i.region}:${i.account}:function:${names.functionName}`;
  const accessLogGroupArn = `arn:${i.partition}:logs:${i.region}:${i.account}:log-group:${names.accessLogGroup}`;
  const specs: AnySpec[] = [
    spec({
      key: "bucket",
      handler: bucketHandler,
      dependsOn: [],
      props: () => ({
        name: names.bucket,
        region: i.region,
        partition: i.partition,
        tags,
        noncurrentVersionDays: NONCURRENT_VERSION_DAYS,
      }),
    }),
    spec({
      key: "table",
      handler: tableHandler,
      dependsOn: [],
      props: () => ({ name: names.table, arn: tableArn, tags }),
    }),
    spec({
      key: "apiGatewayAccount",
      handler: apiAccountHandler,
      dependsOn: [],
      props: () => ({
        roleName: names.apiGatewayCloudWatchRole,
        partition: i.partition,
        tags,
      }),
    }),
    spec({
      key: "restApi",
      handler: restApiHandler,
      // merge: dependsOn function
      dependsOn: [],
      props: () => ({
        name: names.restApi,
        stackTag: { key: STACK_TAG_KEY, value: names.stack },
        tags,
        region: i.region,
        partition: i.partition,
        routes: API_ROUTES,
        integrationUri: `arn:${i.partition}:apigateway:${i.region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
      }),
    }),
    spec({
      key: "stage",
      handler: stageHandler,
      // Logging needs the account's role first. merge: dependsOn accessLogGroup
      dependsOn: ["restApi", "apiGatewayAccount"],
      props: (refs) => {
        const api = refs("restApi") as RestApiOutputs;
        return {
          restApiId: api.id,
          deploymentId: api.deploymentId,
          name: names.apiStage,
          region: i.region,
          partition: i.partition,
          throttlingRateLimit: i.config.settings.throttleRateLimit,
          throttlingBurstLimit: i.config.settings.throttleBurstLimit,
          accessLogDestinationArn: accessLogGroupArn,
          accessLogFormat: accessLogFormat(),
          tags,
          invokeUrl: invokeUrl({
            apiId: api.id,
            stage: names.apiStage,
            region: i.region,
            partition: i.partition,
            endpoint: i.config.endpoint,
          }),
        };
      },
    }),
  ];
  if (i.artifact) {
    const artifact = i.artifact;
    specs.push(
      spec({
        key: "artifact",
        handler: artifactHandler,
        dependsOn: ["bucket"],
        props: () => ({ bucket: names.bucket, artifact }),
      }),
    );
  }
  return specs;
}

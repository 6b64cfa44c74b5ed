import type { Config, Names } from "./config.js";
import { spec, type AnySpec } from "./engine/types.js";
import type { Artifact } from "./package/zip.js";
import { artifactHandler } from "./resources/artifact.js";
import { bucketHandler } from "./resources/bucket.js";
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

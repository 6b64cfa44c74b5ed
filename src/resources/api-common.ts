/** Facts shared by the API Gateway resource modules. */
import { errorMessage, isNamed } from "../aws/errors.js";

/** The ARN API Gateway's tagging API takes for a REST API. */
export function restApiArn(partition: string, region: string, apiId: string): string {
  return `arn:${partition}:apigateway:${region}::/restapis/${apiId}`;
}

/** The ARN API Gateway's tagging API takes for a stage. */
export function stageArn(partition: string, region: string, apiId: string, stage: string): string {
  return `${restApiArn(partition, region, apiId)}/stages/${stage}`;
}

/**
 * ConflictException "…concurrent modification. Please try again later." is transient. The
 * SDK already retries TooManyRequestsException (maxAttempts 10); `quota` also retries it once the
 * SDK gave up, for calls whose quota is as low as one per 30 s (DeleteRestApi).
 */
export function apiBusy(options: { quota?: boolean } = {}) {
  return (err: unknown): string | undefined => {
    if (isNamed(err, "ConflictException") && /try again later/i.test(errorMessage(err))) {
      return "waiting for API Gateway to finish a concurrent change";
    }
    if (options.quota && isNamed(err, "TooManyRequestsException")) {
      return "waiting for API Gateway's request quota";
    }
    return undefined;
  };
}

/** Every item of the pages an API Gateway paginator (paginateGetRestApis, …) reads. */
export async function allItems<T>(pages: AsyncIterable<{ items?: T[] | undefined }>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...(page.items ?? []));
  return out;
}

/** Every item of an API Gateway `position`-paged list the SDK has no paginator for. */
export async function allPages<T>(
  read: (
    position: string | undefined,
  ) => Promise<{ items?: T[] | undefined; position?: string | undefined }>,
): Promise<T[]> {
  const out: T[] = [];
  let position: string | undefined;
  do {
    const page = await read(position);
    out.push(...(page.items ?? []));
    position = page.position;
  } while (position);
  return out;
}

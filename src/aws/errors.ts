/**
 * Classifiers for AWS errors. Names are the ones the SDK v3 throws (`err.name`): the modelled
 * exception class where the service models the error (IAM's wire code NoSuchEntity arrives as
 * NoSuchEntityException), else the service's own error code (S3's NoSuchBucketPolicy).
 */

const NOT_FOUND = new Set([
  "ResourceNotFoundException",
  // CloudWatch models this one without "Exception".
  "ResourceNotFound",
  "NoSuchEntityException",
  "NoSuchBucket",
  "NoSuchKey",
  "NotFound",
  "NotFoundException",
  "NoSuchBucketPolicy",
  "NoSuchLifecycleConfiguration",
  "NoSuchTagSet",
  "ServerSideEncryptionConfigurationNotFoundError",
  "OwnershipControlsNotFoundError",
  "NoSuchPublicAccessBlockConfiguration",
  "TableNotFoundException",
  // WAF: a web ACL, or the resource an association is asked about.
  "WAFNonexistentItemException",
]);

export function errorName(err: unknown): string {
  if (typeof err === "object" && err !== null) {
    const e = err as { name?: unknown; Code?: unknown; code?: unknown };
    if (typeof e.name === "string" && e.name !== "Error") return e.name;
    if (typeof e.Code === "string") return e.Code;
    if (typeof e.code === "string") return e.code;
  }
  return "";
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

export function isNotFound(err: unknown): boolean {
  const name = errorName(err);
  if (NOT_FOUND.has(name)) return true;
  // HeadObject/HeadBucket have no body: the SDK reports a bare 404.
  return name === "" || name === "Unknown" ? httpStatus(err) === 404 : false;
}

/** The promise's value, or undefined when AWS says the thing does not exist. */
export function orMissing<T>(p: Promise<T>): Promise<T | undefined> {
  return p.catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
}

export function isNamed(err: unknown, ...names: string[]): boolean {
  return names.includes(errorName(err));
}

export function isAccessDenied(err: unknown): boolean {
  return /AccessDenied|UnauthorizedOperation|NotAuthorized|AuthorizationError/i.test(
    errorName(err),
  );
}

/** The credential chain found nothing (or an expired/invalid profile). */
export function isCredentialsError(err: unknown): boolean {
  const name = errorName(err);
  return (
    name === "CredentialsProviderError" ||
    name === "ExpiredToken" ||
    name === "ExpiredTokenException" ||
    name === "InvalidClientTokenId" ||
    name === "UnrecognizedClientException" ||
    name === "SignatureDoesNotMatch"
  );
}

/**
 * Node's codes for a request that never reached AWS or never got an answer: the network, DNS,
 * a proxy or TLS interception, or an AWS_ENDPOINT_URL with nothing behind it. The user's to fix.
 */
const NETWORK_CODES: ReadonlySet<unknown> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EPIPE",
  "EPROTO",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

interface NetworkFailure {
  code?: unknown;
  hostname?: unknown;
  address?: unknown;
  port?: unknown;
}

/** The network failure behind err (or behind its causes), if that is what it is. */
function networkFailure(err: unknown): (Error & NetworkFailure) | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; depth++) {
    // The SDK's own connection and socket timeouts are named TimeoutError.
    if (NETWORK_CODES.has((e as NetworkFailure).code) || e.name === "TimeoutError") {
      return e as Error & NetworkFailure;
    }
    e = e.cause;
  }
  return undefined;
}

export function isNetworkError(err: unknown): boolean {
  return networkFailure(err) !== undefined;
}

/**
 * What to do about a request that got no answer, naming the endpoint or the host it could not
 * reach; undefined when err is not a network failure.
 */
export function networkHint(err: unknown, endpoint: string | undefined): string | undefined {
  const e = networkFailure(err);
  if (!e) return undefined;
  const unresolved =
    (e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") && typeof e.hostname === "string"
      ? e.hostname
      : undefined;
  if (endpoint) {
    return unresolved
      ? `Cannot resolve ${unresolved}, the host of AWS_ENDPOINT_URL (${endpoint}): check the URL and your DNS, or unset AWS_ENDPOINT_URL to use AWS.`
      : `Nothing answered at ${endpoint} (AWS_ENDPOINT_URL): check that the endpoint is running and reachable, or unset AWS_ENDPOINT_URL to use AWS.`;
  }
  if (unresolved) {
    return `Cannot resolve ${unresolved}: check your network connection and DNS (and the region), then run the command again.`;
  }
  const where = typeof e.address === "string" ? ` at ${e.address}:${String(e.port)}` : "";
  return `AWS did not answer${where}: check your network connection, proxy or VPN, then run the command again.`;
}

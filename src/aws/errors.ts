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

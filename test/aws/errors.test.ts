import { describe, expect, it } from "vitest";
import {
  errorMessage,
  errorName,
  httpStatus,
  isAccessDenied,
  isCredentialsError,
  isNamed,
  isNetworkError,
  isNotFound,
  networkHint,
  orMissing,
} from "../../src/aws/errors.js";

/**
 * How the tool reads AWS's errors decides what it does next: a not-found is "make it", a
 * credentials error is "check your profile", a network failure names the endpoint. Each
 * classifier is checked against the shapes the SDK v3 and Node actually produce.
 */

/** An error as the SDK throws it: a name, and the HTTP status in $metadata. */
function sdkError(name: string, status?: number): Error {
  const e = new Error(`${name}: from AWS`);
  e.name = name;
  if (status !== undefined) Object.assign(e, { $metadata: { httpStatusCode: status } });
  return e;
}

/** A Node system error, as undici/http report a failed connection. */
function nodeError(code: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${code} something`), { code, ...fields });
}

describe("errorName", () => {
  it("is the SDK's name, else Code, else code, else empty", () => {
    expect(errorName(sdkError("NoSuchEntityException"))).toBe("NoSuchEntityException");
    // A plain Error's name says nothing: the code fields are read instead.
    expect(errorName(Object.assign(new Error("x"), { Code: "NoSuchKey" }))).toBe("NoSuchKey");
    expect(errorName(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe("ECONNRESET");
    expect(errorName({ Code: "Throttling", code: "other" })).toBe("Throttling");
    expect(errorName({ name: 42, code: "EPIPE" })).toBe("EPIPE");
    expect(errorName({ Code: 7, code: "EPIPE" })).toBe("EPIPE");
    expect(errorName({ code: 7 })).toBe("");
    expect(errorName(new Error("plain"))).toBe("");
    expect(errorName(null)).toBe("");
    expect(errorName("NoSuchKey")).toBe("");
    expect(errorName(undefined)).toBe("");
  });
});

describe("errorMessage and httpStatus", () => {
  it("reads an Error's message, stringifies anything else", () => {
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage("text")).toBe("text");
    expect(errorMessage(42)).toBe("42");
  });

  it("reads the SDK's HTTP status, undefined when there is none", () => {
    expect(httpStatus(sdkError("X", 409))).toBe(409);
    expect(httpStatus(new Error("x"))).toBeUndefined();
    expect(httpStatus(null)).toBeUndefined();
    expect(httpStatus({ $metadata: {} })).toBeUndefined();
  });
});

describe("isNotFound", () => {
  // Names from the services' models and error tables (see the comments in errors.ts).
  it.each([
    "ResourceNotFoundException",
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
    "WAFNonexistentItemException",
  ])("%s is a not-found", (name) => {
    expect(isNotFound(sdkError(name, 400))).toBe(true);
  });

  it.each(["NoSuchEntity", "AccessDenied", "ConflictException", "ThrottlingException"])(
    "%s is not",
    (name) => {
      expect(isNotFound(sdkError(name, 404))).toBe(false);
    },
  );

  it("a bodiless 404 (HeadObject, HeadBucket) is one; other bodiless statuses are not", () => {
    expect(isNotFound({ $metadata: { httpStatusCode: 404 } })).toBe(true);
    expect(isNotFound(sdkError("Unknown", 404))).toBe(true);
    expect(isNotFound(sdkError("Unknown", 403))).toBe(false);
    expect(isNotFound({ $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isNotFound(new Error("no status"))).toBe(false);
  });

  it("orMissing: undefined for a not-found, the value otherwise, other errors thrown", async () => {
    await expect(orMissing(Promise.resolve(5))).resolves.toBe(5);
    await expect(orMissing(Promise.reject(sdkError("NoSuchEntityException")))).resolves.toBe(
      undefined,
    );
    const denied = sdkError("AccessDenied", 403);
    await expect(orMissing(Promise.reject(denied))).rejects.toBe(denied);
  });
});

describe("isNamed, isAccessDenied, isCredentialsError", () => {
  it("isNamed matches any of the names given, exactly", () => {
    expect(isNamed(sdkError("ConflictException"), "TooManyRequests", "ConflictException")).toBe(
      true,
    );
    expect(isNamed(sdkError("ConflictException"), "Conflict")).toBe(false);
    expect(isNamed(sdkError("ConflictException"))).toBe(false);
  });

  it.each([
    "AccessDenied",
    "AccessDeniedException",
    "accessdeniedexception",
    "UnauthorizedOperation",
    "NotAuthorized",
    "AuthorizationErrorException",
  ])("%s is access denied", (name) => {
    expect(isAccessDenied(sdkError(name))).toBe(true);
  });

  it("other names are not access denied", () => {
    expect(isAccessDenied(sdkError("ValidationException"))).toBe(false);
    expect(isAccessDenied(sdkError("Denied"))).toBe(false);
  });

  it.each([
    "CredentialsProviderError",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
  ])("%s is a credentials error", (name) => {
    expect(isCredentialsError(sdkError(name))).toBe(true);
  });

  it("others are not credentials errors", () => {
    expect(isCredentialsError(sdkError("AccessDenied"))).toBe(false);
    expect(isCredentialsError(sdkError("ExpiredTokens"))).toBe(false);
    expect(isCredentialsError(new Error("x"))).toBe(false);
  });
});

describe("network failures", () => {
  it.each([
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
  ])("%s is a network failure", (code) => {
    expect(isNetworkError(nodeError(code))).toBe(true);
  });

  it("the SDK's TimeoutError is one; other codes, names and non-errors are not", () => {
    expect(isNetworkError(sdkError("TimeoutError"))).toBe(true);
    expect(isNetworkError(nodeError("ENOENT"))).toBe(false);
    expect(isNetworkError(nodeError("EACCES"))).toBe(false);
    expect(isNetworkError(sdkError("ThrottlingException"))).toBe(false);
    expect(isNetworkError({ code: "ECONNREFUSED" })).toBe(false);
    expect(isNetworkError(Object.assign(new Error("x"), { code: 111 }))).toBe(false);
  });

  it("is found behind up to four causes, not five", () => {
    const wrap = (inner: unknown, times: number): unknown => {
      let e = inner;
      for (let i = 0; i < times; i++) e = new Error(`layer ${i}`, { cause: e });
      return e;
    };
    expect(isNetworkError(wrap(nodeError("ECONNRESET"), 1))).toBe(true);
    expect(isNetworkError(wrap(nodeError("ECONNRESET"), 4))).toBe(true);
    expect(isNetworkError(wrap(nodeError("ECONNRESET"), 5))).toBe(false);
    // A cause that is not an Error ends the search.
    expect(isNetworkError(new Error("x", { cause: { code: "ECONNRESET" } }))).toBe(false);
  });
});

describe("networkHint", () => {
  const endpoint = "http://localhost:4566";

  it("is undefined for an error that is not a network failure", () => {
    expect(networkHint(sdkError("AccessDenied"), endpoint)).toBeUndefined();
    expect(networkHint(sdkError("AccessDenied"), undefined)).toBeUndefined();
  });

  it("an unresolved host of AWS_ENDPOINT_URL names the host and the URL", () => {
    for (const code of ["ENOTFOUND", "EAI_AGAIN"]) {
      expect(networkHint(nodeError(code, { hostname: "aws.invalid" }), endpoint)).toBe(
        `Cannot resolve aws.invalid, the host of AWS_ENDPOINT_URL (${endpoint}): check the URL and your DNS, or unset AWS_ENDPOINT_URL to use AWS.`,
      );
    }
  });

  it("an endpoint that does not answer (or a lookup without a host name) names the URL", () => {
    const nothing = `Nothing answered at ${endpoint} (AWS_ENDPOINT_URL): check that the endpoint is running and reachable, or unset AWS_ENDPOINT_URL to use AWS.`;
    expect(networkHint(nodeError("ECONNREFUSED", { hostname: "localhost" }), endpoint)).toBe(
      nothing,
    );
    expect(networkHint(nodeError("ENOTFOUND"), endpoint)).toBe(nothing);
    // A host name that is not a string is not named.
    expect(networkHint(nodeError("ENOTFOUND", { hostname: 443 }), endpoint)).toBe(nothing);
  });

  it("without an endpoint: an unresolved host is named", () => {
    const unresolved = nodeError("ENOTFOUND", { hostname: "s3.eu-west-9.amazonaws.com" });
    expect(networkHint(unresolved, undefined)).toBe(
      "Cannot resolve s3.eu-west-9.amazonaws.com: check your network connection and DNS (and the region), then run the command again.",
    );
    expect(networkHint(nodeError("ETIMEDOUT", { hostname: "sts.amazonaws.com" }), undefined)).toBe(
      "AWS did not answer: check your network connection, proxy or VPN, then run the command again.",
    );
  });

  it("without an endpoint: the address that did not answer is named when known", () => {
    expect(
      networkHint(nodeError("ECONNREFUSED", { address: "52.1.2.3", port: 443 }), undefined),
    ).toBe(
      "AWS did not answer at 52.1.2.3:443: check your network connection, proxy or VPN, then run the command again.",
    );
    expect(networkHint(sdkError("TimeoutError"), "")).toBe(
      "AWS did not answer: check your network connection, proxy or VPN, then run the command again.",
    );
  });
});

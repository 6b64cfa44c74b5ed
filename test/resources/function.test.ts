import { describe, expect, it } from "vitest";
import { iamPropagation } from "../../src/resources/function.js";

/** Which Lambda errors are waited out while a new role propagates, and which fail at once. */

function named(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

describe("Lambda: what is waited out", () => {
  it.each([
    "The role defined for the function cannot be assumed by Lambda.",
    "The provided execution role does not have permissions to call PutTraceSegments on XRAY",
    "The provided execution role does not have permissions to call CreateNetworkInterface on EC2",
  ])("IAM propagation: %s", (message) => {
    expect(iamPropagation(named("InvalidParameterValueException", message))).toBe(
      "waiting for the IAM role to propagate…",
    );
  });

  it("other invalid parameters, and the same text under another name, fail at once", () => {
    expect(
      iamPropagation(named("InvalidParameterValueException", "Unzipped size must be smaller")),
    ).toBeUndefined();
    expect(
      iamPropagation(named("AccessDeniedException", "cannot be assumed by Lambda")),
    ).toBeUndefined();
  });
});

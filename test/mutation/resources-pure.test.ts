import { describe, expect, it } from "vitest";
import { allPages, apiBusy, restApiArn, stageArn } from "../../src/resources/api-common.js";
import { iamPropagation } from "../../src/resources/function.js";
import { diffRole, type RoleProps } from "../../src/resources/role.js";
import { fromKeyValueList, toKeyValueList } from "../../src/resources/tags.js";

/**
 * The pure parts of the resource kinds that decide what the user's stack becomes: which AWS
 * errors are waited out (and which fail the run at once), and which role drift is repaired.
 */

function named(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

describe("API Gateway", () => {
  it("ARNs of a REST API and a stage, as the tagging API takes them", () => {
    expect(restApiArn("aws", "eu-west-1", "abc123")).toBe(
      "arn:aws:apigateway:eu-west-1::/restapis/abc123",
    );
    expect(stageArn("aws-cn", "cn-north-1", "abc123", "prod")).toBe(
      "arn:aws-cn:apigateway:cn-north-1::/restapis/abc123/stages/prod",
    );
  });

  it("a concurrent-modification conflict is waited out; other conflicts are not", () => {
    const busy = apiBusy();
    expect(
      busy(
        named(
          "ConflictException",
          "Unable to complete operation due to concurrent modification. Please try again later.",
        ),
      ),
    ).toBe("waiting for API Gateway to finish a concurrent change");
    expect(busy(named("ConflictException", "please TRY AGAIN LATER"))).toBe(
      "waiting for API Gateway to finish a concurrent change",
    );
    expect(busy(named("ConflictException", "Stage already exists"))).toBeUndefined();
    expect(busy(named("BadRequestException", "try again later"))).toBeUndefined();
  });

  it("the request quota is waited out only where asked for", () => {
    const quota = named("TooManyRequestsException", "Too Many Requests");
    expect(apiBusy()(quota)).toBeUndefined();
    expect(apiBusy({ quota: false })(quota)).toBeUndefined();
    expect(apiBusy({ quota: true })(quota)).toBe("waiting for API Gateway's request quota");
    expect(apiBusy({ quota: true })(named("ConflictException", "try again later"))).toBe(
      "waiting for API Gateway to finish a concurrent change",
    );
    expect(apiBusy({ quota: true })(named("NotFoundException", "gone"))).toBeUndefined();
  });

  it("allPages reads every page, following position until there is none", async () => {
    const pages: Record<string, { items?: number[]; position?: string }> = {
      start: { items: [1, 2], position: "p2" },
      p2: { position: "p3" },
      p3: { items: [3] },
    };
    const asked: (string | undefined)[] = [];
    const all = await allPages((position) => {
      asked.push(position);
      return Promise.resolve(pages[position ?? "start"]!);
    });
    expect(all).toEqual([1, 2, 3]);
    expect(asked).toEqual([undefined, "p2", "p3"]);
  });
});

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

describe("IAM role drift", () => {
  const doc = (action: string) => ({
    Version: "2012-10-17" as const,
    Statement: [{ Effect: "Allow" as const, Action: [action], Resource: "*" }],
  });
  const props: RoleProps = {
    name: "r",
    description: "d",
    trust: doc("sts:AssumeRole") as never,
    inline: { name: "main", document: doc("s3:GetObject") as never },
    managed: ["arn:b", "arn:a"],
    tags: { project: "p" },
  };
  const inSync = () => ({
    trust: JSON.stringify(doc("sts:AssumeRole")),
    inline: new Map([["main", encodeURIComponent(JSON.stringify(doc("s3:GetObject")))]]),
    managed: ["arn:a", "arn:b"],
    tags: { project: "p", other: "kept" },
  });

  it("in sync: nothing to repair", () => {
    expect(diffRole(props, inSync())).toEqual([]);
  });

  it("each drift is named", () => {
    expect(diffRole(props, { ...inSync(), trust: JSON.stringify(doc("sts:TagSession")) })).toEqual([
      "trust",
    ]);
    expect(
      diffRole(props, { ...inSync(), inline: new Map([["main", JSON.stringify(doc("s3:*"))]]) }),
    ).toEqual(["policy"]);
    expect(diffRole(props, { ...inSync(), inline: new Map() })).toEqual(["policy"]);
    const extra = inSync();
    extra.inline.set("added-by-hand", JSON.stringify(doc("*")));
    expect(diffRole(props, extra)).toEqual(["extraPolicies"]);
    expect(diffRole(props, { ...inSync(), managed: ["arn:a"] })).toEqual(["managedPolicies"]);
    expect(diffRole(props, { ...inSync(), managed: ["arn:a", "arn:b", "arn:c"] })).toEqual([
      "managedPolicies",
    ]);
    expect(diffRole(props, { ...inSync(), tags: { project: "q" } })).toEqual(["tags"]);
    expect(diffRole(props, { ...inSync(), tags: {} })).toEqual(["tags"]);
  });

  it("a role with no inline policy of ours: any inline policy is extra", () => {
    const none: RoleProps = { ...props, inline: undefined };
    expect(diffRole(none, { ...inSync(), inline: new Map() })).toEqual([]);
    expect(diffRole(none, inSync())).toEqual(["extraPolicies"]);
  });
});

describe("tags", () => {
  it("to AWS's list: sorted by key", () => {
    expect(toKeyValueList({ b: "2", a: "1", C: "3" })).toEqual([
      { Key: "a", Value: "1" },
      { Key: "b", Value: "2" },
      { Key: "C", Value: "3" },
    ]);
  });

  it("from AWS's list: keyless entries dropped, a missing value is empty", () => {
    expect(fromKeyValueList([{ Key: "a", Value: "1" }, { Value: "orphan" }, { Key: "b" }])).toEqual(
      { a: "1", b: "" },
    );
    expect(fromKeyValueList(undefined)).toEqual({});
  });
});

import { describe, expect, it } from "vitest";
import { diffRole, type RoleProps } from "../../src/resources/role.js";

/** Which drift of an IAM role is repaired. */

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

import { partitionOf, type CallContext, type FakeService } from "./core.js";
import { errorsFor } from "./errors.js";

const err = errorsFor("IAM");

export interface Role {
  name: string;
  arn: string;
  roleId: string;
  assumeRolePolicyDocument: string;
  createdAt: number;
  inlinePolicies: Map<string, string>;
  attached: Set<string>;
  tags: Map<string, string>;
  /** When the role (and its latest policy change) is usable by other services, ms epoch. */
  propagatedAt: number;
}

export interface IamTimings {
  /** How long a new role or policy change takes to reach other services (AWS: seconds). */
  propagationMs: number;
}

/** The AWS managed policies the tool may attach. */
export const MANAGED_POLICIES = new Set([
  "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
  "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
  "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
]);

type In = Record<string, unknown>;

/** IAM roles with inline and managed policies, and the propagation window other services see. */
export class FakeIam implements FakeService {
  readonly name = "IAM";
  readonly roles = new Map<string, Role>();
  readonly operations: FakeService["operations"];
  private nextId = 1;

  constructor(
    private readonly account: string,
    public timings: IamTimings = { propagationMs: 40 },
  ) {
    this.operations = {
      CreateRole: (i, c) => this.createRole(i, c),
      ListRoles: () => ({
        Roles: [...this.roles.values()].map((r) => this.describe(r)),
        IsTruncated: false,
      }),
      GetRole: (i) => ({ Role: this.describe(this.role(i)) }),
      DeleteRole: (i) => {
        const r = this.role(i);
        if (r.inlinePolicies.size || r.attached.size) {
          throw err("DeleteConflict", "Cannot delete entity, must delete policies first.", 409);
        }
        this.roles.delete(r.name);
        return {};
      },
      UpdateAssumeRolePolicy: (i, c) => {
        const r = this.role(i);
        r.assumeRolePolicyDocument = this.checkDocument(i.PolicyDocument as string);
        r.propagatedAt = c.now + this.timings.propagationMs;
        return {};
      },
      PutRolePolicy: (i, c) => {
        const r = this.role(i);
        r.inlinePolicies.set(
          i.PolicyName as string,
          this.checkDocument(i.PolicyDocument as string),
        );
        r.propagatedAt = c.now + this.timings.propagationMs;
        return {};
      },
      GetRolePolicy: (i) => {
        const r = this.role(i);
        const doc = r.inlinePolicies.get(i.PolicyName as string);
        if (doc === undefined)
          throw err(
            "NoSuchEntity",
            `The role policy with name ${i.PolicyName as string} cannot be found.`,
            404,
          );
        // IAM returns policy documents URL-encoded.
        return {
          RoleName: r.name,
          PolicyName: i.PolicyName,
          PolicyDocument: encodeURIComponent(doc),
        };
      },
      DeleteRolePolicy: (i) => {
        const r = this.role(i);
        if (!r.inlinePolicies.delete(i.PolicyName as string)) {
          throw err(
            "NoSuchEntity",
            `The role policy with name ${i.PolicyName as string} cannot be found.`,
            404,
          );
        }
        return {};
      },
      ListRolePolicies: (i) => ({
        PolicyNames: [...this.role(i).inlinePolicies.keys()],
        IsTruncated: false,
      }),
      AttachRolePolicy: (i, c) => {
        const r = this.role(i);
        const arn = i.PolicyArn as string;
        if (!MANAGED_POLICIES.has(arn.replace(/^arn:aws(-cn|-us-gov)?:/, "arn:aws:")))
          throw err("NoSuchEntity", `Policy ${arn} does not exist or is not attachable.`, 404);
        r.attached.add(arn);
        r.propagatedAt = c.now + this.timings.propagationMs;
        return {};
      },
      DetachRolePolicy: (i) => {
        const r = this.role(i);
        if (!r.attached.delete(i.PolicyArn as string))
          throw err("NoSuchEntity", `Policy ${i.PolicyArn as string} was not found.`, 404);
        return {};
      },
      ListAttachedRolePolicies: (i) => ({
        AttachedPolicies: [...this.role(i).attached].map((PolicyArn) => ({
          PolicyArn,
          PolicyName: PolicyArn.split("/").pop(),
        })),
        IsTruncated: false,
      }),
      TagRole: (i) => {
        const r = this.role(i);
        for (const t of i.Tags as { Key: string; Value: string }[]) r.tags.set(t.Key, t.Value);
        return {};
      },
      UntagRole: (i) => {
        const r = this.role(i);
        for (const k of i.TagKeys as string[]) r.tags.delete(k);
        return {};
      },
      ListRoleTags: (i) => ({
        Tags: [...this.role(i).tags].map(([Key, Value]) => ({ Key, Value })),
        IsTruncated: false,
      }),
    };
  }

  private role(i: In): Role {
    const r = this.roles.get(i.RoleName as string);
    if (!r)
      throw err("NoSuchEntity", `The role with name ${i.RoleName as string} cannot be found.`, 404);
    return r;
  }

  private checkDocument(doc: string): string {
    try {
      const parsed = JSON.parse(doc) as { Statement?: unknown };
      if (!Array.isArray(parsed.Statement)) throw new Error("no statements");
    } catch {
      throw err("MalformedPolicyDocument", "Syntax errors in policy.");
    }
    return doc;
  }

  private createRole(i: In, c: CallContext): object {
    const name = i.RoleName as string;
    if (this.roles.has(name))
      throw err("EntityAlreadyExists", `Role with name ${name} already exists.`, 409);
    if (!/^[\w+=,.@-]{1,64}$/.test(name))
      throw err(
        "ValidationError",
        `1 validation error detected: Value '${name}' at 'roleName' failed to satisfy constraint`,
      );
    const role: Role = {
      name,
      arn: `arn:${partitionOf(c.region)}:iam::${this.account}:role${(i.Path as string | undefined) ?? "/"}${name}`,
      roleId: `AROAFAKE${String(this.nextId++).padStart(12, "0")}`,
      assumeRolePolicyDocument: this.checkDocument(i.AssumeRolePolicyDocument as string),
      createdAt: c.now,
      inlinePolicies: new Map(),
      attached: new Set(),
      tags: new Map(
        ((i.Tags as { Key: string; Value: string }[] | undefined) ?? []).map((t) => [
          t.Key,
          t.Value,
        ]),
      ),
      propagatedAt: c.now + this.timings.propagationMs,
    };
    this.roles.set(name, role);
    return { Role: this.describe(role) };
  }

  private describe(r: Role): object {
    return {
      RoleName: r.name,
      Arn: r.arn,
      RoleId: r.roleId,
      Path: "/",
      CreateDate: new Date(r.createdAt),
      AssumeRolePolicyDocument: encodeURIComponent(r.assumeRolePolicyDocument),
      Tags: [...r.tags].map(([Key, Value]) => ({ Key, Value })),
    };
  }

  /** For other services: the role behind an ARN, once it has propagated to them. */
  usableRole(arn: string, now: number): Role | undefined {
    const r = [...this.roles.values()].find((x) => x.arn === arn);
    return r && now >= r.propagatedAt ? r : undefined;
  }

  /** The role's trust policy names this service principal. */
  trusts(role: Role, principal: string): boolean {
    const doc = JSON.parse(role.assumeRolePolicyDocument) as {
      Statement: {
        Effect: string;
        Principal?: { Service?: string | string[] };
        Action: string | string[];
      }[];
    };
    return doc.Statement.some((s) => {
      const svc = s.Principal?.Service;
      const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
      return (
        s.Effect === "Allow" &&
        (svc === principal || (Array.isArray(svc) && svc.includes(principal))) &&
        actions.includes("sts:AssumeRole")
      );
    });
  }

  /** Every action an inline or attached policy of the role allows (for fakes that check permissions). */
  allowedActions(role: Role): string[] {
    const out: string[] = [];
    for (const doc of role.inlinePolicies.values()) {
      for (const s of (
        JSON.parse(doc) as { Statement: { Effect: string; Action: string | string[] }[] }
      ).Statement) {
        if (s.Effect === "Allow") out.push(...(Array.isArray(s.Action) ? s.Action : [s.Action]));
      }
    }
    if (role.attached.has("arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"))
      out.push("xray:PutTraceSegments", "xray:PutTelemetryRecords");
    if (
      role.attached.has("arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
    )
      out.push(
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:GetLogEvents",
        "logs:FilterLogEvents",
      );
    return out;
  }
}

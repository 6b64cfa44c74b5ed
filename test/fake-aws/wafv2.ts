import { randomUUID } from "node:crypto";
import type { FakeApiGateway } from "./apigateway.js";
import type { CallContext, FakeService } from "./core.js";
import { errorsFor } from "./errors.js";

const err = errorsFor("WAFV2");

// The messages AWS sends (WAFV2 API reference, "Common errors" of each operation).
const NONEXISTENT = "AWS WAF couldn’t perform the operation because your resource doesn’t exist.";
const DUPLICATE =
  "AWS WAF could not perform the operation because some resource in your request is a duplicate of an existing one.";
const LOCKED =
  "AWS WAF couldn’t save your changes because someone changed the resource after you started to edit it. Reapply your changes.";
const ASSOCIATED =
  "AWS WAF couldn’t perform the operation because your resource is being used by another resource or it’s associated with another resource.";
const UNAVAILABLE =
  "AWS WAF couldn’t retrieve the resource that you requested. Retry your request.";

type In = Record<string, unknown>;
type Json = Record<string, unknown>;

export interface WebAcl {
  name: string;
  id: string;
  arn: string;
  region: string;
  description: string | undefined;
  defaultAction: Json;
  rules: Json[];
  visibilityConfig: Json;
  capacity: number;
  lockToken: string;
  tags: Map<string, string>;
  /** Stage ARNs the web ACL protects (an association goes with its stage). */
  resources: Set<string>;
  /** Until then AssociateWebACL answers WAFUnavailableEntityException (propagation). */
  availableAt: number;
  /** Until then DeleteWebACL still counts a removed association (propagation). */
  disassociatedAt: number;
}

export interface WafTimings {
  /** How long a new web ACL, or a removed association, takes to reach every WAF location. */
  propagationMs: number;
}

/** Web ACL capacity units of what the stack uses; WAF refuses a web ACL over 5,000. */
const MANAGED_CAPACITY: Record<string, number> = {
  AWSManagedRulesCommonRuleSet: 700,
  AWSManagedRulesKnownBadInputsRuleSet: 200,
  AWSManagedRulesAmazonIpReputationList: 25,
  AWSManagedRulesSQLiRuleSet: 200,
};
const MAX_CAPACITY = 5000;

const NAME_RE = /^[\w-]{1,128}$/;
const METRIC_RE = /^[\w#:.\-/]{1,255}$/;
const STAGE_ARN_RE = /^arn:aws[\w-]*:apigateway:([\w-]+)::\/restapis\/(\w+)\/stages\/([\w-]+)$/;

/**
 * WAFv2 regional web ACLs as API Gateway stages use them: create/read/update/delete with the
 * optimistic lock token every write must present, tags, and associations with stages (one web
 * ACL per stage; deleting the stage removes it). Requests are validated as WAF validates them
 * (rule shapes, rate limits 10–2,000,000,000, unique names and priorities, capacity), and the
 * propagation AWS documents is there: a new web ACL cannot be associated at once, and a removed
 * association still blocks DeleteWebACL for a moment.
 */
export class FakeWafv2 implements FakeService {
  readonly name = "WAFV2";
  readonly webAcls = new Map<string, WebAcl>();
  timings: WafTimings = { propagationMs: 20 };
  readonly operations: FakeService["operations"];

  constructor(
    private readonly account: string,
    private readonly apigateway: FakeApiGateway,
  ) {
    this.operations = {
      CreateWebACL: (i, c) => this.create(i, c),
      GetWebACL: (i, c) => {
        const a = this.find(i, c);
        return { WebACL: this.describe(a), LockToken: a.lockToken };
      },
      ListWebACLs: (i, c) => {
        this.scope(i);
        const all = [...this.webAcls.values()].filter((a) => a.region === c.region);
        const start = i.NextMarker === undefined ? 0 : Number(i.NextMarker);
        const limit = (i.Limit as number | undefined) ?? 100;
        if (!Number.isInteger(start) || start < 0 || start > all.length)
          throw err("WAFInvalidParameterException", "Error reason: NextMarker is not valid.");
        const page = all.slice(start, start + limit);
        return {
          WebACLs: page.map((a) => this.summary(a)),
          ...(start + limit < all.length ? { NextMarker: String(start + limit) } : {}),
        };
      },
      UpdateWebACL: (i, c) => {
        const a = this.find(i, c);
        this.checkLock(a, i);
        const spec = this.validate(i);
        Object.assign(a, spec, {
          description: i.Description as string | undefined,
          lockToken: randomUUID(),
        });
        return { NextLockToken: a.lockToken };
      },
      DeleteWebACL: (i, c) => {
        const a = this.find(i, c);
        this.checkLock(a, i);
        if (this.protecting(a).length || c.now < a.disassociatedAt)
          throw err("WAFAssociatedItemException", ASSOCIATED);
        this.webAcls.delete(a.arn);
        return {};
      },
      ListTagsForResource: (i) => {
        const a = this.byArn(i.ResourceARN);
        return {
          TagInfoForResource: {
            ResourceARN: a.arn,
            TagList: [...a.tags].map(([Key, Value]) => ({ Key, Value })),
          },
        };
      },
      TagResource: (i) => {
        const a = this.byArn(i.ResourceARN);
        for (const t of this.tagList(i.Tags)) a.tags.set(t.Key, t.Value);
        return {};
      },
      UntagResource: (i) => {
        const a = this.byArn(i.ResourceARN);
        for (const k of i.TagKeys as string[]) a.tags.delete(k);
        return {};
      },
      AssociateWebACL: (i, c) => {
        const a = this.byArn(i.WebACLArn);
        const resource = this.stageArn(i.ResourceArn, c);
        if (c.now < a.availableAt) throw err("WAFUnavailableEntityException", UNAVAILABLE);
        // One web ACL per resource: associating another replaces it.
        for (const other of this.webAcls.values()) other.resources.delete(resource);
        a.resources.add(resource);
        return {};
      },
      DisassociateWebACL: (i, c) => {
        const resource = this.stageArn(i.ResourceArn, c);
        // "Disassociates the specified resource from its web ACL association, if it has one."
        for (const a of this.webAcls.values()) {
          if (a.resources.delete(resource)) a.disassociatedAt = c.now + this.timings.propagationMs;
        }
        return {};
      },
      GetWebACLForResource: (i, c) => {
        const resource = this.stageArn(i.ResourceArn, c);
        const a = [...this.webAcls.values()].find((x) => x.resources.has(resource));
        return a ? { WebACL: this.describe(a) } : {};
      },
      ListResourcesForWebACL: (i) => ({ ResourceArns: this.protecting(this.byArn(i.WebACLArn)) }),
    };
  }

  /** The web ACL named so in a region (tests). */
  byName(name: string, region = "us-east-1"): WebAcl | undefined {
    return [...this.webAcls.values()].find((a) => a.name === name && a.region === region);
  }

  /** The stages a web ACL protects that still exist; an association goes with its stage. */
  protecting(a: WebAcl): string[] {
    for (const r of a.resources) if (!this.stageExists(r)) a.resources.delete(r);
    return [...a.resources];
  }

  private stageExists(arn: string): boolean {
    const m = STAGE_ARN_RE.exec(arn);
    const api = m ? this.apigateway.apis.get(m[2] as string) : undefined;
    return !!api && api.region === m?.[1] && api.stages.has(m[3] as string);
  }

  /** A stage ARN that names an existing stage of this region (what WAF checks first). */
  private stageArn(v: unknown, c: CallContext): string {
    const arn = String(v ?? "");
    const m = STAGE_ARN_RE.exec(arn);
    if (!m || m[1] !== c.region)
      throw err(
        "WAFInvalidParameterException",
        `Error reason: The ARN isn't valid. A valid ARN begins with arn: and includes other information separated by colons or slashes., field: RESOURCE_ARN, parameter: ${arn}`,
      );
    if (!this.stageExists(arn)) {
      for (const a of this.webAcls.values()) a.resources.delete(arn);
      throw err("WAFNonexistentItemException", NONEXISTENT);
    }
    return arn;
  }

  private scope(i: In): void {
    if (i.Scope !== "REGIONAL" && i.Scope !== "CLOUDFRONT")
      throw err(
        "WAFInvalidParameterException",
        `Error reason: The parameter contains formatting that is not valid., field: SCOPE_VALUE, parameter: ${String(i.Scope)}`,
      );
    if (i.Scope === "CLOUDFRONT")
      throw err(
        "WAFInvalidParameterException",
        "Error reason: CLOUDFRONT scope is only available in us-east-1 and is not modelled here., field: SCOPE_VALUE, parameter: CLOUDFRONT",
      );
  }

  private find(i: In, c: CallContext): WebAcl {
    this.scope(i);
    const a = [...this.webAcls.values()].find(
      (x) => x.name === i.Name && x.id === i.Id && x.region === c.region,
    );
    if (!a) throw err("WAFNonexistentItemException", NONEXISTENT);
    return a;
  }

  private byArn(v: unknown): WebAcl {
    const a = this.webAcls.get(String(v ?? ""));
    if (!a) throw err("WAFNonexistentItemException", NONEXISTENT);
    return a;
  }

  private checkLock(a: WebAcl, i: In): void {
    if (typeof i.LockToken !== "string" || i.LockToken === "")
      throw err(
        "WAFInvalidParameterException",
        "Error reason: A required field is missing., field: LOCK_TOKEN, parameter: null",
      );
    if (i.LockToken !== a.lockToken) throw err("WAFOptimisticLockException", LOCKED);
  }

  private create(i: In, c: CallContext): object {
    this.scope(i);
    const name = String(i.Name ?? "");
    if (!NAME_RE.test(name)) this.invalid("NAME", name);
    if ([...this.webAcls.values()].some((a) => a.name === name && a.region === c.region))
      throw err("WAFDuplicateItemException", DUPLICATE);
    const spec = this.validate(i);
    const tags = this.tagList(i.Tags);
    const id = randomUUID();
    const a: WebAcl = {
      name,
      id,
      arn: `arn:aws:wafv2:${c.region}:${this.account}:regional/webacl/${name}/${id}`,
      region: c.region,
      description: i.Description as string | undefined,
      ...spec,
      lockToken: randomUUID(),
      tags: new Map(tags.map((t) => [t.Key, t.Value])),
      resources: new Set(),
      availableAt: c.now + this.timings.propagationMs,
      disassociatedAt: 0,
    };
    this.webAcls.set(a.arn, a);
    return { Summary: this.summary(a) };
  }

  private invalid(field: string, parameter: unknown): never {
    throw err(
      "WAFInvalidParameterException",
      `Error reason: The parameter contains formatting that is not valid., field: ${field}, parameter: ${JSON.stringify(parameter)}`,
    );
  }

  /** DefaultAction, Rules and VisibilityConfig as WAF checks them. */
  private validate(
    i: In,
  ): Pick<WebAcl, "defaultAction" | "rules" | "visibilityConfig" | "capacity"> {
    const d = i.DefaultAction as Json | undefined;
    if (!d || Object.keys(d).length !== 1 || !("Allow" in d || "Block" in d))
      this.invalid("DEFAULT_ACTION", d);
    this.visibility(i.VisibilityConfig);
    const rules = (i.Rules as Json[] | undefined) ?? [];
    const names = new Set<string>();
    const priorities = new Set<number>();
    let capacity = 0;
    for (const r of rules) {
      if (typeof r.Name !== "string" || !NAME_RE.test(r.Name)) this.invalid("RULE_NAME", r.Name);
      if (names.has(r.Name)) this.invalid("RULE", r.Name);
      names.add(r.Name);
      const priority = r.Priority as number;
      if (!Number.isInteger(priority) || priority < 0 || priorities.has(priority))
        this.invalid("RULE_PRIORITY", priority);
      priorities.add(priority);
      this.visibility(r.VisibilityConfig);
      const statement = (r.Statement as Json | undefined) ?? {};
      const kinds = Object.keys(statement);
      if (kinds.length !== 1) this.invalid("STATEMENT", statement);
      const group =
        kinds[0] === "ManagedRuleGroupStatement" || kinds[0] === "RuleGroupReferenceStatement";
      // A rule group's rules carry their own actions: it takes OverrideAction, any other rule Action.
      if (group ? !r.OverrideAction || r.Action : !r.Action || r.OverrideAction)
        this.invalid(group ? "OVERRIDE_ACTION" : "RULE_ACTION", r.Name);
      capacity += this.statementCapacity(statement);
    }
    if (capacity > MAX_CAPACITY)
      throw err(
        "WAFLimitsExceededException",
        `AWS WAF couldn’t perform the operation because you exceeded your resource limit. Web ACL capacity ${capacity} exceeds ${MAX_CAPACITY}.`,
      );
    return {
      defaultAction: structuredClone(d) as Json,
      rules: structuredClone(rules),
      visibilityConfig: structuredClone(i.VisibilityConfig) as Json,
      capacity,
    };
  }

  private statementCapacity(statement: Json): number {
    const managed = statement.ManagedRuleGroupStatement as Json | undefined;
    if (managed) {
      const name = String(managed.Name);
      if (managed.VendorName !== "AWS" || !(name in MANAGED_CAPACITY))
        throw err("WAFNonexistentItemException", NONEXISTENT);
      return MANAGED_CAPACITY[name] as number;
    }
    const rate = statement.RateBasedStatement as Json | undefined;
    if (rate) {
      const limit = rate.Limit as number;
      if (!Number.isInteger(limit) || limit < 10 || limit > 2_000_000_000)
        this.invalid("RATE_BASED_STATEMENT", limit);
      if (
        !["IP", "FORWARDED_IP", "CUSTOM_KEYS", "CONSTANT"].includes(String(rate.AggregateKeyType))
      )
        this.invalid("AGGREGATE_KEY_TYPE", rate.AggregateKeyType);
      const window = (rate.EvaluationWindowSec as number | undefined) ?? 300;
      if (![60, 120, 300, 600].includes(window)) this.invalid("EVALUATION_WINDOW_SEC", window);
      // WAF fills in the default window: GetWebACL shows it.
      rate.EvaluationWindowSec = window;
      return 2;
    }
    return 1;
  }

  private visibility(v: unknown): void {
    const x = v as Json | undefined;
    if (
      !x ||
      typeof x.SampledRequestsEnabled !== "boolean" ||
      typeof x.CloudWatchMetricsEnabled !== "boolean" ||
      typeof x.MetricName !== "string" ||
      !METRIC_RE.test(x.MetricName) ||
      x.MetricName === "All" ||
      x.MetricName === "Default_Action"
    )
      this.invalid("VISIBILITY_CONFIG", v);
  }

  private tagList(v: unknown): { Key: string; Value: string }[] {
    const tags = (v as { Key: string; Value: string }[] | undefined) ?? [];
    for (const t of tags) {
      if (!t.Key || t.Key.length > 128 || (t.Value ?? "").length > 256)
        throw err("WAFTagOperationException", "An error occurred during the tagging operation.");
    }
    return tags;
  }

  private summary(a: WebAcl): object {
    return {
      Name: a.name,
      Id: a.id,
      ARN: a.arn,
      LockToken: a.lockToken,
      ...(a.description !== undefined ? { Description: a.description } : {}),
    };
  }

  private describe(a: WebAcl): object {
    return {
      Name: a.name,
      Id: a.id,
      ARN: a.arn,
      ...(a.description !== undefined ? { Description: a.description } : {}),
      DefaultAction: structuredClone(a.defaultAction),
      Rules: structuredClone(a.rules),
      VisibilityConfig: structuredClone(a.visibilityConfig),
      Capacity: a.capacity,
      ManagedByFirewallManager: false,
      RetrofittedByFirewallManager: false,
      LabelNamespace: `awswaf:${this.account}:webacl:${a.name}:`,
    };
  }
}

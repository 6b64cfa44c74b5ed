import {
  CreateWebACLCommand,
  DeleteWebACLCommand,
  GetWebACLCommand,
  ListTagsForResourceCommand,
  ListWebACLsCommand,
  TagResourceCommand,
  UpdateWebACLCommand,
  type DefaultAction,
  type Rule,
  type VisibilityConfig,
  type WebACL,
} from "@aws-sdk/client-wafv2";
import { errorMessage, isNamed, orMissing } from "../aws/errors.js";
import { deepEqual, hasTags } from "../engine/equal.js";
import { lifecycle, type Fixer, type Kind } from "../engine/kind.js";
import { retryWhile, waitFor } from "../engine/retry.js";
import type { Ctx, Observed, StateEntry } from "../engine/types.js";
import { fromKeyValueList, toKeyValueList, type TagMap } from "./tags.js";

/** API Gateway stages take a regional web ACL (CLOUDFRONT is for distributions). */
const SCOPE = "REGIONAL";

/** The managed rule group every web ACL of the stack runs: AWS's baseline protections. */
export const COMMON_RULE_SET = { VendorName: "AWS", Name: "AWSManagedRulesCommonRuleSet" };

/** WAF counts a rate-based rule's requests over this window, in seconds (its default). */
const RATE_WINDOW_SECONDS = 300;

export interface WebAclProps {
  readonly name: string;
  readonly description: string;
  /** Requests one IP address may make in five minutes before WAF blocks it. */
  readonly rateLimit: number;
  readonly tags: TagMap;
}

export interface WebAclOutputs extends Record<string, string> {
  name: string;
  /** The id WAF chose; GetWebACL, UpdateWebACL and DeleteWebACL take it with the name. */
  id: string;
  /** What AssociateWebACL takes. */
  arn: string;
}

interface WebAclCurrent {
  /** The token UpdateWebACL and DeleteWebACL must present: WAF's optimistic lock. */
  lockToken: string;
  defaultAction: DefaultAction | undefined;
  rules: Rule[];
  visibilityConfig: VisibilityConfig | undefined;
  description: string | undefined;
  tags: Record<string, string>;
}

/** The fields diff compares; every one but tags is set by one UpdateWebACL. */
type Field = "defaultAction" | "rules" | "visibilityConfig" | "description" | "tags";

const visibility = (metricName: string): VisibilityConfig => ({
  SampledRequestsEnabled: true,
  CloudWatchMetricsEnabled: true,
  MetricName: metricName,
});

/**
 * What the web ACL holds: requests are allowed unless a rule blocks them. First a per-IP rate
 * limit (cheap, so floods are cut before anything else runs), then AWS's common rule set with
 * its own actions (override none). Each rule and the ACL report CloudWatch metrics and keep
 * sampled requests.
 */
export function webAclDefinition(p: Pick<WebAclProps, "name" | "rateLimit">): {
  defaultAction: DefaultAction;
  rules: Rule[];
  visibilityConfig: VisibilityConfig;
} {
  return {
    defaultAction: { Allow: {} },
    rules: [
      {
        Name: "rate-limit-per-ip",
        Priority: 0,
        Statement: {
          RateBasedStatement: {
            Limit: p.rateLimit,
            AggregateKeyType: "IP",
            EvaluationWindowSec: RATE_WINDOW_SECONDS,
          },
        },
        Action: { Block: {} },
        VisibilityConfig: visibility(`${p.name}-rate-limit-per-ip`),
      },
      {
        Name: COMMON_RULE_SET.Name,
        Priority: 1,
        Statement: { ManagedRuleGroupStatement: { ...COMMON_RULE_SET } },
        OverrideAction: { None: {} },
        VisibilityConfig: visibility(`${p.name}-common-rule-set`),
      },
    ],
    visibilityConfig: visibility(p.name),
  };
}

/**
 * Shield Advanced's automatic application-layer mitigation adds a rule group of its own to a
 * web ACL it protects; it is AWS's to manage: not drift, and kept by every update
 * (docs.aws.amazon.com/waf/latest/developerguide/ddos-automatic-app-layer-response-rg.html).
 */
const isShieldRule = (r: Rule) => /^ShieldMitigationRuleGroup_\d{12}_/.test(r.Name ?? "");

/** A read value without what means nothing: absent, null, empty lists (AWS may send any). */
function normal(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normal);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined && x !== null && !(Array.isArray(x) && x.length === 0))
        .map(([k, x]) => [k, normal(x)]),
    );
  }
  return v;
}

function sameRules(actual: readonly Rule[], desired: readonly Rule[]): boolean {
  const ordered = (rules: readonly Rule[]) =>
    rules
      .filter((r) => !isShieldRule(r))
      .slice()
      .sort((a, b) => (a.Priority ?? 0) - (b.Priority ?? 0))
      .map(normal);
  return deepEqual(ordered(actual), ordered(desired));
}

/** The name and id of the web ACL named `name` in this region, if there is one. */
async function findByName(ctx: Ctx, name: string): Promise<{ id: string } | undefined> {
  let NextMarker: string | undefined;
  do {
    const page = await ctx.clients.wafv2.send(
      new ListWebACLsCommand({ Scope: SCOPE, Limit: 100, NextMarker }),
    );
    const found = page.WebACLs?.find((w) => w.Name === name);
    if (found?.Id) return { id: found.Id };
    // WAF may hand back a marker with an empty last page; a repeated one ends the listing.
    NextMarker = page.NextMarker && page.NextMarker !== NextMarker ? page.NextMarker : undefined;
  } while (NextMarker);
  return undefined;
}

async function readAcl(
  ctx: Ctx,
  name: string,
  id: string,
): Promise<{ acl: WebACL; lockToken: string } | undefined> {
  const out = await orMissing(
    ctx.clients.wafv2.send(new GetWebACLCommand({ Name: name, Scope: SCOPE, Id: id })),
  );
  if (!out?.WebACL || !out.LockToken) return undefined;
  return { acl: out.WebACL, lockToken: out.LockToken };
}

async function readTags(ctx: Ctx, arn: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let NextMarker: string | undefined;
  do {
    const page = await ctx.clients.wafv2.send(
      new ListTagsForResourceCommand({ ResourceARN: arn, NextMarker }),
    );
    Object.assign(tags, fromKeyValueList(page.TagInfoForResource?.TagList));
    NextMarker = page.NextMarker && page.NextMarker !== NextMarker ? page.NextMarker : undefined;
  } while (NextMarker);
  return tags;
}

async function observeById(
  ctx: Ctx,
  name: string,
  id: string,
): Promise<Observed<WebAclOutputs, WebAclCurrent> | undefined> {
  const read = await readAcl(ctx, name, id);
  const arn = read?.acl.ARN;
  if (!read || !arn) return undefined;
  const { acl, lockToken } = read;
  return {
    id: arn,
    outputs: { name, id, arn },
    current: {
      lockToken,
      defaultAction: acl.DefaultAction,
      rules: acl.Rules ?? [],
      visibilityConfig: acl.VisibilityConfig,
      description: acl.Description,
      tags: await readTags(ctx, arn),
    },
  };
}

/** WAF's answer while a change is still reaching every place it is stored. */
function propagating(err: unknown): string | undefined {
  return isNamed(err, "WAFUnavailableEntityException")
    ? "waiting for WAF to make the web ACL's parts available"
    : undefined;
}

/**
 * UpdateWebACL replaces every mutable setting at once and must present the lock token of the
 * version it replaces. When someone changed the web ACL since it was read, WAF refuses with
 * WAFOptimisticLockException: it is read again and the update is made over that version.
 */
const updateDefinition: Fixer<WebAclProps, WebAclOutputs, WebAclCurrent, Field> = async (
  ctx,
  p,
  o,
) => {
  const { name, id } = o.outputs;
  const want = webAclDefinition(p);
  // The version observed first; on a retry, the one there is now.
  let attempt = 0;
  await retryWhile(
    ctx,
    async () => {
      const read = attempt++ === 0 ? undefined : await readAcl(ctx, name, id);
      if (attempt > 1 && !read) {
        throw new Error("the web ACL disappeared while it was being updated");
      }
      const lockToken = read?.lockToken ?? o.current.lockToken;
      const rules = read ? (read.acl.Rules ?? []) : o.current.rules;
      await ctx.clients.wafv2.send(
        new UpdateWebACLCommand({
          Name: name,
          Scope: SCOPE,
          Id: id,
          LockToken: lockToken,
          Description: p.description,
          DefaultAction: want.defaultAction,
          Rules: [...want.rules, ...rules.filter(isShieldRule)],
          VisibilityConfig: want.visibilityConfig,
        }),
      );
    },
    (err) =>
      isNamed(err, "WAFOptimisticLockException")
        ? "the web ACL was changed meanwhile: reading it again"
        : propagating(err),
  );
};

export const webAclKind: Kind<WebAclProps, WebAclOutputs, WebAclCurrent, Field> = {
  kind: "wafv2-web-acl",
  label: "WAF web ACL",
  clients: ["wafv2"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.name,

  /** Found by name: WAF chose the id, and a web ACL made again by hand has another. */
  async read(ctx, p) {
    const found = await findByName(ctx, p.name);
    return found && observeById(ctx, p.name, found.id);
  },

  diff(p, o) {
    const want = webAclDefinition(p);
    const c = o.current;
    const differs: Record<Field, boolean> = {
      defaultAction: !deepEqual(normal(c.defaultAction), normal(want.defaultAction)),
      rules: !sameRules(c.rules, want.rules),
      visibilityConfig: !deepEqual(normal(c.visibilityConfig), normal(want.visibilityConfig)),
      description: (c.description ?? "") !== p.description,
      tags: !hasTags(c.tags, p.tags),
    };
    return (Object.keys(differs) as Field[]).filter((f) => differs[f]);
  },

  values(p, o) {
    const want = webAclDefinition(p);
    const c = o.current;
    return {
      defaultAction: { observed: normal(c.defaultAction), desired: normal(want.defaultAction) },
      // Shield's own rules are not the stack's to compare (see sameRules).
      rules: {
        observed: c.rules.filter((r) => !isShieldRule(r)).map(normal),
        desired: want.rules.map(normal),
      },
      visibilityConfig: {
        observed: normal(c.visibilityConfig),
        desired: normal(want.visibilityConfig),
      },
      description: { observed: c.description ?? "", desired: p.description },
      tags: { observed: c.tags, desired: p.tags },
    };
  },

  fix: {
    defaultAction: updateDefinition,
    rules: updateDefinition,
    visibilityConfig: updateDefinition,
    description: updateDefinition,
    async tags(ctx, p, o) {
      await ctx.clients.wafv2.send(
        new TagResourceCommand({ ResourceARN: o.outputs.arn, Tags: toKeyValueList(p.tags) }),
      );
    },
  },

  /**
   * Made, then waited for until it is readable. A WAFDuplicateItemException is not left to the
   * engine's adoption (alreadyExists), which reads once: the web ACL it names may have been
   * made a moment ago, by a retried call whose first answer was lost, and not be listed yet.
   */
  async create(ctx, p) {
    const want = webAclDefinition(p);
    let id: string | undefined;
    try {
      const made = await retryWhile(
        ctx,
        () =>
          ctx.clients.wafv2.send(
            new CreateWebACLCommand({
              Name: p.name,
              Scope: SCOPE,
              Description: p.description,
              DefaultAction: want.defaultAction,
              Rules: want.rules,
              VisibilityConfig: want.visibilityConfig,
              Tags: toKeyValueList(p.tags),
            }),
          ),
        propagating,
      );
      id = made.Summary?.Id;
    } catch (err) {
      // Made since it was observed (an earlier run that stopped before recording it, whose
      // answer was lost): adopted, and the engine converges it.
      if (!isNamed(err, "WAFDuplicateItemException")) throw err;
    }
    const o = await waitFor(
      ctx,
      "waiting for the new web ACL to be readable",
      async () => {
        const ref = id ? { id } : await findByName(ctx, p.name);
        return ref && observeById(ctx, p.name, ref.id);
      },
      (x) => (x ? "done" : "pending"),
    );
    if (!o) throw new Error("the web ACL is not readable right after it was created");
    return o;
  },

  async exists(ctx, entry) {
    const { name, id } = entry.outputs;
    return !!name && !!id && (await readAcl(ctx, name, id)) !== undefined;
  },

  /**
   * DeleteWebACL needs the current lock token, so the web ACL is read first, and read again when
   * someone changed it in between. Right after its association is removed WAF may still count
   * it as associated for a while (WAFAssociatedItemException): that passes.
   */
  async delete(ctx, entry: StateEntry) {
    const { name, id } = entry.outputs;
    if (!name || !id) return;
    try {
      await retryWhile(
        ctx,
        async () => {
          const read = await readAcl(ctx, name, id);
          if (!read) return;
          await orMissing(
            ctx.clients.wafv2.send(
              new DeleteWebACLCommand({
                Name: name,
                Scope: SCOPE,
                Id: id,
                LockToken: read.lockToken,
              }),
            ),
          );
        },
        (err) =>
          isNamed(err, "WAFOptimisticLockException")
            ? "the web ACL was changed meanwhile: reading it again"
            : isNamed(err, "WAFAssociatedItemException")
              ? "waiting for WAF to finish removing the web ACL's association"
              : propagating(err),
      );
    } catch (err) {
      if (isNamed(err, "WAFAssociatedItemException")) {
        throw new Error(
          `${errorMessage(err)} The web ACL is still associated with a resource: disassociate it (aws wafv2 list-resources-for-web-acl lists them) and run the command again.`,
          { cause: err },
        );
      }
      throw err;
    }
  },
};

export const webAclHandler = lifecycle(webAclKind);

import {
  AssociateWebACLCommand,
  DisassociateWebACLCommand,
  GetWebACLForResourceCommand,
} from "@aws-sdk/client-wafv2";
import { isNamed, orMissing } from "../aws/errors.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import { retryWhile, waitFor } from "../engine/retry.js";
import type { Ctx, Observed, StateEntry } from "../engine/types.js";

export interface WebAclAssociationProps {
  /** The protected resource: the API stage, `arn:…:apigateway:REGION::/restapis/ID/stages/NAME`. */
  readonly resourceArn: string;
  readonly webAclArn: string;
}

export interface WebAclAssociationOutputs extends Record<string, string> {
  resourceArn: string;
  webAclArn: string;
}

interface WebAclAssociationCurrent {
  /** The web ACL the resource is associated with now. */
  webAclArn: string;
}

/**
 * The ARN of the web ACL a resource is associated with; undefined when it has none, or when the
 * resource itself is gone (WAF answers WAFNonexistentItemException, and the association went
 * with the resource).
 */
async function associatedWith(ctx: Ctx, resourceArn: string): Promise<string | undefined> {
  const out = await orMissing(
    ctx.clients.wafv2.send(new GetWebACLForResourceCommand({ ResourceArn: resourceArn })),
  );
  return out?.WebACL?.ARN;
}

function observed(
  resourceArn: string,
  webAclArn: string,
): Observed<WebAclAssociationOutputs, WebAclAssociationCurrent> {
  return { id: resourceArn, outputs: { resourceArn, webAclArn }, current: { webAclArn } };
}

/**
 * A resource has at most one web ACL: AssociateWebACL sets it, replacing another one. Right after
 * the web ACL is made WAF may not know it everywhere yet (WAFUnavailableEntityException): that
 * passes within minutes (the AssociateWebACL reference, "Temporary inconsistencies").
 */
async function associate(
  ctx: Ctx,
  p: WebAclAssociationProps,
): Promise<Observed<WebAclAssociationOutputs, WebAclAssociationCurrent>> {
  await retryWhile(
    ctx,
    () =>
      ctx.clients.wafv2.send(
        new AssociateWebACLCommand({ WebACLArn: p.webAclArn, ResourceArn: p.resourceArn }),
      ),
    (err) =>
      isNamed(err, "WAFUnavailableEntityException")
        ? "waiting for the new web ACL to reach WAF everywhere"
        : undefined,
  );
  const now = await waitFor(
    ctx,
    "waiting for WAF to report the association",
    () => associatedWith(ctx, p.resourceArn),
    (arn) => (arn === p.webAclArn ? "done" : "pending"),
  );
  return observed(p.resourceArn, now ?? p.webAclArn);
}

/** The one field: which web ACL the resource is associated with. */
type WebAclAssociationField = "webAcl";

export const webAclAssociationKind: Kind<
  WebAclAssociationProps,
  WebAclAssociationOutputs,
  WebAclAssociationCurrent,
  WebAclAssociationField
> = {
  kind: "wafv2-web-acl-association",
  label: "WAF web ACL association",
  clients: ["wafv2"],
  displayId: (p) => p.resourceArn,

  async read(ctx, p) {
    const arn = await associatedWith(ctx, p.resourceArn);
    return arn === undefined ? undefined : observed(p.resourceArn, arn);
  },

  /** Associated with another web ACL (one made by hand, or this stack's earlier one). */
  diff: (p, o) => (o.current.webAclArn === p.webAclArn ? [] : ["webAcl"]),
  values: (p, o) => ({ webAcl: { observed: o.current.webAclArn, desired: p.webAclArn } }),

  // The recorded outputs name the web ACL it is associated with now.
  fix: { webAcl: async (ctx, p) => (await associate(ctx, p)).outputs },

  create: (ctx, p) => associate(ctx, p),

  async exists(ctx, entry) {
    return (await associatedWith(ctx, entry.id)) === entry.outputs.webAclArn;
  },

  /** Only while the resource is associated with the recorded web ACL: another one is not ours. */
  async delete(ctx, entry: StateEntry) {
    if ((await associatedWith(ctx, entry.id)) !== entry.outputs.webAclArn) return;
    await ctx.clients.wafv2.send(new DisassociateWebACLCommand({ ResourceArn: entry.id }));
  },
};

export const webAclAssociationHandler = lifecycle(webAclAssociationKind);

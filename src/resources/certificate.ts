import {
  AddTagsToCertificateCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  RequestCertificateCommand,
  type CertificateDetail,
  type CertificateSummary,
} from "@aws-sdk/client-acm";
import { isNamed, orMissing } from "../aws/errors.js";
import { hasTags } from "../engine/equal.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import { retryWhile, waitFor } from "../engine/retry.js";
import type { Ctx, Observed, StateEntry } from "../engine/types.js";
import { fromKeyValueList, toKeyValueList, type TagMap } from "./tags.js";

export interface CertificateProps {
  /** The host name it certifies (the API's custom domain). */
  readonly domainName: string;
  /** Several certificates may name one domain: only one carrying this tag is ours to adopt. */
  readonly stackTag: { readonly key: string; readonly value: string };
  readonly tags: TagMap;
}

/**
 * Not its domain name: that is the API Gateway domain name's id, and an output naming another
 * resource's id orders the two when both are swept (see sweepTargets). Nor its status, which
 * changes on its own: the state would be written again on the run after it is issued.
 */
export interface CertificateOutputs extends Record<string, string> {
  arn: string;
  /** The CNAME that proves the domain is ours: its name and value, as ACM gives them. */
  validationName: string;
  validationValue: string;
}

interface CertificateCurrent {
  tags: Record<string, string>;
}

/** A certificate in these states can still be (or is) used; the others are dead ends. */
const LIVE = new Set(["PENDING_VALIDATION", "ISSUED"]);

/** The certificate of this ARN, or undefined when ACM has none. */
export async function describeCertificate(
  ctx: Pick<Ctx, "clients">,
  arn: string,
): Promise<CertificateDetail | undefined> {
  const out = await orMissing(
    ctx.clients.acm.send(new DescribeCertificateCommand({ CertificateArn: arn })),
  );
  return out?.Certificate;
}

async function tagsOf(ctx: Pick<Ctx, "clients">, arn: string): Promise<Record<string, string>> {
  const out = await ctx.clients.acm.send(
    new ListTagsForCertificateCommand({ CertificateArn: arn }),
  );
  return fromKeyValueList(out.Tags);
}

/** Every live certificate for the name that carries our stack tag, oldest first. */
export async function findOurs(
  ctx: Pick<Ctx, "clients">,
  p: Pick<CertificateProps, "domainName" | "stackTag">,
): Promise<CertificateDetail[]> {
  const found: CertificateDetail[] = [];
  // Page by page by hand: the SDK's paginator would bring ACM's client class into every run's
  // start-up, also where the stack has no domain.
  const summaries: CertificateSummary[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.clients.acm.send(
      new ListCertificatesCommand({
        CertificateStatuses: ["PENDING_VALIDATION", "ISSUED"],
        NextToken,
      }),
    );
    summaries.push(...(page.CertificateSummaryList ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  for (const c of summaries) {
    if (c.DomainName !== p.domainName || !c.CertificateArn) continue;
    const tags = await orMissing(tagsOf(ctx, c.CertificateArn));
    if (tags?.[p.stackTag.key] !== p.stackTag.value) continue;
    const d = await describeCertificate(ctx, c.CertificateArn);
    if (d) found.push(d);
  }
  return found.sort((a, b) => (a.CreatedAt?.getTime() ?? 0) - (b.CreatedAt?.getTime() ?? 0));
}

/** The DNS record ACM asks for; absent for a few seconds after RequestCertificate. */
export function validationRecord(
  d: CertificateDetail,
): { name: string; value: string } | undefined {
  const r = d.DomainValidationOptions?.find((o) => o.ResourceRecord)?.ResourceRecord;
  return r?.Name && r.Value ? { name: r.Name, value: r.Value } : undefined;
}

function observed(
  d: CertificateDetail,
  tags: Record<string, string>,
): Observed<CertificateOutputs, CertificateCurrent> {
  const arn = d.CertificateArn ?? "";
  const record = validationRecord(d);
  return {
    id: arn,
    outputs: {
      arn,
      validationName: record?.name ?? "",
      validationValue: record?.value ?? "",
    },
    current: { tags },
  };
}

/** Read again until ACM gives the validation record (its API reference: a few seconds). */
async function withRecord(
  ctx: Ctx,
  arn: string,
): Promise<Observed<CertificateOutputs, CertificateCurrent>> {
  const d = await waitFor(
    ctx,
    "waiting for ACM to give the certificate's validation record",
    () => describeCertificate(ctx, arn),
    (x) => (x && validationRecord(x) ? "done" : "pending"),
  );
  if (!d) throw new Error(`the certificate ${arn} is not readable right after it was requested`);
  return observed(d, await tagsOf(ctx, arn));
}

export const certificateKind: Kind<
  CertificateProps,
  CertificateOutputs,
  CertificateCurrent,
  "tags"
> = {
  kind: "acm-certificate",
  label: "ACM certificate",
  clients: ["acm"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.domainName,

  /**
   * By the recorded ARN, else our tagged one for the name. A certificate whose validation
   * failed or timed out, or that was revoked, is no certificate: a new one is requested and
   * the dead one swept.
   */
  async read(ctx, p, recorded) {
    const byArn = recorded?.id ? await describeCertificate(ctx, recorded.id) : undefined;
    const d =
      byArn && LIVE.has(byArn.Status ?? "") && byArn.DomainName === p.domainName
        ? byArn
        : (await findOurs(ctx, p))[0];
    if (!d?.CertificateArn) return undefined;
    if (!validationRecord(d) && d.Status === "PENDING_VALIDATION") {
      return withRecord(ctx, d.CertificateArn);
    }
    return observed(d, await tagsOf(ctx, d.CertificateArn));
  },

  diff: (p, o) => (hasTags(o.current.tags, p.tags) ? [] : ["tags"]),

  values: (p, o) => ({ tags: { observed: o.current.tags, desired: p.tags } }),

  fix: {
    async tags(ctx, p, o) {
      await ctx.clients.acm.send(
        new AddTagsToCertificateCommand({ CertificateArn: o.id, Tags: toKeyValueList(p.tags) }),
      );
    },
  },

  async create(ctx, p) {
    const made = await ctx.clients.acm.send(
      new RequestCertificateCommand({
        DomainName: p.domainName,
        ValidationMethod: "DNS",
        // Tagged at birth: should this run stop before recording it, the next one adopts it.
        Tags: toKeyValueList(p.tags),
      }),
    );
    // RequestCertificate without an idempotency token makes a second certificate when the SDK
    // retries after a lost answer (a token would also hand back, for an hour, one deleted by
    // hand). Keep the oldest, which read adopts; delete the others.
    const ours = await findOurs(ctx, p);
    const keep = ours[0]?.CertificateArn ?? made.CertificateArn ?? "";
    for (const extra of ours.slice(1)) {
      if (extra.CertificateArn) await deleteCertificate(ctx, extra.CertificateArn);
    }
    return withRecord(ctx, keep);
  },

  async exists(ctx, entry) {
    return (await describeCertificate(ctx, entry.id)) !== undefined;
  },

  delete: (ctx, entry: StateEntry) => deleteCertificate(ctx, entry.id),
};

/**
 * API Gateway lets go of a certificate a moment after its domain name is deleted: until then
 * DeleteCertificate answers ResourceInUseException, which passes.
 */
async function deleteCertificate(ctx: Ctx, arn: string): Promise<void> {
  // Minutes, not the usual wait: a certificate someone else put to use stays in use.
  const timing = { ...ctx.timing, maxWaitMs: Math.min(ctx.timing.maxWaitMs, 120_000) };
  await retryWhile(
    { ...ctx, timing },
    () => ctx.clients.acm.send(new DeleteCertificateCommand({ CertificateArn: arn })),
    (err) =>
      isNamed(err, "ResourceInUseException")
        ? "waiting for API Gateway to release the certificate"
        : undefined,
  );
}

export const certificateHandler = lifecycle(certificateKind);

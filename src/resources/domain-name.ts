import {
  CreateDomainNameCommand,
  DeleteDomainNameCommand,
  GetDomainNameCommand,
  TagResourceCommand,
  UpdateDomainNameCommand,
  type DomainName,
  type PatchOperation,
} from "@aws-sdk/client-api-gateway";
import { isNamed, orMissing } from "../aws/errors.js";
import { UserError } from "../errors.js";
import { deepEqual, hasTags } from "../engine/equal.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import { retryWhile, waitFor } from "../engine/retry.js";
import { Interrupted } from "../engine/interrupted.js";
import type { Ctx, Observed, StateEntry } from "../engine/types.js";
import { apiBusy } from "./api-common.js";
import { describeCertificate } from "./certificate.js";
import type { TagMap } from "./tags.js";

/** Regional: the certificate lives in the stack's region, and a WAF on the stage applies. */
const ENDPOINT_TYPE = "REGIONAL";
const SECURITY_POLICY = "TLS_1_2";

export interface DomainNameProps {
  readonly name: string;
  readonly certificateArn: string;
  /**
   * The certificate's validation record (empty names for a certificate the user brought) and
   * the zone it goes in (empty without one): what to check when it is not validated in time.
   */
  readonly validation: { readonly name: string; readonly value: string };
  readonly hostedZoneId: string;
  readonly tags: TagMap;
  readonly region: string;
  readonly partition: string;
}

export interface DomainNameOutputs extends Record<string, string> {
  name: string;
  /** Where the alias records point: the regional endpoint and its hosted zone. */
  regionalDomainName: string;
  regionalHostedZoneId: string;
  /**
   * The certificate it serves: named here, so that a sweep of both (the domain taken out of
   * the config) deletes the domain name first, as ACM requires of a certificate in use.
   */
  certificateArn: string;
}

interface DomainNameCurrent {
  certificateArn: string | undefined;
  endpointTypes: string[];
  securityPolicy: string | undefined;
  tags: Record<string, string>;
}

type Field = "certificate" | "securityPolicy" | "tags";

export function domainNameArn(partition: string, region: string, name: string): string {
  return `arn:${partition}:apigateway:${region}::/domainnames/${name}`;
}

function observed(d: DomainName): Observed<DomainNameOutputs, DomainNameCurrent> {
  const name = d.domainName ?? "";
  return {
    id: name,
    outputs: {
      name,
      regionalDomainName: d.regionalDomainName ?? "",
      regionalHostedZoneId: d.regionalHostedZoneId ?? "",
      certificateArn: d.regionalCertificateArn ?? "",
    },
    current: {
      certificateArn: d.regionalCertificateArn,
      endpointTypes: d.endpointConfiguration?.types ?? [],
      securityPolicy: d.securityPolicy,
      tags: d.tags ?? {},
    },
  };
}

export async function readDomainName(
  ctx: Pick<Ctx, "clients">,
  name: string,
): Promise<DomainName | undefined> {
  return orMissing(ctx.clients.apigateway.send(new GetDomainNameCommand({ domainName: name })));
}

/**
 * Waits until ACM has issued the certificate: API Gateway takes only an issued one. ACM checks
 * the DNS record every few minutes; its documentation allows up to 30 minutes once the record
 * resolves.
 */
async function waitForIssued(ctx: Ctx, p: DomainNameProps): Promise<void> {
  const started = Date.now();
  try {
    await waitFor(
      { ...ctx, progress: () => undefined },
      "waiting for ACM to validate the certificate",
      async () => {
        const d = await describeCertificate(ctx, p.certificateArn);
        const s = d?.Status ?? "missing";
        if (s !== "ISSUED") {
          const m = Math.floor((Date.now() - started) / 60_000);
          ctx.progress(
            `waiting for ACM to validate the certificate (${s}, ${m ? `${m} min` : "under a minute"} so far)`,
          );
        }
        return s;
      },
      (s) =>
        s === "ISSUED"
          ? "done"
          : s === "PENDING_VALIDATION"
            ? "pending"
            : { failed: `the certificate ${p.certificateArn} is ${s}` },
    );
  } catch (err) {
    // Stopped by Ctrl-C or a signal: nothing is wrong with the certificate.
    if (err instanceof Interrupted) throw err;
    const waited = Math.round((Date.now() - started) / 1000);
    const minutes = waited >= 120 ? `${Math.round(waited / 60)} min` : `${waited} s`;
    throw new UserError(
      /timed out/.test((err as Error).message)
        ? `The certificate for ${p.name} was not validated after ${minutes}; its status is still PENDING_VALIDATION. The domain name was not made.`
        : `The certificate for ${p.name} cannot be used: ${(err as Error).message}. The domain name was not made.`,
      {
        cause: err,
        hint: `${validationHint(p)} Then run up again: it goes on from here.`,
      },
    );
  }
}

/** What to check when the certificate is not validated in time. */
function validationHint(p: DomainNameProps): string {
  if (!p.validation.name) {
    return `Check the certificate ${p.certificateArn} in the ACM console (aws acm describe-certificate --certificate-arn ${p.certificateArn}).`;
  }
  const where = p.hostedZoneId
    ? `the hosted zone ${p.hostedZoneId} has it, and that zone is the one the domain's registrar delegates to (its NS records)`
    : "it is in the DNS zone that serves the domain";
  return `ACM issues the certificate once the CNAME ${p.validation.name} → ${p.validation.value} resolves: check that ${where}, e.g. with \`dig CNAME ${p.validation.name}\`. ACM may take up to 30 minutes after that.`;
}

export const domainNameKind: Kind<DomainNameProps, DomainNameOutputs, DomainNameCurrent, Field> = {
  kind: "apigateway-domain-name",
  label: "API Gateway domain name",
  clients: ["apigateway"],
  tagsOf: (c) => c.tags,
  displayId: (p) => p.name,

  /** By name: a domain name is unique in the region, and it is ours only with our tags. */
  async read(ctx, p) {
    const d = await readDomainName(ctx, p.name);
    return d?.domainName ? observed(d) : undefined;
  },

  diff(p, o) {
    const c = o.current;
    const fields: Field[] = [];
    if (c.certificateArn !== p.certificateArn) fields.push("certificate");
    if (c.securityPolicy !== SECURITY_POLICY) fields.push("securityPolicy");
    if (!hasTags(c.tags, p.tags)) fields.push("tags");
    return fields;
  },

  values: (p, o) => ({
    certificate: { observed: o.current.certificateArn, desired: p.certificateArn },
    securityPolicy: { observed: o.current.securityPolicy, desired: SECURITY_POLICY },
    tags: { observed: o.current.tags, desired: p.tags },
  }),

  /** An edge-optimized domain of this name cannot become regional in place. */
  refuse(p, o) {
    if (deepEqual(o.current.endpointTypes, [ENDPOINT_TYPE])) return undefined;
    return new UserError(
      `The API Gateway domain name ${p.name} is ${o.current.endpointTypes.join(", ") || "not REGIONAL"}; this stack uses a REGIONAL one. Nothing was changed.`,
      { hint: "Delete that domain name (and its base path mappings), then run up again." },
    );
  },

  fix: {
    certificate: update,
    securityPolicy: update,
    async tags(ctx, p) {
      await ctx.clients.apigateway.send(
        new TagResourceCommand({
          resourceArn: domainNameArn(p.partition, p.region, p.name),
          tags: { ...p.tags },
        }),
      );
    },
  },

  async create(ctx, p) {
    await waitForIssued(ctx, p);
    // One CreateDomainName per 30 s per account: over it, the SDK's own retries (ten attempts
    // for API Gateway) and then these wait for the quota to refill.
    const d = await retryWhile(
      ctx,
      () =>
        ctx.clients.apigateway.send(
          new CreateDomainNameCommand({
            domainName: p.name,
            regionalCertificateArn: p.certificateArn,
            endpointConfiguration: { types: [ENDPOINT_TYPE] },
            securityPolicy: SECURITY_POLICY,
            // Tagged at birth: should this run stop before recording it, the next one adopts it.
            tags: { ...p.tags },
          }),
        ),
      apiBusy({ quota: true }),
    );
    return observed(d);
  },

  /**
   * CreateDomainName on a name that exists (an earlier run's, not recorded) is adopted; a
   * concurrent change (also ConflictException, "try again later") is not that.
   */
  alreadyExists: (err) => isNamed(err, "ConflictException") && apiBusy()(err) === undefined,

  async exists(ctx, entry) {
    return (await readDomainName(ctx, entry.id)) !== undefined;
  },

  async delete(ctx, entry: StateEntry) {
    await retryWhile(
      ctx,
      () => ctx.clients.apigateway.send(new DeleteDomainNameCommand({ domainName: entry.id })),
      apiBusy({ quota: true }),
    );
  },
};

async function update(
  ctx: Ctx,
  p: DomainNameProps,
  o: Observed<DomainNameOutputs, DomainNameCurrent>,
  fields: ReadonlySet<Field>,
): Promise<Partial<DomainNameOutputs>> {
  const ops: PatchOperation[] = [];
  if (fields.has("certificate")) {
    await waitForIssued(ctx, p);
    ops.push({ op: "replace", path: "/regionalCertificateArn", value: p.certificateArn });
  }
  if (fields.has("securityPolicy")) {
    ops.push({ op: "replace", path: "/securityPolicy", value: SECURITY_POLICY });
  }
  await retryWhile(
    ctx,
    () =>
      ctx.clients.apigateway.send(
        new UpdateDomainNameCommand({ domainName: o.id, patchOperations: ops }),
      ),
    apiBusy(),
  );
  return { certificateArn: p.certificateArn };
}

export const domainNameHandler = lifecycle(domainNameKind);

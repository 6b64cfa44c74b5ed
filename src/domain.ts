import { GetHostedZoneCommand, ListResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import { GetBasePathMappingsCommand, type DomainName } from "@aws-sdk/client-api-gateway";
import { errorName, isAccessDenied, isNamed } from "./aws/errors.js";
import { STACK_TAG_KEY } from "./config.js";
import type { Ctx, StateEntry } from "./engine/types.js";
import { UserError } from "./errors.js";
import { describeCertificate, findOurs } from "./resources/certificate.js";
import { dnsName } from "./resources/dns-records.js";
import { readDomainName } from "./resources/domain-name.js";
import type { DomainSettings } from "./settings.js";

/** What the read-only checks of a custom domain found, before anything is planned. */
export interface DomainCheck {
  /**
   * The certificate is issued, or will be within this run (its validation record goes into
   * the hosted zone, or it is the user's own): the domain name, mapping and records are made.
   * false: no hosted zone and the stack's certificate is not issued yet; this run requests it
   * (if need be) and says which record to add.
   */
  readonly ready: boolean;
}

/** Whether a certificate for `names` (DomainName and SubjectAlternativeNames) covers host. */
export function covers(names: readonly string[], host: string): boolean {
  const h = dnsName(host);
  return names.some((raw) => {
    const n = dnsName(raw);
    if (n === h) return true;
    // A wildcard covers exactly one label: *.example.com covers api.example.com only.
    return n.startsWith("*.") && h.endsWith(n.slice(1)) && !h.slice(0, -n.length + 1).includes(".");
  });
}

/** Whether host is the zone's apex or below it. */
export function inZone(host: string, zone: string): boolean {
  const h = dnsName(host);
  const z = dnsName(zone);
  return h === z || h.endsWith(`.${z}`);
}

/** The region an ACM certificate ARN names. */
function arnRegion(arn: string): string {
  return arn.split(":")[3] ?? "";
}

/**
 * The custom domain's read-only checks, before anything is made: the hosted zone is this
 * account's and holds the name, a certificate given is for the name and in the stack's region,
 * and the name is not another API's. Each failure is a UserError that says what to change.
 */
export async function checkDomain(
  ctx: Ctx,
  d: DomainSettings,
  stack: string,
  recorded: { certificate?: StateEntry | undefined; records?: StateEntry | undefined },
): Promise<DomainCheck> {
  // Read-only, all at once: the first to fail is the one reported.
  const [, , ours] = await Promise.all([
    d.hostedZoneId ? checkZone(ctx, d, d.hostedZoneId) : undefined,
    d.certificateArn ? checkCertificate(ctx, d, d.certificateArn) : undefined,
    checkNameFree(ctx, d, stack),
  ]);
  if (d.hostedZoneId && !recorded.records) {
    await checkNoRecords(ctx, d, d.hostedZoneId, ours?.regionalDomainName);
  }
  if (d.certificateArn || d.hostedZoneId) return { ready: true };
  // No zone: the certificate must have been validated by a record the user added.
  const byArn = recorded.certificate?.id
    ? await describeCertificate(ctx, recorded.certificate.id)
    : undefined;
  const cert =
    byArn?.DomainName === d.name && byArn.Status === "ISSUED"
      ? byArn
      : (
          await findOurs(ctx, {
            domainName: d.name,
            stackTag: { key: STACK_TAG_KEY, value: stack },
          })
        )[0];
  return { ready: cert?.Status === "ISSUED" };
}

async function checkZone(ctx: Ctx, d: DomainSettings, zoneId: string): Promise<void> {
  let name: string;
  let isPrivate: boolean;
  try {
    const out = await ctx.clients.route53.send(new GetHostedZoneCommand({ Id: zoneId }));
    name = out.HostedZone?.Name ?? "";
    isPrivate = out.HostedZone?.Config?.PrivateZone === true;
  } catch (err) {
    if (isNamed(err, "NoSuchHostedZone") || isAccessDenied(err)) {
      throw new UserError(
        `The hosted zone ${zoneId} is not in account ${ctx.account} (Route 53 answered ${errorName(err)}); nothing was changed.`,
        {
          cause: err,
          hint: `Check domain.hostedZoneId: \`aws route53 list-hosted-zones-by-name --dns-name ${d.name}\` lists this account's zones. A zone of another account cannot be written from this one: leave hostedZoneId out and add the records yourself.`,
        },
      );
    }
    throw err;
  }
  if (isPrivate) {
    throw new UserError(
      `The hosted zone ${zoneId} (${dnsName(name)}) is private: ACM cannot see a validation record there, nor can callers on the internet resolve ${d.name}. Nothing was changed.`,
      { hint: "Give domain.hostedZoneId the public hosted zone of the domain." },
    );
  }
  if (!inZone(d.name, name)) {
    throw new UserError(
      `The domain name ${d.name} is not in the hosted zone ${zoneId} (${dnsName(name)}); nothing was changed.`,
      {
        hint: `Use a name ending in .${dnsName(name)}, or the hosted zone of ${d.name}'s parent domain.`,
      },
    );
  }
}

async function checkCertificate(ctx: Ctx, d: DomainSettings, arn: string): Promise<void> {
  if (arnRegion(arn) !== ctx.region) {
    throw new UserError(
      `The certificate ${arn} is in ${arnRegion(arn)}, but a regional API in ${ctx.region} needs one in ${ctx.region}; nothing was changed.`,
      {
        hint: `Request or import a certificate for ${d.name} in ${ctx.region}, or leave domain.certificateArn out and the stack requests one.`,
      },
    );
  }
  const c = await describeCertificate(ctx, arn).catch((err: unknown) => {
    if (isAccessDenied(err)) return undefined;
    throw err;
  });
  if (!c) {
    throw new UserError(
      `There is no certificate ${arn} in account ${ctx.account}, ${ctx.region}; nothing was changed.`,
      {
        hint: `Check domain.certificateArn (\`aws acm list-certificates --region ${ctx.region}\`).`,
      },
    );
  }
  const names = [c.DomainName ?? "", ...(c.SubjectAlternativeNames ?? [])];
  if (!covers(names, d.name)) {
    throw new UserError(
      `The certificate ${arn} is for ${[...new Set(names)].join(", ")}, not ${d.name}; nothing was changed.`,
      {
        hint: `Use a certificate that names ${d.name} (or a wildcard of its parent), or leave domain.certificateArn out and the stack requests one.`,
      },
    );
  }
  if (c.Status !== "ISSUED" && c.Status !== "PENDING_VALIDATION") {
    throw new UserError(
      `The certificate ${arn} is ${c.Status ?? "unusable"}; nothing was changed.`,
      {
        hint: "Use an issued certificate, or leave domain.certificateArn out and the stack requests one.",
      },
    );
  }
}

/**
 * The A and AAAA records at the name, before the stack has written any: only aliases to the
 * stack's own domain name (an earlier run's, not recorded) may be there. Anything else is
 * someone's site, which `up` would otherwise replace once its domain name is made.
 */
async function checkNoRecords(
  ctx: Ctx,
  d: DomainSettings,
  zone: string,
  ourTarget: string | undefined,
): Promise<void> {
  const found = await Promise.all(
    (["A", "AAAA"] as const).map(async (type) => {
      const out = await ctx.clients.route53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zone,
          StartRecordName: d.name,
          StartRecordType: type,
          MaxItems: 1,
        }),
      );
      const r = out.ResourceRecordSets?.[0];
      return r && dnsName(r.Name ?? "") === dnsName(d.name) && r.Type === type ? r : undefined;
    }),
  );
  const theirs = found.filter(
    (r) =>
      r !== undefined &&
      (ourTarget === undefined || dnsName(r.AliasTarget?.DNSName ?? "") !== dnsName(ourTarget)),
  );
  if (!theirs.length) return;
  throw new UserError(
    `The hosted zone ${zone} already has ${theirs.map((r) => `an ${r?.Type ?? ""} record`).join(" and ")} for ${d.name} that this stack did not write; nothing was changed.`,
    {
      hint: `Something else answers at ${d.name}: choose another domain.name, or delete those records yourself if they are no longer used, then run up again.`,
    },
  );
}

/** A domain name that exists without this stack's tag is another API's (or someone's). */
async function checkNameFree(
  ctx: Ctx,
  d: DomainSettings,
  stack: string,
): Promise<DomainName | undefined> {
  const found = await readDomainName(ctx, d.name);
  if (!found || found.tags?.[STACK_TAG_KEY] === stack) return found;
  const mappings = await ctx.clients.apigateway
    .send(new GetBasePathMappingsCommand({ domainName: d.name }))
    .then((r) => r.items ?? [])
    .catch(() => []);
  const apis = [...new Set(mappings.map((m) => m.restApiId ?? ""))].filter(Boolean);
  throw new UserError(
    `The domain name ${d.name} is already an API Gateway domain name in ${ctx.region}${apis.length ? `, mapped to the REST API ${apis.join(", ")}` : ""}, and not this stack's; nothing was changed.`,
    {
      hint: `Use another domain.name; or, if ${d.name} should serve this stack, delete that domain name (aws apigateway delete-domain-name --domain-name ${d.name}) and run up again.`,
    },
  );
}

import { createHash, randomUUID } from "node:crypto";
import type { CallContext, FakeService, OperationHandler } from "./core.js";
import { errorsFor } from "./errors.js";
import type { FakeRoute53 } from "./route53.js";

const err = errorsFor("ACM");

export interface Certificate {
  arn: string;
  region: string;
  domainName: string;
  sans: string[];
  status: string;
  type: "AMAZON_ISSUED" | "IMPORTED";
  createdAt: number;
  /** The CNAME ACM asks for, and when it is given out (a few seconds after the request). */
  record: { name: string; value: string; from: number };
  /** When ACM first saw the record resolve; it issues validationMs after that. */
  seenAt: number | undefined;
  tags: Map<string, string>;
}

type In = Record<string, unknown>;

/**
 * ACM's certificates with DNS validation: RequestCertificate gives a certificate in
 * PENDING_VALIDATION whose validation record DescribeCertificate lists after `recordDelayMs`;
 * once that CNAME is in a Route 53 zone of the account, the certificate is ISSUED after
 * `validationMs`. DeleteCertificate of one API Gateway uses answers ResourceInUseException.
 */
export class FakeAcm implements FakeService {
  readonly name = "ACM";
  readonly certificates = new Map<string, Certificate>();
  /** How long after the request the validation record shows, ms (AWS: a few seconds). */
  recordDelayMs = 0;
  /** How long after the record resolves ACM issues the certificate, ms. */
  validationMs = 0;
  readonly operations: Record<string, OperationHandler>;

  constructor(
    private readonly account: string,
    private readonly route53: FakeRoute53,
    private readonly inUse: (arn: string) => boolean,
  ) {
    this.operations = {
      RequestCertificate: (i, c) => this.request(i, c),
      DescribeCertificate: (i, c) => ({ Certificate: this.describe(this.cert(i, c), c) }),
      ListCertificates: (i, c) => this.list(i, c),
      ListTagsForCertificate: (i, c) => ({
        Tags: [...this.cert(i, c).tags].map(([Key, Value]) => ({ Key, Value })),
      }),
      AddTagsToCertificate: (i, c) => {
        const cert = this.cert(i, c);
        for (const t of (i.Tags as { Key: string; Value?: string }[] | undefined) ?? [])
          cert.tags.set(t.Key, t.Value ?? "");
        return {};
      },
      DeleteCertificate: (i, c) => {
        const cert = this.cert(i, c);
        if (this.inUse(cert.arn))
          throw err("ResourceInUseException", `Certificate ${cert.arn} is in use.`);
        this.certificates.delete(cert.arn);
        return {};
      },
    };
  }

  /** The status ACM has now (API Gateway asks before it takes a certificate). */
  status(arn: string, now = Date.now()): string | undefined {
    const cert = this.certificates.get(arn);
    if (!cert) return undefined;
    this.advance(cert, now);
    return cert.status;
  }

  /** A certificate already issued (imported, or validated long ago), e.g. one a user brings. */
  issued(domainName: string, region: string, sans: string[] = []): string {
    const arn = `arn:aws:acm:${region}:${this.account}:certificate/${randomUUID()}`;
    this.certificates.set(arn, {
      arn,
      region,
      domainName,
      sans: [domainName, ...sans],
      status: "ISSUED",
      type: "IMPORTED",
      createdAt: Date.now(),
      record: { name: "", value: "", from: 0 },
      seenAt: undefined,
      tags: new Map(),
    });
    return arn;
  }

  private advance(cert: Certificate, now: number): void {
    if (cert.status !== "PENDING_VALIDATION" || !cert.record.name) return;
    const r = this.route53.find(cert.record.name, "CNAME");
    const resolves = r?.ResourceRecords?.some(
      (v) => v.Value.replace(/\.$/, "") === cert.record.value.replace(/\.$/, ""),
    );
    if (!resolves) return;
    cert.seenAt ??= now;
    if (now - cert.seenAt >= this.validationMs) cert.status = "ISSUED";
  }

  private cert(i: In, c: CallContext): Certificate {
    const arn = i.CertificateArn as string;
    const cert = this.certificates.get(arn);
    if (!cert || cert.region !== c.region)
      throw err("ResourceNotFoundException", `Could not find certificate ${arn}.`);
    return cert;
  }

  private request(i: In, c: CallContext): object {
    const domainName = i.DomainName as string;
    if (i.ValidationMethod !== "DNS") throw err("ValidationException", "Only DNS in this fake");
    const arn = `arn:aws:acm:${c.region}:${this.account}:certificate/${randomUUID()}`;
    const token = createHash("sha256").update(arn).digest("hex");
    this.certificates.set(arn, {
      arn,
      region: c.region,
      domainName,
      sans: [domainName, ...((i.SubjectAlternativeNames as string[] | undefined) ?? [])],
      status: "PENDING_VALIDATION",
      type: "AMAZON_ISSUED",
      createdAt: c.now,
      record: {
        name: `_${token.slice(0, 32)}.${domainName}.`,
        value: `_${token.slice(32, 64)}.xlfgrmvvlj.acm-validations.aws.`,
        from: c.now + this.recordDelayMs,
      },
      seenAt: undefined,
      tags: new Map(
        ((i.Tags as { Key: string; Value?: string }[] | undefined) ?? []).map((t) => [
          t.Key,
          t.Value ?? "",
        ]),
      ),
    });
    return { CertificateArn: arn };
  }

  private describe(cert: Certificate, c: CallContext): object {
    this.advance(cert, c.now);
    const shown = c.now >= cert.record.from && cert.record.name !== "";
    return {
      CertificateArn: cert.arn,
      DomainName: cert.domainName,
      SubjectAlternativeNames: [...cert.sans],
      Status: cert.status,
      Type: cert.type,
      CreatedAt: new Date(cert.createdAt),
      InUseBy: this.inUse(cert.arn) ? ["arn:aws:apigateway"] : [],
      KeyAlgorithm: "RSA-2048",
      DomainValidationOptions:
        cert.type === "IMPORTED"
          ? []
          : [
              {
                DomainName: cert.domainName,
                ValidationDomain: cert.domainName,
                ValidationStatus: cert.status === "ISSUED" ? "SUCCESS" : "PENDING_VALIDATION",
                ValidationMethod: "DNS",
                ...(shown
                  ? {
                      ResourceRecord: {
                        Name: cert.record.name,
                        Type: "CNAME",
                        Value: cert.record.value,
                      },
                    }
                  : {}),
              },
            ],
    };
  }

  private list(i: In, c: CallContext): object {
    const statuses = (i.CertificateStatuses as string[] | undefined) ?? [];
    const all = [...this.certificates.values()]
      .filter((x) => x.region === c.region)
      .map((x) => (this.advance(x, c.now), x))
      .filter((x) => !statuses.length || statuses.includes(x.status));
    const max = Number(i.MaxItems ?? 1000);
    const start = i.NextToken ? Number(i.NextToken) : 0;
    const page = all.slice(start, start + max);
    return {
      CertificateSummaryList: page.map((x) => ({
        CertificateArn: x.arn,
        DomainName: x.domainName,
        Status: x.status,
        Type: x.type,
      })),
      ...(start + max < all.length ? { NextToken: String(start + max) } : {}),
    };
  }
}

import { writeFileSync } from "node:fs";
import path from "node:path";
import {
  DescribeCertificateCommand,
  ListCertificatesCommand,
  RequestCertificateCommand,
} from "@aws-sdk/client-acm";
import {
  CreateDomainNameCommand,
  DeleteBasePathMappingCommand,
  DeleteDomainNameCommand,
  GetBasePathMappingsCommand,
  GetDomainNameCommand,
  GetDomainNamesCommand,
} from "@aws-sdk/client-api-gateway";
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
} from "@aws-sdk/client-route-53";
import { describe, expect, it } from "vitest";
import { awsAt, restApiId } from "./aws.js";
import { CREDENTIALS, runBin } from "./cli.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * The custom domain against moto, over the wire, through the built CLI: a cold up requests the
 * certificate, writes its validation record, waits until ACM issues it (moto issues a
 * DNS-validated certificate MOTO_ACM_VALIDATION_WAIT seconds after the request), makes the
 * regional domain name, its base path mapping and the alias records; a re-run changes nothing;
 * a piece deleted by hand comes back; `down` removes all of it and nothing else in the zone.
 */

Object.assign(process.env, CREDENTIALS);

const em = useEmulator({ motoEnv: { MOTO_ACM_VALIDATION_WAIT: "2" } });

const NAME = "api.example.com";
let zone = "";

async function cli(argv: string[]) {
  em.proxy.arm(undefined);
  return runBin(argv, em.cwd, em.env);
}

function config(domain: Record<string, unknown>): void {
  writeFileSync(
    path.join(em.cwd, "serverless-automation.config.json"),
    JSON.stringify({ domain: { name: NAME, hostedZoneId: zone, ...domain } }),
  );
}

/** Until moto issues it (MOTO_ACM_VALIDATION_WAIT after the request). */
async function issued(arn: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const c = await em.aws.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }));
    if (c.Certificate?.Status === "ISSUED") return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto did not issue ${arn}`);
}

async function records() {
  const out = await em.aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone }));
  return out.ResourceRecordSets ?? [];
}

/** The mutating calls of the domain's services, as the proxy saw them. */
const domainCalls = () =>
  em
    .mutating()
    .filter((c) => /^(acm|route53) |domainnames/.test(c))
    .map((c) =>
      c
        .replace(/\/hostedzone\/\w+\//, "/hostedzone/ZONE/")
        .replace(/\/domainnames\/[^/ ]+/, "/domainnames/NAME"),
    );

describe.skipIf(MOTO_SKIP_REASON !== undefined)("the custom domain against moto", () => {
  it("cold up: an ISSUED certificate, the regional domain name, its mapping and the alias records", async () => {
    const made = await em.aws.route53.send(
      new CreateHostedZoneCommand({ Name: "example.com", CallerReference: "domain-test" }),
    );
    zone = (made.HostedZone?.Id ?? "").replace("/hostedzone/", "");
    await em.aws.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone,
        ChangeBatch: {
          Changes: [
            {
              Action: "CREATE",
              ResourceRecordSet: {
                Name: "www.example.com",
                Type: "A",
                TTL: 60,
                ResourceRecords: [{ Value: "192.0.2.1" }],
              },
            },
          ],
        },
      }),
    );
    config({});
    const r = await cli(["up"]);
    expect(r.code, r.stderr).toBe(0);
    // The mapping and the alias records are made at once, after the domain name.
    const calls = domainCalls();
    expect(calls.slice(0, 3)).toEqual([
      "acm RequestCertificate",
      "route53 POST /2013-04-01/hostedzone/ZONE/rrset",
      "apigateway POST /domainnames",
    ]);
    expect(calls.slice(3).sort()).toEqual([
      "apigateway POST /domainnames/NAME/basepathmappings",
      "route53 POST /2013-04-01/hostedzone/ZONE/rrset",
    ]);
    const certs = await em.aws.acm.send(new ListCertificatesCommand({}));
    expect(certs.CertificateSummaryList).toHaveLength(1);
    const cert = await em.aws.acm.send(
      new DescribeCertificateCommand({
        CertificateArn: certs.CertificateSummaryList?.[0]?.CertificateArn,
      }),
    );
    expect(cert.Certificate?.Status).toBe("ISSUED");
    const d = await em.aws.apigateway.send(new GetDomainNameCommand({ domainName: NAME }));
    expect(d).toMatchObject({
      regionalCertificateArn: cert.Certificate?.CertificateArn,
      securityPolicy: "TLS_1_2",
      endpointConfiguration: { types: ["REGIONAL"] },
    });
    const mappings = await em.aws.apigateway.send(
      new GetBasePathMappingsCommand({ domainName: NAME }),
    );
    expect(mappings.items?.map((m) => [m.basePath, m.restApiId, m.stage])).toEqual([
      ["(none)", await restApiId(em.aws, "production"), "prod"],
    ]);
    const rr = await records();
    for (const type of ["A", "AAAA"]) {
      const alias = rr.find((x) => x.Name === `${NAME}.` && x.Type === type)?.AliasTarget;
      expect(alias?.DNSName?.replace(/\.$/, ""), type).toBe(d.regionalDomainName);
      expect(alias?.HostedZoneId, type).toBe(d.regionalHostedZoneId);
    }
    const validation = cert.Certificate?.DomainValidationOptions?.[0]?.ResourceRecord;
    expect(
      rr.find((x) => x.Name === validation?.Name && x.Type === "CNAME")?.ResourceRecords,
    ).toEqual([{ Value: validation?.Value }]);
    expect(r.stdout).toContain(`Endpoint: https://${NAME}\n`);
  });

  it("a re-run makes zero mutating calls, and status exits 0", async () => {
    const again = await cli(["up"]);
    expect(again.code, again.stderr).toBe(0);
    expect(em.mutating()).toEqual([]);
    const status = await cli(["status"]);
    expect(status.code, status.stdout + status.stderr).toBe(0);
  });

  it("the alias records deleted by hand: up writes exactly them again", async () => {
    const alias = (await records()).filter((x) => x.Name === `${NAME}.`);
    await em.aws.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone,
        ChangeBatch: { Changes: alias.map((x) => ({ Action: "DELETE", ResourceRecordSet: x })) },
      }),
    );
    const r = await cli(["up"]);
    expect(r.code, r.stderr).toBe(0);
    expect(domainCalls()).toEqual(["route53 POST /2013-04-01/hostedzone/ZONE/rrset"]);
    expect((await records()).filter((x) => x.Name === `${NAME}.`)).toHaveLength(2);
  });

  it("the base path mapping and the validation record deleted by hand: up makes exactly them again", async () => {
    await em.aws.apigateway.send(
      new DeleteBasePathMappingCommand({ domainName: NAME, basePath: "(none)" }),
    );
    const validation = (await records()).filter((x) => x.Type === "CNAME");
    expect(validation).toHaveLength(1);
    await em.aws.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone,
        ChangeBatch: {
          Changes: validation.map((x) => ({ Action: "DELETE", ResourceRecordSet: x })),
        },
      }),
    );
    const r = await cli(["up"]);
    expect(r.code, r.stderr).toBe(0);
    expect(domainCalls().sort()).toEqual(
      [
        "apigateway POST /domainnames/NAME/basepathmappings",
        "route53 POST /2013-04-01/hostedzone/ZONE/rrset",
      ].sort(),
    );
    const mappings = await em.aws.apigateway.send(
      new GetBasePathMappingsCommand({ domainName: NAME }),
    );
    expect(mappings.items?.map((m) => m.stage)).toEqual(["prod"]);
    expect((await records()).filter((x) => x.Type === "CNAME")).toEqual(validation);
    expect((await cli(["up"])).code).toBe(0);
    expect(em.mutating()).toEqual([]);
  });

  it("the domain name deleted by hand (its mapping goes with it): up makes both again and points the records at it", async () => {
    await em.aws.apigateway.send(new DeleteDomainNameCommand({ domainName: NAME }));
    const r = await cli(["up"]);
    expect(r.code, r.stderr).toBe(0);
    expect(domainCalls()).toEqual(
      expect.arrayContaining([
        "apigateway POST /domainnames",
        "apigateway POST /domainnames/NAME/basepathmappings",
      ]),
    );
    const made = await em.aws.apigateway.send(new GetDomainNameCommand({ domainName: NAME }));
    const alias = (await records()).filter((x) => x.Name === `${NAME}.`);
    expect(alias.map((x) => x.AliasTarget?.DNSName?.replace(/\.$/, ""))).toEqual([
      made.regionalDomainName,
      made.regionalDomainName,
    ]);
    const status = await cli(["status"]);
    expect(status.code, status.stdout + status.stderr).toBe(0);
  });

  it("down removes the certificate, domain name, mapping and records, and nothing else in the zone", async () => {
    const r = await cli(["down", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    const certs = await em.aws.acm.send(new ListCertificatesCommand({}));
    expect(certs.CertificateSummaryList ?? []).toEqual([]);
    const names = await em.aws.apigateway.send(new GetDomainNamesCommand({}));
    expect(names.items ?? []).toEqual([]);
    expect((await records()).map((x) => `${x.Name} ${x.Type}`).sort()).toEqual(
      ["example.com. NS", "example.com. SOA", "www.example.com. A"].sort(),
    );
  });

  it("a certificate the user gives is used as it is: never requested, tagged or deleted", async () => {
    const requested = await em.aws.acm.send(
      new RequestCertificateCommand({ DomainName: "*.example.com", ValidationMethod: "DNS" }),
    );
    const arn = requested.CertificateArn ?? "";
    await issued(arn);
    config({ certificateArn: arn });
    const r = await cli(["up"]);
    expect(r.code, r.stderr).toBe(0);
    expect(em.mutating().filter((c) => c.startsWith("acm "))).toEqual([]);
    const d = await em.aws.apigateway.send(new GetDomainNameCommand({ domainName: NAME }));
    expect(d.regionalCertificateArn).toBe(arn);
    const down = await cli(["down", "--yes"]);
    expect(down.code, down.stderr).toBe(0);
    expect(em.mutating().filter((c) => c.startsWith("acm "))).toEqual([]);
    const cert = await em.aws.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }));
    expect(cert.Certificate?.Status).toBe("ISSUED");
    expect((await em.aws.apigateway.send(new GetDomainNamesCommand({}))).items ?? []).toEqual([]);
  });

  describe("errors before anything is made", () => {
    async function refused(pattern: RegExp) {
      const r = await cli(["up"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
      expect(em.mutating()).toEqual([]);
    }

    it("a name outside the hosted zone", async () => {
      const other = await em.aws.route53.send(
        new CreateHostedZoneCommand({ Name: "example.org", CallerReference: "other-zone" }),
      );
      config({ hostedZoneId: (other.HostedZone?.Id ?? "").replace("/hostedzone/", "") });
      await refused(/api\.example\.com is not in the hosted zone \w+ \(example\.org\)/);
    });

    it("a hosted zone this account does not have", async () => {
      config({ hostedZoneId: "ZNOSUCHZONE0000" });
      await refused(
        /hosted zone ZNOSUCHZONE0000 is not in account \d{12} \(Route 53 answered NoSuchHostedZone\)/,
      );
    });

    it("a certificate for another name, or in another region", async () => {
      const www = await em.aws.acm.send(
        new RequestCertificateCommand({ DomainName: "www.example.com", ValidationMethod: "DNS" }),
      );
      config({ certificateArn: www.CertificateArn });
      await refused(/is for www\.example\.com, not api\.example\.com/);
      const far = awsAt(em.moto.endpoint, "eu-west-1");
      const there = await far.acm.send(
        new RequestCertificateCommand({ DomainName: NAME, ValidationMethod: "DNS" }),
      );
      config({ certificateArn: there.CertificateArn });
      await refused(/is in eu-west-1, but a regional API in us-east-1 needs one in us-east-1/);
    });

    it("a name another API uses", async () => {
      await em.aws.apigateway.send(
        new CreateDomainNameCommand({
          domainName: NAME,
          regionalCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/other",
          endpointConfiguration: { types: ["REGIONAL"] },
        }),
      );
      config({});
      await refused(
        /api\.example\.com is already an API Gateway domain name in us-east-1, and not this stack's/,
      );
      await em.aws.apigateway.send(new DeleteDomainNameCommand({ domainName: NAME }));
    });
  });
});

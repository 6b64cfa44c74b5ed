import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { STACK_TAG_KEY } from "../src/project.js";
import { stackDomain, trustedOrigins } from "../src/ops/request.js";
import { covers, inZone } from "../src/domain.js";
import type { World } from "./helpers.js";
import { FAST } from "./helpers.js";
import { quickWorld, tinyHandler } from "./reliability/support.js";

/**
 * `domain` in the config file: the API on a name of the user's, with its certificate, the
 * regional domain name, the base path mapping and the alias records, made, kept, repaired and
 * removed with the stack; a certificate the user gives and records the stack did not write are
 * never touched.
 */

const IO = { handlerEntry: tinyHandler() };
const NAME = "api.example.com";
const STACK = "serverless-automation-production";

function config(w: World, domain: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  writeFileSync(
    path.join(w.cwd, "serverless-automation.config.json"),
    JSON.stringify({ domain: { name: NAME, ...domain }, ...extra }),
  );
}

/** A world with the public hosted zone example.com, and the stack's domain in it. */
function withZone(domain: Record<string, unknown> = {}): { w: World; zone: string } {
  const w = quickWorld();
  const zone = w.fake.route53.createZone("example.com");
  config(w, { hostedZoneId: zone, ...domain });
  return { w, zone };
}

async function up(w: World, extra = {}) {
  const r = await w.run(["up"], { ...IO, ...extra });
  expect(r.code, r.stderr).toBe(0);
  return r;
}

function records(w: World, zone: string) {
  return (w.fake.route53.zones.get(zone)?.records ?? []).map((r) => `${r.Name} ${r.Type}`).sort();
}

/**
 * The calls, with the mapping and the alias records (made at once, both after the domain name)
 * in a fixed order.
 */
const domainOps = (ops: string[]) => settled(onlyDomain(ops));

function settled(ops: string[]): string[] {
  const at = ops.indexOf("APIGateway.CreateDomainName");
  if (at < 0) return ops;
  return [...ops.slice(0, at + 1), ...ops.slice(at + 1).sort()];
}

const onlyDomain = (ops: string[]) =>
  ops.filter(
    (o) => o.startsWith("ACM.") || o.startsWith("Route53.") || /DomainName|BasePathMapping/.test(o),
  );

describe("domain: the API on a custom domain", () => {
  it("cold up requests the certificate, validates it through the zone, makes the regional domain, its mapping and alias records; the endpoint is the domain", async () => {
    const { w, zone } = withZone();
    const r = await up(w);
    expect(domainOps(w.fake.operations({ mutating: true, ok: true }))).toEqual([
      "ACM.RequestCertificate",
      "Route53.ChangeResourceRecordSets",
      "APIGateway.CreateDomainName",
      "APIGateway.CreateBasePathMapping",
      "Route53.ChangeResourceRecordSets",
    ]);
    const [cert] = [...w.fake.acm.certificates.values()];
    expect(cert?.status).toBe("ISSUED");
    expect(cert?.domainName).toBe(NAME);
    expect(cert?.tags.get(STACK_TAG_KEY)).toBe(STACK);
    const d = w.fake.apigateway.domainNames.get(NAME);
    expect(d).toMatchObject({
      regionalCertificateArn: cert?.arn,
      endpointTypes: ["REGIONAL"],
      securityPolicy: "TLS_1_2",
    });
    expect(d?.tags.get(STACK_TAG_KEY)).toBe(STACK);
    const state = (await w.readState()) as { resources: { restApi: { id: string } } };
    expect([...(d?.mappings ?? [])]).toEqual([
      ["(none)", { restApiId: state.resources.restApi.id, stage: "prod" }],
    ]);
    for (const type of ["A", "AAAA"]) {
      expect(w.fake.route53.find(NAME, type)?.AliasTarget).toEqual({
        DNSName: `${d?.regionalDomainName}.`,
        HostedZoneId: d?.regionalHostedZoneId,
        EvaluateTargetHealth: false,
      });
    }
    expect(w.fake.route53.find(cert?.record.name ?? "", "CNAME")?.ResourceRecords).toEqual([
      { Value: cert?.record.value },
    ]);
    expect(records(w, zone)).toEqual(
      [
        "example.com. NS",
        "example.com. SOA",
        `${NAME}. A`,
        `${NAME}. AAAA`,
        `${cert?.record.name.toLowerCase()} CNAME`,
      ].sort(),
    );
    expect(r.stdout).toContain(`Endpoint: https://${NAME}\n`);
    expect(r.stdout).toMatch(/Also at https:\/\/\w+\.execute-api\.us-east-1\.amazonaws\.com\/prod/);
    const o = await w.run(["outputs", "--json"]);
    expect(o.json).toMatchObject({ endpoint: `https://${NAME}`, domain: NAME });
    expect(o.json.defaultEndpoint).toMatch(/execute-api/);
    expect((await w.run(["outputs"])).stdout).toMatch(/^endpoint\s+https:\/\/api\.example\.com$/m);
  });

  it("a re-run makes no mutating call, and status is in sync", async () => {
    const { w } = withZone({ basePath: "v1" });
    await up(w);
    w.fake.resetCalls();
    const r = await up(w);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    expect(r.stdout).toContain(`Endpoint: https://${NAME}/v1\n`);
    expect((await w.run(["status"], IO)).code).toBe(0);
  });

  it("the state file lost: up adopts the certificate by its tag, the domain name by name and tag, the mapping and the records as they are", async () => {
    const { w } = withZone();
    await up(w);
    const before = (await w.readState()) as { resources: Record<string, unknown> };
    rmSync(w.statePath());
    w.fake.resetCalls();
    await up(w);
    expect(onlyDomain(w.fake.operations({ mutating: true }))).toEqual([]);
    const after = (await w.readState()) as { resources: Record<string, unknown> };
    for (const key of [
      "certificate",
      "certificateRecord",
      "domainName",
      "basePathMapping",
      "domainRecords",
    ]) {
      expect(after.resources[key], key).toEqual(before.resources[key]);
    }
  });

  it("each piece deleted by hand is made again by the next up, and nothing else is", async () => {
    const { w } = withZone();
    await up(w);
    const cert = [...w.fake.acm.certificates.values()][0];
    const cases: [string, () => void, string[]][] = [
      [
        "alias records",
        () => {
          const z = [...w.fake.route53.zones.values()][0];
          if (z) z.records = z.records.filter((r) => r.Name !== `${NAME}.`);
        },
        ["Route53.ChangeResourceRecordSets"],
      ],
      [
        "validation record",
        () => {
          const z = [...w.fake.route53.zones.values()][0];
          if (z) z.records = z.records.filter((r) => r.Type !== "CNAME");
        },
        ["Route53.ChangeResourceRecordSets"],
      ],
      [
        "base path mapping",
        () => w.fake.apigateway.domainNames.get(NAME)?.mappings.clear(),
        ["APIGateway.CreateBasePathMapping"],
      ],
      [
        "domain name",
        () => w.fake.apigateway.domainNames.delete(NAME),
        [
          "APIGateway.CreateDomainName",
          "APIGateway.CreateBasePathMapping",
          "Route53.ChangeResourceRecordSets",
        ],
      ],
    ];
    for (const [what, remove, expected] of cases) {
      remove();
      w.fake.apigateway.resetQuotas();
      w.fake.resetCalls();
      const status = await w.run(["status"], IO);
      expect(status.code, what).not.toBe(0);
      await up(w);
      expect(settled(w.fake.operations({ mutating: true, ok: true })), what).toEqual(expected);
      w.fake.resetCalls();
      await up(w);
      expect(w.fake.operations({ mutating: true }), what).toEqual([]);
    }
    // The same certificate throughout.
    expect([...w.fake.acm.certificates.keys()]).toEqual([cert?.arn]);
  });

  it("down removes the records, mapping, domain name and certificate, in that order, and leaves the zone's other records", async () => {
    const { w, zone } = withZone();
    const z = w.fake.route53.zones.get(zone);
    z?.records.push({
      Name: "www.example.com.",
      Type: "A",
      TTL: 60,
      ResourceRecords: [{ Value: "192.0.2.1" }],
    });
    await up(w);
    w.fake.resetCalls();
    const r = await w.run(["down", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    const ops = onlyDomain(w.fake.operations({ mutating: true, ok: true }));
    expect(ops.filter((o) => !o.startsWith("Route53."))).toEqual([
      "APIGateway.DeleteBasePathMapping",
      "APIGateway.DeleteDomainName",
      "ACM.DeleteCertificate",
    ]);
    expect(ops.filter((o) => o.startsWith("Route53."))).toHaveLength(2);
    expect(ops.indexOf("APIGateway.DeleteDomainName")).toBeGreaterThan(
      ops.indexOf("APIGateway.DeleteBasePathMapping"),
    );
    expect(records(w, zone)).toEqual(
      ["example.com. NS", "example.com. SOA", "www.example.com. A"].sort(),
    );
    expect(w.fake.acm.certificates.size).toBe(0);
    expect(w.fake.apigateway.domainNames.size).toBe(0);
  });

  it("the domain taken out of the config: the next up removes all of it, the certificate last", async () => {
    const { w, zone } = withZone();
    await up(w);
    writeFileSync(path.join(w.cwd, "serverless-automation.config.json"), JSON.stringify({}));
    w.fake.apigateway.resetQuotas();
    w.fake.resetCalls();
    await up(w);
    const ops = onlyDomain(w.fake.operations({ mutating: true, ok: true }));
    expect(ops.filter((o) => !o.startsWith("Route53.")).sort()).toEqual([
      "ACM.DeleteCertificate",
      "APIGateway.DeleteBasePathMapping",
      "APIGateway.DeleteDomainName",
    ]);
    expect(ops.at(-1)).toBe("ACM.DeleteCertificate");
    expect(records(w, zone)).toEqual(["example.com. NS", "example.com. SOA"]);
    expect(w.fake.acm.certificates.size).toBe(0);
    expect(w.fake.apigateway.domainNames.size).toBe(0);
    const state = (await w.readState()) as { resources: Record<string, unknown> };
    expect(
      Object.keys(state.resources).filter((k) => /certificate|domain|basePath/i.test(k)),
    ).toEqual([]);
  });

  it("down keeps an alias record someone changed since the stack wrote it, and says so", async () => {
    const { w } = withZone();
    await up(w);
    const a = w.fake.route53.find(NAME, "A");
    if (a?.AliasTarget) a.AliasTarget.DNSName = "elsewhere.example.net.";
    const r = await w.run(["down", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(w.fake.route53.find(NAME, "A")?.AliasTarget?.DNSName).toBe("elsewhere.example.net.");
    expect(w.fake.route53.find(NAME, "AAAA")).toBeUndefined();
    expect(r.stdout + r.stderr).toMatch(/changed since this stack wrote it: left in place/);
  });

  it("a certificate the user gives is used as it is: never requested, tagged or deleted", async () => {
    const w = quickWorld();
    const zone = w.fake.route53.createZone("example.com");
    const arn = w.fake.acm.issued("*.example.com", "us-east-1");
    config(w, { hostedZoneId: zone, certificateArn: arn });
    await up(w);
    expect(w.fake.operations({ service: "ACM", mutating: true })).toEqual([]);
    expect(w.fake.apigateway.domainNames.get(NAME)?.regionalCertificateArn).toBe(arn);
    // Only the alias records: no validation record for a certificate of the user's.
    expect(records(w, zone)).toEqual(
      ["example.com. NS", "example.com. SOA", `${NAME}. A`, `${NAME}. AAAA`].sort(),
    );
    const r = await w.run(["down", "--yes"]);
    expect(r.code, r.stderr).toBe(0);
    expect(w.fake.operations({ service: "ACM", mutating: true })).toEqual([]);
    expect(w.fake.acm.certificates.get(arn)?.status).toBe("ISSUED");
  });

  it("disableDefaultEndpoint turns the execute-api address off, and back on without it", async () => {
    const { w, zone } = withZone({ disableDefaultEndpoint: true });
    const r = await up(w);
    const api = [...w.fake.apigateway.apis.values()][0];
    expect(api?.disableExecuteApiEndpoint).toBe(true);
    expect(r.stdout).toContain("The execute-api address is turned off");
    config(w, { hostedZoneId: zone });
    w.fake.resetCalls();
    await up(w);
    expect(api?.disableExecuteApiEndpoint).toBe(false);
    expect(w.fake.operations({ mutating: true, ok: true })).toContain("APIGateway.UpdateRestApi");
  });

  it("without hostedZoneId: up requests the certificate, prints the record to add and exits 0; status waits; the run after it is issued makes the rest", async () => {
    const w = quickWorld();
    config(w, { disableDefaultEndpoint: true });
    const r = await up(w);
    const cert = [...w.fake.acm.certificates.values()][0];
    // The execute-api address stays on until the domain can take the calls.
    const api = [...w.fake.apigateway.apis.values()][0];
    expect(api?.disableExecuteApiEndpoint).toBe(false);
    expect(cert?.status).toBe("PENDING_VALIDATION");
    expect(domainOps(w.fake.operations({ mutating: true, ok: true }))).toEqual([
      "ACM.RequestCertificate",
    ]);
    expect(w.fake.apigateway.domainNames.size).toBe(0);
    expect(r.stdout).toContain(`${cert?.record.name} CNAME ${cert?.record.value}`);
    expect(r.stdout).toContain(`The custom domain ${NAME} waits for its certificate`);
    const s = await w.run(["status", "--json"], IO);
    expect(s.json.domainPending).toMatchObject({
      name: NAME,
      certificateArn: cert?.arn,
      record: { name: cert?.record.name, type: "CNAME", value: cert?.record.value },
    });
    expect((await w.run(["status"], IO)).stdout).toMatch(/waits for ACM to issue its certificate/);
    // A re-run before the record exists changes nothing.
    w.fake.resetCalls();
    await up(w);
    expect(w.fake.operations({ mutating: true })).toEqual([]);
    // The user adds the record in a zone of their own.
    const own = w.fake.route53.createZone("example.com");
    w.fake.route53.zones.get(own)?.records.push({
      Name: cert?.record.name ?? "",
      Type: "CNAME",
      TTL: 300,
      ResourceRecords: [{ Value: cert?.record.value ?? "" }],
    });
    w.fake.resetCalls();
    const done = await up(w);
    expect(domainOps(w.fake.operations({ mutating: true, ok: true }))).toEqual([
      "APIGateway.CreateDomainName",
      "APIGateway.CreateBasePathMapping",
    ]);
    expect(done.stdout).toContain(`Endpoint: https://${NAME}\n`);
    expect(done.stdout).not.toContain("waits for its certificate");
    expect(api?.disableExecuteApiEndpoint).toBe(true);
    const target = w.fake.apigateway.domainNames.get(NAME)?.regionalDomainName ?? "";
    expect(target).not.toBe("");
    expect(done.stdout).toContain(`Point ${NAME} at ${target} in its DNS`);
  });

  it("a domain setting that cannot be right is refused whole, each problem named, before any AWS call", async () => {
    const w = quickWorld();
    writeFileSync(
      path.join(w.cwd, "serverless-automation.config.json"),
      JSON.stringify({
        domain: {
          name: "API.Example.com",
          hostedZoneId: "/hostedzone/z1",
          certificateArn: "arn:aws:iam::123456789012:role/x",
          basePath: "/v1",
          disableDefaultEndpoint: "yes",
          zone: "Z1",
        },
      }),
    );
    const r = await w.run(["up"], IO);
    expect(r.code).not.toBe(0);
    for (const field of [
      "domain.name",
      "domain.hostedZoneId",
      "domain.certificateArn",
      "domain.basePath",
      "domain.disableDefaultEndpoint",
      "domain.zone",
    ]) {
      expect(r.stderr, field).toContain(field);
    }
    expect(w.fake.calls).toEqual([]);
  });

  describe("errors before anything is made", () => {
    async function refused(w: World, pattern: RegExp, extra = {}) {
      const r = await w.run(["up"], { ...IO, ...extra });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
      expect(w.fake.operations({ mutating: true })).toEqual([]);
      return r;
    }

    it("a name outside the hosted zone", async () => {
      const w = quickWorld();
      const zone = w.fake.route53.createZone("example.org");
      config(w, { hostedZoneId: zone });
      await refused(w, /api\.example\.com is not in the hosted zone \w+ \(example\.org\)/);
    });

    it("a hosted zone of another account, or none at all", async () => {
      const w = quickWorld();
      w.fake.route53.foreignZones.add("Z0THERACCOUNT1");
      config(w, { hostedZoneId: "Z0THERACCOUNT1" });
      await refused(
        w,
        /hosted zone Z0THERACCOUNT1 is not in account 123456789012 \(Route 53 answered AccessDenied\)/,
      );
      config(w, { hostedZoneId: "ZNOSUCHZONE" });
      await refused(
        w,
        /hosted zone ZNOSUCHZONE is not in account 123456789012 \(Route 53 answered NoSuchHostedZone\)/,
      );
    });

    it("a certificate for another name, or in another region", async () => {
      const w = quickWorld();
      const zone = w.fake.route53.createZone("example.com");
      const other = w.fake.acm.issued("www.example.com", "us-east-1");
      config(w, { hostedZoneId: zone, certificateArn: other });
      await refused(w, /certificate .* is for www\.example\.com, not api\.example\.com/);
      const deeper = w.fake.acm.issued("*.example.com", "eu-west-1");
      config(w, { hostedZoneId: zone, certificateArn: deeper });
      await refused(w, /is in eu-west-1, but a regional API in us-east-1 needs one in us-east-1/);
    });

    it("a name another API uses", async () => {
      const { w } = withZone();
      const arn = w.fake.acm.issued(NAME, "us-east-1");
      w.fake.apigateway.domainNames.set(NAME, {
        name: NAME,
        region: "us-east-1",
        regionalCertificateArn: arn,
        certificateArn: undefined,
        endpointTypes: ["REGIONAL"],
        securityPolicy: "TLS_1_2",
        regionalDomainName: "d-other.execute-api.us-east-1.amazonaws.com",
        regionalHostedZoneId: "Z1UJRXOUMOOFQ8",
        tags: new Map(),
        mappings: new Map([["(none)", { restApiId: "otherapi01", stage: "prod" }]]),
      });
      await refused(
        w,
        /api\.example\.com is already an API Gateway domain name in us-east-1, mapped to the REST API otherapi01, and not this stack's/,
      );
    });

    it("an A record the stack did not write is refused, not overwritten", async () => {
      const { w, zone } = withZone();
      w.fake.route53.zones.get(zone)?.records.push({
        Name: `${NAME}.`,
        Type: "A",
        TTL: 60,
        ResourceRecords: [{ Value: "192.0.2.7" }],
      });
      await refused(
        w,
        /already has an A record for api\.example\.com that this stack did not write/,
      );
      expect(w.fake.route53.find(NAME, "A")?.ResourceRecords).toEqual([{ Value: "192.0.2.7" }]);
    });

    it("a certificate stuck in validation: how long it waited and what to check; the next run goes on", async () => {
      const { w, zone } = withZone();
      w.fake.acm.validationMs = 60_000;
      const r = await w.run(["up"], { ...IO, timing: { ...FAST, maxWaitMs: 300 } });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(
        /The certificate for api\.example\.com was not validated after \d+ s; its status is still PENDING_VALIDATION/,
      );
      expect(r.stderr).toMatch(
        new RegExp(
          `check that the hosted zone ${zone} has it, and that zone is the one the domain's registrar delegates to`,
        ),
      );
      expect(w.fake.apigateway.domainNames.size).toBe(0);
      w.fake.acm.validationMs = 0;
      w.fake.resetCalls();
      await up(w);
      expect(domainOps(w.fake.operations({ mutating: true, ok: true }))).toEqual([
        "APIGateway.CreateDomainName",
        "APIGateway.CreateBasePathMapping",
        "Route53.ChangeResourceRecordSets",
      ]);
    });
  });

  it("Ctrl-C while the certificate waits for validation: an interruption, not a certificate that cannot be used; the next up goes on", async () => {
    const { w } = withZone();
    w.fake.acm.validationMs = 60_000;
    const ctrlC = new AbortController();
    let stderr = "";
    const r = await w.run(["up"], {
      ...IO,
      signal: ctrlC.signal,
      stderr: {
        write: (s: string) => {
          stderr += s;
          if (stderr.includes("waiting for ACM to validate the certificate")) ctrlC.abort();
        },
      },
    });
    expect(r.code, stderr).toBe(130);
    expect(stderr).toMatch(
      /failed API Gateway domain name api\.example\.com: interrupted while waiting/,
    );
    expect(stderr).not.toContain("cannot be used");
    expect(w.fake.apigateway.domainNames.size).toBe(0);
    w.fake.acm.validationMs = 0;
    w.fake.resetCalls();
    await up(w);
    expect(domainOps(w.fake.operations({ mutating: true, ok: true }))).toEqual([
      "APIGateway.CreateDomainName",
      "APIGateway.CreateBasePathMapping",
      "Route53.ChangeResourceRecordSets",
    ]);
  });

  it("API Gateway's one CreateDomainName per 30 s: a second stack's domain waits for the quota instead of failing", async () => {
    const { w } = withZone();
    w.fake.apigateway.quota.scale = 10; // 30 s → 3 s
    await up(w);
    config(w, { hostedZoneId: [...w.fake.route53.zones.keys()][0], name: "api2.example.com" });
    const r = await w.run(["up", "--stage", "staging"], IO);
    expect(r.code, r.stderr).toBe(0);
    expect(w.fake.apigateway.domainNames.has("api2.example.com")).toBe(true);
    expect(
      w.fake
        .callLog({ ok: false })
        .filter((c) => c.operation === "CreateDomainName")
        .map((c) => c.error),
    ).toContain("TooManyRequestsException");
  });
});

describe("domain: request", () => {
  it("calls the domain and signs for it, as for the API's own origin; another host is still refused", async () => {
    const { w } = withZone({ basePath: "v1" });
    await up(w);
    const seen: { url: string; headers: Record<string, string> }[] = [];
    vi.stubGlobal("fetch", (url: URL, init: { headers: Record<string, string> }) => {
      seen.push({ url: String(url), headers: init.headers });
      return Promise.resolve(new Response("[]", { status: 200 }));
    });
    try {
      const r = await w.run(["request", "GET", "/items"], IO);
      expect(r.code, r.stderr).toBe(0);
      expect(seen.map((x) => x.url)).toEqual([`https://${NAME}/v1/items`]);
      expect(seen[0]?.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE\/\d{8}\/us-east-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host/,
      );
      const other = await w.run(["request", "GET", "/", "--url", "https://evil.example.net"], IO);
      expect(other.code).not.toBe(0);
      expect(other.stderr).toMatch(/Refusing to send credentials to https:\/\/evil\.example\.net/);
      expect(seen).toHaveLength(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe("domain: helpers", () => {
  it("a wildcard covers one label only; a name is in its zone or below", () => {
    expect(covers(["*.example.com"], "api.example.com")).toBe(true);
    expect(covers(["*.example.com"], "a.b.example.com")).toBe(false);
    expect(covers(["example.com", "api.example.com."], "API.example.com")).toBe(true);
    expect(covers(["www.example.com"], "api.example.com")).toBe(false);
    expect(inZone("api.example.com", "example.com.")).toBe(true);
    expect(inZone("example.com", "example.com")).toBe(true);
    expect(inZone("api.badexample.com", "example.com")).toBe(false);
  });

  it("request trusts the domain only when the config names the one the state maps", () => {
    const state = {
      resources: {
        basePathMapping: {
          kind: "apigateway-base-path-mapping",
          id: `${NAME}/v1`,
          outputs: { domainName: NAME, basePath: "v1", restApiId: "abc", stage: "production" },
        },
      },
    };
    const settings = { domain: { name: NAME, basePath: "v1", disableDefaultEndpoint: false } };
    const url = stackDomain(state, { settings, endpoint: undefined } as never);
    expect(url).toBe(`https://${NAME}/v1`);
    expect(trustedOrigins("https://abc.execute-api.us-east-1.amazonaws.com", url)).toEqual([
      "https://abc.execute-api.us-east-1.amazonaws.com",
      `https://${NAME}`,
    ]);
    const other = {
      domain: { name: "evil.example.net", basePath: "", disableDefaultEndpoint: false },
    };
    expect(stackDomain(state, { settings: other, endpoint: undefined } as never)).toBeUndefined();
    expect(
      stackDomain(state, { settings, endpoint: "http://127.0.0.1:5000" } as never),
    ).toBeUndefined();
  });
});

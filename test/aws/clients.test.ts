import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CLIENT_NAMES,
  createClients,
  destroyClients,
  loadClients,
  MAX_ATTEMPTS,
  onlyClients,
} from "../../src/aws/clients.js";

/**
 * The clients every command uses: the region, the --profile, AWS_ENDPOINT_URL and the retry
 * budget the user gets (API Gateway's quotas need more attempts than the rest).
 */

const CREDENTIALS = { accessKeyId: "AKIAEXAMPLEEXAMPLE01", secretAccessKey: "secret" };

beforeAll(() => loadClients(CLIENT_NAMES));

describe("createClients", () => {
  it("every client targets the region; API Gateway gets 10 attempts, the rest 5", async () => {
    expect(MAX_ATTEMPTS).toEqual({ default: 8, apigateway: 10 });
    const clients = createClients({ region: "eu-west-3", credentials: CREDENTIALS });
    try {
      const names = Object.keys(clients).sort();
      expect(names).toEqual(
        [
          "acm",
          "apigateway",
          "cloudwatch",
          "dynamodb",
          "iam",
          "kms",
          "lambda",
          "logs",
          "s3",
          "secretsmanager",
          "sns",
          "ssm",
          "sts",
          "wafv2",
          "route53",
        ].sort(),
      );
      for (const [name, client] of Object.entries(clients)) {
        const config = client.config as {
          region: () => Promise<string>;
          maxAttempts: () => Promise<number>;
          endpoint?: unknown;
        };
        expect(await config.region(), name).toBe("eu-west-3");
        expect(await config.maxAttempts(), name).toBe(name === "apigateway" ? 10 : 8);
        // No AWS_ENDPOINT_URL: AWS's own endpoints.
        expect(config.endpoint, name).toBeUndefined();
      }
      // Virtual-hosted buckets on AWS.
      expect(clients.s3.config.forcePathStyle).toBe(false);
    } finally {
      destroyClients(clients);
    }
  });

  it("AWS_ENDPOINT_URL: every client calls it, S3 with path-style addressing", async () => {
    const clients = createClients({
      region: "us-east-1",
      endpoint: "http://localhost:4566",
      credentials: CREDENTIALS,
    });
    try {
      for (const [name, client] of Object.entries(clients)) {
        const config = client.config as {
          endpoint: () => Promise<{ hostname: string; port: number; protocol: string }>;
          maxAttempts: () => Promise<number>;
        };
        expect(await config.endpoint(), name).toMatchObject({
          hostname: "localhost",
          port: 4566,
          protocol: "http:",
        });
        expect(await config.maxAttempts(), name).toBe(name === "apigateway" ? 10 : 8);
      }
      expect(clients.s3.config.forcePathStyle).toBe(true);
    } finally {
      destroyClients(clients);
    }
  });
});

describe("made on first use", () => {
  it("a client is made when first used, once; destroyClients closes the ones made", () => {
    const made: string[] = [];
    // A plugin is plugged into each client as it is made: what it sees is what was made.
    const plugin = {
      applyToStack: (stack: { identify(): string[] }) =>
        void made.push(String(stack.identify().length)),
    };
    const clients = createClients({
      region: "us-east-1",
      credentials: CREDENTIALS,
      plugins: [plugin as never],
    });
    expect(made).toHaveLength(0);
    const s3 = clients.s3;
    expect(clients.s3).toBe(s3);
    const lambda = clients.lambda;
    expect(made).toHaveLength(2);
    const spies = [vi.spyOn(s3, "destroy"), vi.spyOn(lambda, "destroy")];
    destroyClients(clients);
    for (const spy of spies) expect(spy).toHaveBeenCalledOnce();
    // Closing made none of the others.
    expect(made).toHaveLength(2);
  });

  it("a client the run did not load is refused as a bug, naming it", () => {
    const clients = createClients({ region: "us-east-1", credentials: CREDENTIALS }, ["s3", "sts"]);
    expect(Object.keys(clients).sort()).toEqual(["s3", "sts"]);
    expect(() => clients.wafv2).toThrow(
      /the wafv2 client was used but not loaded for this run: list it in the clients of the resource kind/,
    );
    const view = onlyClients(createClients({ region: "us-east-1", credentials: CREDENTIALS }), [
      "kms",
    ]);
    expect(view.kms.config.serviceId).toBe("KMS");
    expect(() => view.sns).toThrow(/the sns client was used but not loaded/);
  });
});

describe("destroyClients", () => {
  it("closes every client (their sockets would keep the process alive)", () => {
    const clients = createClients({ region: "us-east-1", credentials: CREDENTIALS });
    const spies = Object.values(clients).map((c: { destroy(): void }) => vi.spyOn(c, "destroy"));
    destroyClients(clients);
    expect(spies).toHaveLength(15);
    for (const spy of spies) expect(spy).toHaveBeenCalledOnce();
  });
});

describe("--profile", () => {
  const keys = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
  ];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  beforeEach(() => {
    for (const k of keys) delete process.env[k];
    const dir = mkdtempSync(path.join(os.tmpdir(), "sa-profile-"));
    const credentials = path.join(dir, "credentials");
    writeFileSync(
      credentials,
      [
        "[default]",
        "aws_access_key_id = AKIADEFAULTDEFAULT01",
        "aws_secret_access_key = default-secret",
        "[work]",
        "aws_access_key_id = AKIAWORKWORKWORK0001",
        "aws_secret_access_key = work-secret",
        "",
      ].join("\n"),
    );
    process.env.AWS_SHARED_CREDENTIALS_FILE = credentials;
    process.env.AWS_CONFIG_FILE = path.join(dir, "config");
  });
  afterEach(() => {
    for (const k of keys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it("the named profile's credentials are used", async () => {
    const clients = createClients({ region: "us-east-1", profile: "work" });
    try {
      const creds = await clients.sts.config.credentials();
      expect(creds.accessKeyId).toBe("AKIAWORKWORKWORK0001");
    } finally {
      destroyClients(clients);
    }
  });

  it("without one, the default chain (here the default profile)", async () => {
    const clients = createClients({ region: "us-east-1" });
    try {
      const creds = await clients.sts.config.credentials();
      expect(creds.accessKeyId).toBe("AKIADEFAULTDEFAULT01");
    } finally {
      destroyClients(clients);
    }
  });

  it("credentials given override the chain", async () => {
    const clients = createClients({
      region: "us-east-1",
      profile: "work",
      credentials: CREDENTIALS,
    });
    try {
      const creds = await clients.s3.config.credentials();
      expect(creds.accessKeyId).toBe(CREDENTIALS.accessKeyId);
    } finally {
      destroyClients(clients);
    }
  });
});

/**
 * `request` sends credentials only where they belong (issue 23): the API key, the SigV4
 * signature and the Cognito token go to the stack's own API origin over https (or to the
 * AWS-compatible endpoint the user set), never to another host, never over plain http to a host
 * that is not this machine, never along a redirect; the Cognito token never comes from argv.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { World } from "./helpers.js";
import { captureServer, credentialHeaders } from "./capture.js";
import { quickWorld, tinyHandler } from "./reliability/support.js";

const IO = { handlerEntry: tinyHandler() };
const TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJl";

async function upWith(w: World, config: object, extra: Parameters<World["run"]>[1] = {}) {
  await fs.writeFile(path.join(w.cwd, "serverless-automation.config.json"), JSON.stringify(config));
  const r = await w.run(["up"], { ...IO, ...extra });
  expect(r.code, r.stderr).toBe(0);
}

/** The state file as a shared S3 state could be edited: `endpoint` set to `to`. */
async function editEndpoint(w: World, to: string) {
  const state = (await w.readState()) ?? {};
  await fs.writeFile(w.statePath(), JSON.stringify({ ...state, endpoint: to }));
}

function apiId(w: World): string {
  const [api] = [...w.fake.apigateway.apis.values()];
  if (!api) throw new Error("no REST API");
  return api.id;
}

const noTrace = (s: string) => expect(s).not.toMatch(/\n\s+at /);

describe("request: credentials only to the stack's own API", () => {
  it("--url on loopback (dev) gets no credentials unless --auth asks: no signature, no key", async () => {
    const w = quickWorld();
    await upWith(w, { auth: "api-key" });
    const s = await captureServer();
    try {
      const r = await w.run(["request", "GET", "/", "--url", s.url], IO);
      expect(r.code, r.stderr).toBe(0);
      expect(s.seen).toHaveLength(1);
      expect(credentialHeaders(s.seen[0])).toEqual([]);
      // Asked for explicitly, this machine gets them (e.g. a local proxy that checks them).
      const asked = await w.run(["request", "GET", "/", "--url", s.url, "--auth", "iam"], IO);
      expect(asked.code, asked.stderr).toBe(0);
      expect(String(s.seen[1]?.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 /);
    } finally {
      await s.close();
    }
  });

  it("another origin is refused while credentials would go with the request; --auth none calls it without", async () => {
    const w = quickWorld();
    await upWith(w, {});
    const id = apiId(w);
    for (const url of [
      "https://api.example.invalid",
      `https://${id}.execute-api.eu-west-1.amazonaws.com`,
    ]) {
      for (const auth of [[], ["--auth", "iam"], ["--auth", "api-key"]]) {
        w.fake.resetCalls();
        const r = await w.run(["request", "GET", "/", "--url", url, ...auth], IO);
        expect(r.code, `${url} ${auth.join(" ")}`).toBe(1);
        expect(r.stderr).toContain(`Refusing to send credentials to ${new URL(url).origin}`);
        expect(r.stderr).toContain(`https://${id}.execute-api.us-east-1.amazonaws.com`);
        expect(r.stderr).toContain("--auth none");
        noTrace(r.stderr);
        // Refused before anything is read: not even the API key's value.
        expect(w.fake.callLog({})).toEqual([]);
      }
    }
    const s = await captureServer();
    try {
      // A host on this machine under another name than loopback's is still another origin.
      const other = s.url.replace("127.0.0.1", "127.0.0.1.nip.io");
      const r = await w.run(["request", "GET", "/", "--url", other, "--auth", "iam"], IO);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("Refusing to send credentials");
      expect(s.seen).toEqual([]);
    } finally {
      await s.close();
    }
    // Without credentials, any origin may be called (this one does not exist).
    const none = await w.run(
      ["request", "GET", "/", "--url", "https://api.example.invalid", "--auth", "none"],
      IO,
    );
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("No answer from https://api.example.invalid");
  });

  it("plain http to a host that is not loopback is refused with credentials, even the API's own host", async () => {
    const w = quickWorld();
    await upWith(w, {});
    const id = apiId(w);
    for (const url of [
      `http://${id}.execute-api.us-east-1.amazonaws.com/prod`,
      "http://api.example.invalid",
    ]) {
      const r = await w.run(["request", "GET", "/", "--url", url], IO);
      expect(r.code, url).toBe(1);
      expect(r.stderr).toContain("over plain http");
      expect(r.stderr).toContain(`https://${id}.execute-api.us-east-1.amazonaws.com`);
      noTrace(r.stderr);
    }
  });

  it("an endpoint edited in the state file is not called: the stack's origin comes from its recorded REST API id and region", async () => {
    const w = quickWorld();
    await upWith(w, { auth: "api-key" });
    const id = apiId(w);
    const s = await captureServer();
    try {
      for (const to of [
        `${s.url}/prod`,
        `https://evil.example.invalid/prod`,
        `http://${id}.execute-api.us-east-1.amazonaws.com/prod`,
      ]) {
        await editEndpoint(w, to);
        for (const argv of [[], ["--auth", "none"]]) {
          const r = await w.run(["request", "GET", "/", ...argv], IO);
          expect(r.code, to).toBe(1);
          expect(r.stderr).toContain(`The state file's endpoint (${to})`);
          expect(r.stderr).toContain(`https://${id}.execute-api.us-east-1.amazonaws.com`);
          noTrace(r.stderr);
        }
      }
      expect(s.seen).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("the stack's own API (here behind AWS_ENDPOINT_URL, which the SDK already trusts) gets the stack's credentials", async () => {
    const w = quickWorld();
    const s = await captureServer();
    try {
      const env = { AWS_REGION: w.fake.region, AWS_ENDPOINT_URL: s.url };
      await upWith(w, {}, { env });
      const r = await w.run(["request", "GET", "/items?x=1"], { ...IO, env });
      expect(r.code, r.stderr).toBe(0);
      expect(s.seen.map((c) => c.url)).toEqual([
        `/restapis/${apiId(w)}/prod/_user_request_/items?x=1`,
      ]);
      expect(String(s.seen[0]?.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 /);
    } finally {
      await s.close();
    }
  });
});

describe("request: the Cognito token never on the command line", () => {
  it("--token <value> is refused, the value never echoed, nothing sent", async () => {
    const w = quickWorld();
    const s = await captureServer();
    try {
      for (const argv of [["--token", TOKEN], [`--token=${TOKEN}`]]) {
        const r = await w.run(["request", "GET", "/", "--url", s.url, ...argv], IO);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain("SERVERLESS_AUTOMATION_TOKEN");
        expect(r.stderr).toContain("--token -");
        expect(r.stdout + r.stderr).not.toContain(TOKEN);
        noTrace(r.stderr);
      }
      expect(s.seen).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it("--token - reads the token from stdin and sends it as Authorization", async () => {
    const w = quickWorld();
    const s = await captureServer();
    try {
      const r = await w.run(["request", "GET", "/", "--url", s.url, "--token", "-"], {
        ...IO,
        stdin: Readable.from([`${TOKEN}\n`]),
      });
      expect(r.code, r.stderr).toBe(0);
      expect(s.seen[0]?.headers.authorization).toBe(TOKEN);
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
      const empty = await w.run(["request", "GET", "/", "--url", s.url, "--token", "-"], {
        ...IO,
        stdin: Readable.from([]),
      });
      expect(empty.code).toBe(1);
      expect(empty.stderr).toContain("No token on stdin");
      expect(s.seen).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it("SERVERLESS_AUTOMATION_TOKEN is sent under auth cognito, and not to loopback without --auth", async () => {
    const w = quickWorld();
    const s = await captureServer();
    try {
      const env = { AWS_REGION: w.fake.region, SERVERLESS_AUTOMATION_TOKEN: TOKEN };
      const r = await w.run(["request", "GET", "/", "--url", s.url, "--auth", "cognito"], {
        ...IO,
        env,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(s.seen[0]?.headers.authorization).toBe(TOKEN);
      const plain = await w.run(["request", "GET", "/", "--url", s.url], { ...IO, env });
      expect(plain.code, plain.stderr).toBe(0);
      expect(credentialHeaders(s.seen[1])).toEqual([]);
      const none = await w.run(["request", "GET", "/", "--url", s.url, "--auth", "cognito"], IO);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain("SERVERLESS_AUTOMATION_TOKEN");
    } finally {
      await s.close();
    }
  });
});

describe("request: redirects are not followed", () => {
  it("a 307 to another server: not followed, the status and Location printed, exit 1", async () => {
    const w = quickWorld();
    await upWith(w, { auth: "api-key" });
    const second = await captureServer();
    const first = await captureServer({
      status: 307,
      headers: { location: `${second.url}/elsewhere` },
      body: "",
    });
    try {
      const r = await w.run(["request", "GET", "/", "--url", first.url, "--auth", "api-key"], IO);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("HTTP 307 Temporary Redirect");
      expect(r.stderr).toContain(`Location: ${second.url}/elsewhere`);
      expect(r.stderr).toContain("not followed");
      expect(first.seen).toHaveLength(1);
      expect(second.seen).toEqual([]);

      const j = await w.run(
        ["request", "GET", "/", "--url", first.url, "--auth", "api-key", "--json"],
        IO,
      );
      expect(j.code).toBe(1);
      expect(j.json).toMatchObject({
        command: "request",
        ok: false,
        status: 307,
        location: `${second.url}/elsewhere`,
      });
      expect(second.seen).toEqual([]);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

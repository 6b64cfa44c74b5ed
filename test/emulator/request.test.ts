import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { captureServer, credentialHeaders } from "../capture.js";
import { CREDENTIALS, runBin, runMain, workdir } from "./cli.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import { useEmulator } from "./stack.js";

/**
 * `request` through the built binary, against a stack deployed to moto with an API key (issue
 * 23): a loopback --url (dev's, or anything listening there) gets no credentials unless --auth
 * asks, and a redirect is not followed. The capture servers are plain node http servers on
 * 127.0.0.1 that record the headers of every request they receive.
 */

Object.assign(process.env, CREDENTIALS);

/** Temporary credentials: the signature would carry the session token as x-amz-security-token. */
const SESSION = { AWS_SESSION_TOKEN: "FwoGZXIvYXdzEXAMPLESESSIONTOKEN" };

const em = useEmulator({ proxy: false, env: SESSION });
const servers: { close(): Promise<void> }[] = [];

async function capture(...a: Parameters<typeof captureServer>) {
  const s = await captureServer(...a);
  servers.push(s);
  return s;
}

describe.skipIf(MOTO_SKIP_REASON !== undefined)("request through the binary (moto)", () => {
  beforeAll(async () => {
    writeFileSync(
      path.join(em.cwd, "serverless-automation.config.json"),
      JSON.stringify({ auth: "api-key" }),
    );
    const r = await runMain(["up"], em.cwd, em.env);
    expect(r.code, r.stderr).toBe(0);
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it("a loopback --url receives no authorization, x-api-key, x-amz-security-token or x-amz-date", async () => {
    const s = await capture();
    const r = await runBin(["request", "GET", "/items", "--url", s.url], em.cwd, em.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('{"ok":true}\n');
    expect(s.seen.map((c) => `${c.method} ${c.url}`)).toEqual(["GET /items"]);
    expect(credentialHeaders(s.seen[0])).toEqual([]);

    // Nor under iam with temporary credentials (a directory with no stack: the default auth).
    const r2 = await runBin(["request", "GET", "/", "--url", s.url], workdir(), em.env);
    expect(r2.code, r2.stderr).toBe(0);
    expect(credentialHeaders(s.seen[1])).toEqual([]);
  });

  it("a 307 to a second server is not followed: the second receives nothing; status and Location printed, exit 1", async () => {
    const second = await capture();
    const first = await capture({
      status: 307,
      headers: { location: `${second.url}/collect` },
      body: "",
    });
    // Asked for explicitly, the key goes to this machine's first server, and no further.
    const r = await runBin(
      ["request", "GET", "/", "--url", first.url, "--auth", "api-key"],
      em.cwd,
      em.env,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("HTTP 307 Temporary Redirect");
    expect(r.stderr).toContain(`Location: ${second.url}/collect`);
    expect(credentialHeaders(first.seen[0])).toEqual(["x-api-key"]);
    expect(second.seen).toEqual([]);

    const signed = await runBin(
      ["request", "GET", "/", "--url", first.url, "--auth", "iam", "--json"],
      em.cwd,
      em.env,
    );
    expect(signed.code).toBe(1);
    expect(JSON.parse(signed.stdout)).toMatchObject({
      ok: false,
      status: 307,
      location: `${second.url}/collect`,
    });
    expect(first.seen[1]?.headers["x-amz-security-token"]).toBe(SESSION.AWS_SESSION_TOKEN);
    expect(second.seen).toEqual([]);
  });
});

import { DeleteRestApiCommand } from "@aws-sdk/client-api-gateway";
import { describe, expect, it } from "vitest";
import { world } from "./helpers.js";

/** What the CLI tells the user says what is true, and what to do about it. */

describe("status", () => {
  it("prints no endpoint for an API deleted behind the tool's back", async () => {
    const w = world();
    const up = await w.run(["up"]);
    expect(up.code).toBe(0);
    const endpoint = /Endpoint: (\S+)/.exec(up.stdout)?.[1];
    expect(endpoint).toMatch(/^https:\/\//);
    expect((await w.run(["status"])).stdout).toContain(`Endpoint: ${endpoint}`);

    const state = (await w.readState()) as { resources: { restApi: { id: string } } };
    await w.fake
      .clients()
      .apigateway.send(new DeleteRestApiCommand({ restApiId: state.resources.restApi.id }));
    const r = await w.run(["status"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/API Gateway REST API\s+missing/);
    expect(r.stdout).not.toContain("Endpoint:");
    expect(r.stdout).not.toContain(endpoint);
    const j = await w.run(["status", "--json"]);
    expect(j.json.endpoint).toBeUndefined();
  });
});

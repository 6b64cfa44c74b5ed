import { describe, expect, it } from "vitest";
import { expectDesignedStack } from "./expected.js";
import { world } from "./helpers.js";

describe("a cold up builds the stack as designed (hand-written expectations)", () => {
  it("every resource and property of the default stage", async () => {
    const w = world();
    const r = await w.run(["up"]);
    expect(r.code, r.stderr).toBe(0);
    await expectDesignedStack(w.fake);
  });

  it("with --alarm-email, the alarms notify the encrypted topic", async () => {
    const w = world();
    const r = await w.run(["up", "--alarm-email", "ops@example.com"]);
    expect(r.code, r.stderr).toBe(0);
    await expectDesignedStack(w.fake, "production", { email: "ops@example.com" });
  });
});

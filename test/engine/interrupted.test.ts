import { describe, expect, it } from "vitest";
import { Interrupted } from "../../src/engine/apply.js";

describe("equality edge cases", () => {
  it("Interrupted: its name, and the message of a step never started", () => {
    const e = new Interrupted();
    expect(e.name).toBe("Interrupted");
    expect(e.message).toBe("interrupted before this step started");
  });
});

import { UserError } from "../errors.js";

/** --lock-timeout: "90" (seconds), "30s", "2m", "1h", "500ms". */
export function parseDuration(given: string | undefined): number {
  if (given === undefined) return 0;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(given);
  if (!m) {
    throw new UserError(`Invalid duration "${given}".`, {
      hint: "Give a number with a unit: 30s, 2m, 1h (a bare number is seconds).",
    });
  }
  const unit = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 }[m[2] ?? "s"] as number;
  return Math.round(Number(m[1]) * unit);
}

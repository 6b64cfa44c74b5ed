import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MOTO_SKIP_REASON } from "./emulator/moto.js";

/**
 * Once per test run: builds dist (suites that run the built CLI need it to match the sources),
 * and says in one line when the emulator suite cannot run here.
 */
export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  execFileSync(process.execPath, [path.join(root, "scripts/build.mjs")], {
    cwd: root,
    stdio: "inherit",
  });
  if (MOTO_SKIP_REASON !== undefined) {
    console.log(`emulator suite skipped: ${MOTO_SKIP_REASON} (CI=true makes this a failure)`);
  }
}

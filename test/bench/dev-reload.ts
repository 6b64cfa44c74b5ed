/**
 * `dev` with a handler of your own: the time from a saved edit to the first request answered by
 * the new code, beside the time `dev` takes to start (what a restart would cost instead).
 */
import { mkdtempSync, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startDevServer } from "../../src/dev/server.js";

export interface ReloadFigures {
  saves: number;
  editToAnswerP50Ms: number;
  editToAnswerMaxMs: number;
  startMs: number;
}

const source = (n: number) =>
  `import { word } from "./word";\nexport const handler = async () => ({ statusCode: 200, body: word + ${n} });\n`;

export async function devReload(saves = 15): Promise<ReloadFigures> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sa-bench-reload-"));
  const entry = path.join(dir, "api.ts");
  await fs.writeFile(path.join(dir, "word.ts"), 'export const word = "v";\n');
  await fs.writeFile(entry, source(0));
  const t0 = performance.now();
  const server = await startDevServer({
    port: 0,
    settings: { handler: entry, routes: ["GET /"] },
  });
  const startMs = performance.now() - t0;
  const times: number[] = [];
  try {
    for (let n = 1; n <= saves; n++) {
      // Apart from the previous save by more than the debounce, as a person saves.
      await new Promise((r) => setTimeout(r, 100));
      await fs.writeFile(entry, source(n));
      const saved = performance.now();
      for (;;) {
        const body = await (await fetch(`${server.url}/`)).text();
        if (body === `v${n}`) break;
        if (performance.now() - saved > 10_000) throw new Error(`save ${n} never reloaded`);
        await new Promise((r) => setTimeout(r, 2));
      }
      times.push(performance.now() - saved);
    }
  } finally {
    await server.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  return {
    saves,
    editToAnswerP50Ms: Math.round(times[Math.floor(times.length / 2)] ?? 0),
    editToAnswerMaxMs: Math.round(times.at(-1) ?? 0),
    startMs: Math.round(startMs),
  };
}

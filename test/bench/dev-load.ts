import { pathToFileURL } from "node:url";
import autocannon from "autocannon";
import { startDevServer } from "../../src/dev/server.js";

export interface DevLoadResult {
  /** Mean requests per second over the run, both routes together. */
  readonly rps: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly requests: number;
  /** Responses that were not 2xx, or socket errors; should be 0. */
  readonly errors: number;
  readonly durationS: number;
  readonly connections: number;
}

/**
 * Bounded local load on the dev server (dynalite behind the real handler): GET / and
 * GET /{id} on 127.0.0.1 only. Figures characterise `dev` on this machine, not Lambda.
 */
export async function devLoad(
  options: { durationS?: number; connections?: number; items?: number } = {},
): Promise<DevLoadResult> {
  const durationS = options.durationS ?? 5;
  const connections = options.connections ?? 10;
  const dev = await startDevServer({ port: 0, host: "127.0.0.1" });
  try {
    const ids: string[] = [];
    for (let i = 0; i < (options.items ?? 20); i++) {
      const id = `bench-${i}`;
      const res = await fetch(`${dev.url}/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id, data: { i, text: "x".repeat(200) } }),
      });
      if (res.status !== 201) throw new Error(`seeding ${id} failed with ${res.status}`);
      ids.push(id);
    }
    const result = await autocannon({
      url: dev.url,
      connections,
      duration: durationS,
      requests: [
        { method: "GET", path: "/?limit=10" },
        ...ids.slice(0, 5).map((id) => ({ method: "GET" as const, path: `/${id}` })),
      ],
    });
    return {
      rps: result.requests.average,
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      requests: result.requests.total,
      errors: result.errors + result.non2xx,
      durationS,
      connections,
    };
  } finally {
    await dev.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await devLoad();
  console.log(
    `dev load: ${r.rps.toFixed(0)} req/s, p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms ` +
      `(${r.requests} requests, ${r.errors} errors, ${r.connections} connections, ${r.durationS} s)`,
  );
}

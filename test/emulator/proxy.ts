import http from "node:http";
import type { AddressInfo } from "node:net";

/** One AWS call as it crossed the wire. */
export interface WireCall {
  /** The signing name of the service: s3, iam, lambda, apigateway, monitoring, logs, … */
  readonly service: string;
  /** The operation (JSON and query protocols) or `METHOD /path` (REST protocols). */
  readonly operation: string;
  readonly mutating: boolean;
  /** HTTP status answered, or "503" / "dropped" / "crashed" for injected faults. */
  readonly outcome: string;
}

/** What the fault layer does to one call. */
export type FaultMode =
  /** Answers 503 without forwarding: the call never reaches AWS. */
  | "unavailable"
  /** Forwards, then closes the connection without an answer: AWS applied it, the caller never hears. */
  | "lost-response"
  /** Forwards, then runs onCrash (which kills the caller) and never answers. */
  | "crash";

export interface Fault {
  readonly mode: FaultMode;
  /** The 1-based index, among mutating calls seen since the fault was armed. */
  readonly nth: number;
  onCrash?: () => void;
}

/** Faults at random: each mutating call fails with probability `rate`, half refused, half lost. */
export interface RandomFaults {
  readonly rate: number;
  readonly seed: number;
}

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const READ_PREFIXES = ["Get", "List", "Describe", "Head", "Filter"];

function classify(
  req: http.IncomingMessage,
  body: Buffer,
): { service: string; operation: string; mutating: boolean } {
  const auth = req.headers.authorization ?? "";
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? "unknown";
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") {
    const operation = target.slice(target.lastIndexOf(".") + 1);
    return { service, operation, mutating: !READ_PREFIXES.some((p) => operation.startsWith(p)) };
  }
  const contentType = req.headers["content-type"] ?? "";
  if (contentType.startsWith("application/x-www-form-urlencoded")) {
    const operation = new URLSearchParams(body.toString("utf8")).get("Action") ?? "unknown";
    return { service, operation, mutating: !READ_PREFIXES.some((p) => operation.startsWith(p)) };
  }
  const method = req.method ?? "GET";
  const url = new URL(req.url ?? "/", "http://x");
  // S3 names its subresources in the query: ?versioning, ?policy, ?x-id=PutObject.
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => (k === "x-id" ? v : k))
    .sort()
    .join("&");
  const operation = `${method} ${url.pathname}${query ? `?${query}` : ""}`;
  return { service, operation, mutating: method !== "GET" && method !== "HEAD" };
}

/**
 * A loopback HTTP proxy between the SDK and the emulator: it records every call and injects
 * one fault at a chosen mutating call.
 */
export class WireProxy {
  readonly calls: WireCall[] = [];
  private fault: Fault | undefined;
  private random: { rate: number; next: () => number } | undefined;
  private mutatingSeen = 0;
  /** Added to every call before it is forwarded: a round trip to a distant region (benchmarks). */
  latencyMs = 0;
  /** After a crash nothing more reaches the emulator: the caller is dead. */
  private dead = false;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  private constructor(
    private readonly server: http.Server,
    private readonly target: URL,
  ) {}

  static async start(targetEndpoint: string): Promise<WireProxy> {
    const server = http.createServer();
    const proxy = new WireProxy(server, new URL(targetEndpoint));
    server.on("request", (req, res) => void proxy.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Arms one fault, counted from now; clears the call log and revives a crashed caller. */
  arm(fault: Fault | RandomFaults | undefined): void {
    this.fault = fault && "mode" in fault ? fault : undefined;
    this.random =
      fault && "rate" in fault ? { rate: fault.rate, next: prng(fault.seed) } : undefined;
    this.mutatingSeen = 0;
    this.dead = false;
    this.calls.length = 0;
  }

  /** True once the armed fault has fired. */
  get fired(): boolean {
    return this.fault !== undefined && this.mutatingSeen >= this.fault.nth;
  }

  mutating(): WireCall[] {
    return this.calls.filter((c) => c.mutating && c.outcome !== "503");
  }

  async close(): Promise<void> {
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (this.dead) {
      req.socket.destroy();
      return;
    }
    const call = classify(req, body);
    let mode: FaultMode | undefined;
    if (call.mutating) {
      this.mutatingSeen++;
      if (this.fault && this.mutatingSeen === this.fault.nth) mode = this.fault.mode;
      if (this.random) {
        const roll = this.random.next();
        if (roll < this.random.rate / 2) mode = "unavailable";
        else if (roll < this.random.rate) mode = "lost-response";
      }
    }
    if (mode === "unavailable") {
      this.calls.push({ ...call, outcome: "503" });
      res.writeHead(503, { "content-type": "text/plain" }).end("Service Unavailable");
      return;
    }
    let upstream: { status: number; headers: http.IncomingHttpHeaders; body: Buffer };
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    try {
      upstream = await this.forward(req, body);
    } catch (err) {
      this.calls.push({ ...call, outcome: "upstream-error" });
      res.writeHead(502).end(String(err));
      return;
    }
    if (mode === "lost-response") {
      this.calls.push({ ...call, outcome: "dropped" });
      req.socket.destroy();
      return;
    }
    if (mode === "crash") {
      this.calls.push({ ...call, outcome: "crashed" });
      this.dead = true;
      this.fault?.onCrash?.();
      req.socket.destroy();
      return;
    }
    this.calls.push({ ...call, outcome: String(upstream.status) });
    const headers = { ...upstream.headers };
    delete headers["transfer-encoding"];
    delete headers.connection;
    delete headers["keep-alive"];
    headers["content-length"] = String(upstream.body.length);
    res.writeHead(upstream.status, headers).end(upstream.body);
  }

  private forward(
    req: http.IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers };
      delete headers.connection;
      const out = http.request(
        {
          host: this.target.hostname,
          port: this.target.port,
          method: req.method,
          path: req.url,
          headers,
          agent: this.agent,
        },
        (up) => {
          const chunks: Buffer[] = [];
          up.on("data", (c: Buffer) => chunks.push(c));
          up.on("end", () =>
            resolve({
              status: up.statusCode ?? 502,
              headers: up.headers,
              body: Buffer.concat(chunks),
            }),
          );
          up.on("error", reject);
        },
      );
      out.on("error", reject);
      out.end(body);
    });
  }
}

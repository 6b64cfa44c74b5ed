import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a capture server received. */
export interface Captured {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What a capture server answers: 200 with a small JSON body unless told otherwise. */
export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * An HTTP server on 127.0.0.1 that records the method, path, headers and body of every request
 * it receives and gives each the same answer.
 */
export async function captureServer(answer: Answer = { status: 200 }) {
  const seen: Captured[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(answer.body ?? '{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The headers that carry a credential or a signature, lower-case. */
export const CREDENTIAL_HEADERS = [
  "authorization",
  "x-api-key",
  "x-amz-security-token",
  "x-amz-date",
] as const;

/** Which of CREDENTIAL_HEADERS a request carried. */
export function credentialHeaders(c: Captured | undefined): string[] {
  return CREDENTIAL_HEADERS.filter((h) => c?.headers[h] !== undefined);
}

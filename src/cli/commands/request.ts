import type { RequestResult } from "../../ops/request.js";
import { defineCommand, value } from "../command.js";
import { EXIT, printJson, styleFor, type Io } from "../io.js";
import { configInput } from "../ops-input.js";
import { STACK_OPTIONS } from "../stack-options.js";

/** Calls the deployed API as its auth requires, so the README's examples need no other tool. */
export default defineCommand({
  name: "request",
  description: "call the deployed API, signed (auth iam) or with the API key (auth api-key)",
  arguments: [
    { name: "method", description: "HTTP method: GET, POST, PUT, DELETE…" },
    { name: "path", description: "path below the stage, e.g. / or /<id>" },
  ],
  options: {
    data: value("-d, --data <json>", "JSON request body"),
    url: value("--url <url>", "call this base URL instead of the deployed endpoint (e.g. dev's)"),
    auth: value("--auth <mode>", "iam, api-key, cognito or none (default: what the stack uses)"),
    token: value("--token <jwt>", "auth cognito: an ID token from the user pool"),
    ...STACK_OPTIONS,
  },
  helpAfter: `
Prints the response body on stdout and the status on stderr; exits 1 when the status is 400 or
above. Examples:
  serverless-automation request GET /
  serverless-automation request POST / --data '{"name":"first"}'
  serverless-automation request GET / --url http://127.0.0.1:3000`,
  async handler(opts, io, args) {
    const { request } = await import("../../ops/request.js");
    const [method = "", path = ""] = args;
    const r = await request(
      configInput({ ...opts, auth: undefined }),
      { env: io.env, cwd: io.cwd, clients: io.clients, signal: io.signal },
      { method, path, data: opts.data, url: opts.url, auth: opts.auth, token: opts.token },
    );
    if (opts.json) printJson(io, { command: "request", ...summary(r) });
    else printHuman(io, r, opts.quiet);
    return r.status < 400 ? EXIT.ok : EXIT.error;
  },
});

function summary(r: RequestResult) {
  let body: unknown = r.body;
  try {
    body = r.body ? JSON.parse(r.body) : null;
  } catch {
    // Not JSON: the text as it came.
  }
  return {
    ok: r.status < 400,
    method: r.method,
    url: r.url,
    auth: r.auth,
    status: r.status,
    body,
  };
}

function printHuman(io: Io, r: RequestResult, quiet: boolean): void {
  const style = styleFor(io, "stderr");
  const ok = r.status < 400;
  if (!quiet || !ok) {
    const line = `HTTP ${r.status} ${r.statusText}`;
    io.stderr.write(`${ok ? style.dim(line) : style.red(line)}\n`);
  }
  if (r.body) io.stdout.write(r.body.endsWith("\n") ? r.body : `${r.body}\n`);
  if (r.status === 403 && !quiet) {
    const hint =
      r.auth === "iam"
        ? "The API takes signed requests: the credentials used need execute-api:Invoke on it (see the README's Authentication)."
        : r.auth === "api-key"
          ? "The API takes the stack's API key: check that the key is enabled and in the usage plan (`status` shows drift)."
          : "The API asked for credentials: pass --auth iam or --auth api-key as the stack was deployed.";
    io.stderr.write(`${style.dim(hint)}\n`);
  }
}

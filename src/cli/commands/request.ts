import type { RequestResult } from "../../ops/request.js";
import { UserError } from "../../errors.js";
import { defineCommand, value } from "../command.js";
import { EXIT, printJson, styleFor, type Io } from "../io.js";
import { configInput } from "../ops-input.js";
import { STACK_OPTIONS } from "../stack-options.js";

/** As in ops/request (kept here so that --help loads nothing more). */
const TOKEN_ENV = "SERVERLESS_AUTOMATION_TOKEN";

/** Calls the deployed API as its auth requires, so the README's examples need no other tool. */
export default defineCommand({
  name: "request",
  description:
    "call the deployed API, signed (auth iam), with the API key (auth api-key) or a Cognito token (auth cognito)",
  arguments: [
    { name: "method", description: "HTTP method: GET, POST, PUT, DELETE…" },
    { name: "path", description: "path below the stage, e.g. / or /<id>" },
  ],
  options: {
    data: value("-d, --data <json>", "JSON request body"),
    url: value(
      "--url <url>",
      "call this base URL instead of the deployed endpoint (e.g. dev's); see below for credentials",
    ),
    auth: value(
      "--auth <mode>",
      "iam, api-key, cognito or none (default: what the stack uses; none for a loopback --url)",
    ),
    token: value(
      "--token <source>",
      `auth cognito: - reads the user pool's ID token from stdin (or set ${TOKEN_ENV}); never the token itself`,
    ),
    ...STACK_OPTIONS,
  },
  helpAfter: `
Prints the response body on stdout and the status on stderr; exits 1 unless the status is 2xx.

Credentials (the SigV4 signature, the API key, the Cognito token) go only to the stack's own API,
https://<api-id>.execute-api.<region>.amazonaws.com (from the REST API id and region in the
state file; with AWS_ENDPOINT_URL, that endpoint), and only over https or to loopback:
  - a --url on loopback (127.0.0.1, localhost, [::1], e.g. dev's) gets none unless --auth asks;
  - any other --url is refused while credentials would go with it: pass --auth none to call it
    without them;
  - the state file's endpoint is called only if it lies on that origin;
  - a redirect is never followed: its status and Location are printed (exit 1).
The Cognito token is read from ${TOKEN_ENV} or from stdin with --token -, never
from the command line (where ps and the shell history would show it).

Examples (the built-in API's; add --stage, --region, --state as up was given them):
  npx serverless-automation request POST / --data '{"data":{"name":"first"}}'
  npx serverless-automation request GET /
  npx serverless-automation request GET / --url http://127.0.0.1:3000        # dev, no credentials
  npx serverless-automation request GET / --url http://127.0.0.1:3000 --auth iam   # signed, local
  get-token | npx serverless-automation request GET / --token -   # auth cognito`,
  async handler(opts, io, args) {
    if (opts.token !== undefined && opts.token !== "-") {
      // Never echoed: it is a secret, and already too visible.
      throw new UserError(
        "--token does not take the token itself: on the command line, other users see it in the process list (ps) and your shell keeps it in its history.",
        {
          hint: `Set ${TOKEN_ENV} to the token, or pipe it in: \`get-token | npx serverless-automation request GET / --token -\`.`,
        },
      );
    }
    const token = opts.token === "-" ? await readToken(io) : undefined;
    const { request } = await import("../../ops/request.js");
    const [method = "", path = ""] = args;
    const r = await request(
      configInput({ ...opts, auth: undefined }),
      { env: io.env, cwd: io.cwd, clients: io.clients, signal: io.signal },
      { method, path, data: opts.data, url: opts.url, auth: opts.auth, token },
    );
    if (opts.json) printJson(io, { command: "request", ...summary(r) });
    else printHuman(io, r, opts.quiet);
    return isOk(r) ? EXIT.ok : EXIT.error;
  },
});

/** 2xx: a redirect not followed has not reached what was asked for either. */
function isOk(r: RequestResult): boolean {
  return r.status >= 200 && r.status < 300;
}

/** `--token -`: the token is all of stdin, which must be a pipe or a file (a terminal echoes). */
async function readToken(io: Io): Promise<string> {
  const stdin = io.stdin;
  if (!stdin || stdin.isTTY) {
    throw new UserError("--token - reads the token from stdin, which is a terminal here.", {
      hint: `Pipe the token in (\`get-token | npx serverless-automation request … --token -\`, or \`< token-file\`), or set ${TOKEN_ENV}.`,
    });
  }
  let text = "";
  for await (const chunk of stdin) text += typeof chunk === "string" ? chunk : String(chunk);
  const token = text.trim();
  if (!token) {
    throw new UserError("No token on stdin for --token -.", {
      hint: `Pipe the user pool's ID token in, or set ${TOKEN_ENV}.`,
    });
  }
  return token;
}

function summary(r: RequestResult) {
  let body: unknown = r.body;
  try {
    body = r.body ? JSON.parse(r.body) : null;
  } catch {
    // Not JSON: the text as it came.
  }
  return {
    ok: isOk(r),
    method: r.method,
    url: r.url,
    auth: r.auth,
    status: r.status,
    ...(r.location !== undefined ? { location: r.location } : {}),
    body,
  };
}

function printHuman(io: Io, r: RequestResult, quiet: boolean): void {
  const style = styleFor(io, "stderr");
  const ok = isOk(r);
  if (!quiet || !ok) {
    const line = `HTTP ${r.status} ${r.statusText}`;
    io.stderr.write(`${ok ? style.dim(line) : style.red(line)}\n`);
  }
  if (r.location !== undefined) {
    io.stderr.write(`Location: ${r.location}\n`);
    if (!quiet) {
      const note =
        "The redirect was not followed: it would take the request's credentials along. Call that address yourself if you trust it.";
      io.stderr.write(`${style.dim(note)}\n`);
    }
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

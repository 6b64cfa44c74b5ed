import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, HttpRequest } from "@smithy/types";
import { createClients, type Clients } from "../aws/clients.js";
import { isCredentialsError } from "../aws/errors.js";
import { loadConfigFile } from "../config-file.js";
import {
  AUTH_MODES,
  PROJECT,
  resolveConfig,
  resolveStage,
  type AuthMode,
  type ConfigInput,
} from "../config.js";
import { UserError } from "../errors.js";
import { readApiKeyValue } from "../resources/api-key.js";
import { stateBackend } from "../state/backend.js";
import { NODES } from "../stack.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/** API Gateway gives up on an integration after 29 s; a little more for the network. */
const TIMEOUT_MS = 35_000;

export interface RequestOptions {
  readonly method: string;
  /** Path (and query) below the stage URL, e.g. /items or /?limit=5. */
  readonly path: string;
  /** A JSON body. */
  readonly data?: string | undefined;
  /** Another base URL than the deployed endpoint (e.g. the one `dev` prints). */
  readonly url?: string | undefined;
  /** How to authenticate; by default what the stack was deployed with. */
  readonly auth?: string | undefined;
  /** auth cognito: the user pool's ID token, sent as the Authorization header. */
  readonly token?: string | undefined;
}

export interface RequestResult {
  readonly url: string;
  readonly method: string;
  readonly auth: AuthMode;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RequestEnvironment {
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  readonly clients?: Clients | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Calls the deployed API (or --url) the way its auth requires: signed with the caller's AWS
 * credentials (SigV4, service execute-api) for iam, with the stack's API key for api-key.
 */
export async function request(
  input: ConfigInput,
  e: RequestEnvironment,
  r: RequestOptions,
): Promise<RequestResult> {
  const method = r.method.toUpperCase();
  if (!METHODS.includes(method)) {
    throw new UserError(`Unknown HTTP method "${r.method}".`, {
      hint: `Use one of ${METHODS.join(", ")}, e.g. \`${PROJECT} request GET /\`.`,
    });
  }
  if (!r.path.startsWith("/")) {
    throw new UserError(`The path "${r.path}" does not start with "/".`, {
      hint: `Give the path below the stage, e.g. / or /some-id.`,
    });
  }
  if (r.data !== undefined) {
    try {
      JSON.parse(r.data);
    } catch (err) {
      throw new UserError(`--data is not valid JSON: ${(err as Error).message}`, {
        hint: `Quote it for your shell, e.g. --data '{"name":"first"}'.`,
      });
    }
  }
  if (r.auth !== undefined && !AUTH_MODES.includes(r.auth as AuthMode)) {
    throw new UserError(`Unknown auth mode "${r.auth}".`, {
      hint: `Use ${AUTH_MODES.join(", ")}.`,
    });
  }
  const stage = resolveStage(input, e.env);
  const file = await loadConfigFile(
    e.cwd,
    input.config ?? (e.env.SERVERLESS_AUTOMATION_CONFIG || undefined),
    stage,
  );
  const config = resolveConfig(input, e.env, e.cwd, file);
  const state = await stateBackend(config.statePath, {
    stage,
    cwd: e.cwd,
    env: e.env,
    command: "request",
    s3: e.clients?.s3,
    region: config.region,
    profile: config.profile,
    endpoint: config.endpoint,
    stateBucketOwner: config.stateBucketOwner,
    sts: e.clients?.sts,
  }).read();
  const base = r.url ?? state?.endpoint;
  if (!base) {
    throw new UserError(`The stack ${PROJECT}-${stage} has no endpoint to call.`, {
      hint: `Deploy it with \`${PROJECT} up\`, or pass --url (e.g. the address \`${PROJECT} dev\` prints).`,
    });
  }
  let url: URL;
  try {
    url = new URL(base.replace(/\/+$/, "") + r.path);
  } catch {
    throw new UserError(`"${base}" is not a URL.`, {
      hint: "Pass --url with a full address, e.g. http://127.0.0.1:3000.",
    });
  }
  const keyId = state && NODES.apiKey.recorded(state.resources)?.id;
  const auth = (r.auth as AuthMode | undefined) ?? (keyId ? "api-key" : config.settings.auth);
  // The stack's own region signs, whatever AWS_REGION says for other work.
  const region = state?.region ?? config.region;
  const clients =
    e.clients ?? createClients({ region, profile: config.profile, endpoint: config.endpoint });

  const headers: Record<string, string> = { host: url.host, accept: "application/json" };
  if (r.data !== undefined) headers["content-type"] = "application/json";
  if (auth === "api-key") {
    if (!keyId) {
      throw new UserError(`The state file records no API key for ${PROJECT}-${stage}.`, {
        hint: `Deploy with auth "api-key" first (\`${PROJECT} up --auth api-key\`).`,
      });
    }
    headers["x-api-key"] = await readApiKeyValue({ clients }, keyId);
  }
  if (auth === "cognito") {
    if (!r.token) {
      throw new UserError("The API takes a Cognito user pool token (auth cognito).", {
        hint: "Pass --token with an ID token from the user pool (e.g. from `aws cognito-idp initiate-auth`).",
      });
    }
    headers.authorization = r.token;
  }
  let signed: Record<string, string> = headers;
  if (auth === "iam") {
    const credentials = await resolveCredentials(clients, config.profile);
    signed = await signRequest(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body: r.data,
      },
      { region, credentials },
    );
  }
  const { host: _host, ...sent } = signed;
  let res: Response;
  try {
    const timeout = AbortSignal.timeout(TIMEOUT_MS);
    res = await fetch(url, {
      method,
      headers: sent,
      ...(r.data !== undefined ? { body: r.data } : {}),
      signal: e.signal ? AbortSignal.any([e.signal, timeout]) : timeout,
    });
  } catch (err) {
    if (e.signal?.aborted) throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new UserError(
      `No answer from ${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      { hint: "Check the URL and your network connection, then try again." },
    );
  }
  const body = await res.text();
  return {
    url: url.toString(),
    method,
    auth,
    status: res.status,
    statusText: res.statusText,
    headers: Object.fromEntries(res.headers),
    body,
  };
}

async function resolveCredentials(
  clients: Clients,
  profile: string | undefined,
): Promise<AwsCredentialIdentity> {
  try {
    return await clients.apigateway.config.credentials();
  } catch (err) {
    if (!isCredentialsError(err)) throw err;
    throw new UserError(
      `No usable AWS credentials to sign the request${profile ? ` (profile "${profile}")` : ""}.`,
      {
        cause: err,
        hint: "Under auth iam every request is signed: set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
      },
    );
  }
}

/** SigV4 for API Gateway's execute-api, as the AWS CLI and SDKs sign. */
export async function signRequest(
  req: HttpRequest,
  opts: { region: string; credentials: AwsCredentialIdentity; signingDate?: Date },
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: "execute-api",
    region: opts.region,
    credentials: opts.credentials,
    sha256: Hash.bind(null, "sha256"),
  });
  const signed = await signer.sign(
    req,
    opts.signingDate ? { signingDate: opts.signingDate } : undefined,
  );
  return signed.headers;
}

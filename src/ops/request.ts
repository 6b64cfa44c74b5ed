import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, HttpRequest } from "@smithy/types";
import { clientsFor, type Clients } from "../aws/clients.js";
import { isCredentialsError } from "../aws/errors.js";
import type { StateEntry } from "../engine/types.js";
import { configFileArg, loadConfigFile } from "../config-file.js";
import {
  AUTH_MODES,
  resolveConfig,
  resolveStage,
  type AuthMode,
  type Config,
  type ConfigInput,
} from "../config.js";
import { UserError } from "../errors.js";
import { commandLine, RUN, type StackFlags } from "../hint.js";
import { readApiKeyValue } from "../resources/api-key.js";
import { executeApiOrigin } from "../resources/api-stage.js";
import { domainUrl } from "../resources/base-path-mapping.js";
import { stateBackend } from "../state/backend.js";
import type { StackState } from "../state/store.js";
import { NODES } from "../stack.js";
import { partitionOf } from "./session.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/** API Gateway gives up on an integration after 29 s; a little more for the network. */
const TIMEOUT_MS = 35_000;

export interface RequestOptions {
  readonly method: string;
  /** Path (and query) below the stage URL, e.g. /items or /?limit=5. */
  readonly path: string;
  /** A JSON body. */
  readonly data?: string | undefined;
  /**
   * Another base URL than the deployed endpoint (e.g. the one `dev` prints). Credentials go
   * there only if it is the stack's own API origin, or a loopback address and `auth` asks.
   */
  readonly url?: string | undefined;
  /** How to authenticate; by default what the stack was deployed with (none for loopback --url). */
  readonly auth?: string | undefined;
  /**
   * auth cognito: a user pool ID token the user handed over explicitly (read from stdin, never
   * from argv); it implies auth cognito. Without it, SERVERLESS_AUTOMATION_TOKEN is used.
   */
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
  /** A redirect's target, absolute; never followed (it would carry the credentials along). */
  readonly location?: string | undefined;
}

/** The environment variable `request` reads a Cognito ID token from (argv would show it in ps). */
export const TOKEN_ENV = "SERVERLESS_AUTOMATION_TOKEN";

export interface RequestEnvironment {
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  readonly clients?: Clients | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What each auth mode would send, for the messages that refuse to send it. */
const CREDENTIAL: Record<Exclude<AuthMode, "none">, string> = {
  iam: "a SigV4 signature of your AWS credentials",
  "api-key": "the stack's API key",
  cognito: "the Cognito token",
};

/**
 * Calls the deployed API (or --url) the way its auth requires: signed with the caller's AWS
 * credentials (SigV4, service execute-api) for iam, with the stack's API key for api-key, with
 * a user pool token for cognito. Credentials go only to the stack's own API origin (over
 * https, or to loopback), or to a loopback --url when `auth` asks for them; a redirect is
 * returned, never followed.
 */
export async function request(
  input: ConfigInput,
  e: RequestEnvironment,
  r: RequestOptions,
): Promise<RequestResult> {
  const { method, asked } = checkRequest(r);
  if (r.url !== undefined) {
    const url = httpUrl(r.url, r.path);
    // No credentials go with it (loopback takes none unless asked, --auth none sends none):
    // nothing of the stack is needed, so neither a region, nor AWS credentials, nor a state
    // file, nor a config file, as `dev` needs none of them either.
    // (The stack's own API under a loopback AWS_ENDPOINT_URL, LocalStack's, gets its mode.)
    const ownEndpoint = originOf(e.env.AWS_ENDPOINT_URL ?? "") === url.origin;
    if (asked === "none" || (asked === undefined && isLoopback(url.hostname) && !ownEndpoint)) {
      const { host: _host, ...headers } = plainHeaders(url, r);
      return send(url, method, headers, r.data, "none", e.signal);
    }
  }
  const { config, state } = await readStack(input, e);
  const own = stackApi(state, config.endpoint, input);
  const domain = stackDomain(state, config);
  const url =
    r.url === undefined
      ? deployedUrl(config, state, own, input, r.path, domain)
      : httpUrl(r.url, r.path);
  const trusted =
    own.origin !== undefined && trustedOrigins(own.origin, domain).includes(url.origin);
  const loopback = isLoopback(url.hostname);
  const keyId = state && NODES.apiKey.recorded(state.resources)?.id;
  const stackAuth: AuthMode = keyId ? "api-key" : config.settings.auth;
  // Loopback is `dev` (which takes no credentials) or a tool of your own: credentials only
  // when asked for. Any other origin than the stack's gets the stack's mode, and is refused
  // below unless that is none.
  const auth: AuthMode = asked ?? (trusted || !loopback ? stackAuth : "none");
  if (auth !== "none") {
    checkDestination(url, auth, { trusted, loopback, asked, own: own.origin }, input);
  }
  // The stack's own region signs, whatever AWS_REGION says for other work.
  const region = state?.region ?? config.region;
  const clients =
    e.clients ??
    (await clientsFor({ region, profile: config.profile, endpoint: config.endpoint }, [
      "apigateway",
    ]));
  const headers = plainHeaders(url, r);
  const stack = { name: `${config.name}-${config.stage}`, keyId, input };
  Object.assign(headers, await credentialHeaders(auth, clients, stack, r, e.env));
  const signed =
    auth === "iam"
      ? await signRequest(
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
          { region, credentials: await resolveCredentials(clients, config.profile) },
        )
      : headers;
  const { host: _host, ...sent } = signed;
  return send(url, method, sent, r.data, auth, e.signal);
}

/** The method, in capitals, and the auth mode asked for; refuses what cannot be sent. */
function checkRequest(r: RequestOptions): { method: string; asked: AuthMode | undefined } {
  const method = r.method.toUpperCase();
  if (!METHODS.includes(method)) {
    throw new UserError(`Unknown HTTP method "${r.method}".`, {
      hint: `Use one of ${METHODS.join(", ")}, e.g. \`${RUN} request GET /\`.`,
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
        hint: `Quote it for your shell, e.g. --data '{"data":{"name":"first"}}'.`,
      });
    }
  }
  if (r.auth !== undefined && !AUTH_MODES.includes(r.auth as AuthMode)) {
    throw new UserError(`Unknown auth mode "${r.auth}".`, {
      hint: `Use ${AUTH_MODES.join(", ")}.`,
    });
  }
  if (r.token !== undefined && r.auth !== undefined && r.auth !== "cognito") {
    throw new UserError(`--token - is for auth cognito, not for --auth ${r.auth}.`, {
      hint: "Leave out --token, or --auth.",
    });
  }
  const asked = (r.auth as AuthMode | undefined) ?? (r.token !== undefined ? "cognito" : undefined);
  return { method, asked };
}

/** The headers every request carries: the host it is signed for, and JSON. */
function plainHeaders(url: URL, r: RequestOptions): Record<string, string> {
  const headers: Record<string, string> = { host: url.host, accept: "application/json" };
  if (r.data !== undefined) headers["content-type"] = "application/json";
  return headers;
}

/** The stack's config and its state, found as `up` finds them. */
async function readStack(
  input: ConfigInput,
  e: RequestEnvironment,
): Promise<{ config: Config; state: StackState | undefined }> {
  const stage = resolveStage(input, e.env);
  const file = await loadConfigFile(e.cwd, configFileArg(input.config, e.env), stage);
  const config = resolveConfig(input, e.env, e.cwd, file);
  const backend = await stateBackend(config.statePath, {
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
  });
  return { config, state: await backend.read() };
}

/**
 * The deployed endpoint the state records, with the path. The state file (perhaps a shared one
 * in S3) is believed only if it names the origin the recorded REST API id and region give.
 */
function deployedUrl(
  config: Config,
  state: StackState | undefined,
  own: ReturnType<typeof stackApi>,
  input: ConfigInput,
  path: string,
  domain: string | undefined,
): URL {
  if (!state?.endpoint) {
    const stack = `${config.name}-${config.stage}`;
    const where = config.statePath;
    throw new UserError(
      state
        ? `The stack ${stack} has no endpoint to call: the state at ${where} records no deployed API.`
        : `The stack ${stack} has no endpoint to call: there is no state at ${where}.`,
      {
        hint: `Deploy it with \`${commandLine("up", input)}\`. If it is deployed with its state elsewhere, pass --state (and --stage, --region) as up was given them; or pass --url (e.g. the address \`${RUN} dev\` prints).`,
      },
    );
  }
  if (own.problem) throw new UserError(own.problem.message, { hint: own.problem.hint });
  // The custom domain, once mapped: the address the stack's callers use (and the only one
  // that answers with domain.disableDefaultEndpoint).
  return httpUrl(domain ?? state.endpoint, path);
}

/** The API key or Cognito token the auth mode sends (iam signs the request instead). */
async function credentialHeaders(
  auth: AuthMode,
  clients: Clients,
  stack: { name: string; keyId: string | undefined; input: ConfigInput },
  r: RequestOptions,
  env: Record<string, string | undefined>,
): Promise<Record<string, string>> {
  if (auth === "api-key") {
    if (!stack.keyId) {
      throw new UserError(`The state file records no API key for ${stack.name}.`, {
        hint: `Deploy with auth "api-key" first (\`${commandLine("up --auth api-key", stack.input)}\`).`,
      });
    }
    return { "x-api-key": await readApiKeyValue({ clients }, stack.keyId) };
  }
  if (auth === "cognito") {
    const token = r.token ?? (env[TOKEN_ENV]?.trim() || undefined);
    if (!token) {
      throw new UserError("The API takes a Cognito user pool token (auth cognito).", {
        hint: `Set ${TOKEN_ENV} to an ID token from the user pool (e.g. from \`aws cognito-idp initiate-auth\`), or pipe it in with --token -.`,
      });
    }
    return { authorization: token };
  }
  return {};
}

async function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  data: string | undefined,
  auth: AuthMode,
  signal: AbortSignal | undefined,
): Promise<RequestResult> {
  let res: Response;
  try {
    const timeout = AbortSignal.timeout(TIMEOUT_MS);
    res = await fetch(url, {
      method,
      headers,
      // A redirect would take the credentials to wherever it points: returned, not followed.
      redirect: "manual",
      ...(data !== undefined ? { body: data } : {}),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new UserError(
      `No answer from ${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      { hint: "Check the URL and your network connection, then try again." },
    );
  }
  const body = await res.text();
  const location = res.headers.get("location") ?? undefined;
  return {
    url: url.toString(),
    method,
    auth,
    status: res.status,
    statusText: res.statusText,
    headers: Object.fromEntries(res.headers),
    body,
    ...(location !== undefined ? { location: absolute(location, url) } : {}),
  };
}

/** base + path, which must be an http or https address. */
function httpUrl(base: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(base.replace(/\/+$/, "") + path);
  } catch {
    throw new UserError(`"${base}" is not a URL.`, {
      hint: "Pass --url with a full address, e.g. http://127.0.0.1:3000.",
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UserError(`"${url.origin}" is not an http or https address.`, {
      hint: "Pass --url with a full address, e.g. http://127.0.0.1:3000.",
    });
  }
  return url;
}

function absolute(location: string, base: URL): string {
  try {
    return new URL(location, base).toString();
  } catch {
    return location;
  }
}

/** This machine: 127.0.0.0/8, ::1 and localhost (which resolves to them). */
export function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === "localhost" || h === "[::1]" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** API Gateway's REST API ids: ten lowercase letters and digits. */
const API_ID = /^[a-z0-9]{1,32}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** Where the stack's API answers, as its recorded REST API id and region say. */
export interface StackApi {
  /** https://<apiId>.execute-api.<region>.amazonaws.com, or AWS_ENDPOINT_URL's origin. */
  readonly origin?: string | undefined;
  /** Why the state's endpoint is not to be called, when it is not. */
  readonly problem?: { readonly message: string; readonly hint: string } | undefined;
}

/**
 * The stack's API origin, derived from the REST API id and region the state records, never
 * from its free-text endpoint alone; and whether that endpoint lies on it. With
 * AWS_ENDPOINT_URL (LocalStack and the like), the API is served under that endpoint, which the
 * user set in this run's environment and already trusts with their AWS credentials.
 */
export function stackApi(
  state:
    | { region: string; endpoint?: string | undefined; resources: Record<string, StateEntry> }
    | undefined,
  awsEndpoint: string | undefined,
  flags: StackFlags = {},
): StackApi {
  const up = commandLine("up", flags);
  const id = state && NODES.restApi.recorded(state.resources)?.id;
  if (!state || !id) {
    return {
      problem: {
        message: "The state file records no REST API for this stack.",
        hint: `Deploy it with \`${up}\`, or pass --url (e.g. the address \`${RUN} dev\` prints).`,
      },
    };
  }
  if (!API_ID.test(id) || !REGION.test(state.region)) {
    return {
      problem: {
        message: `The state file's REST API id (${id}) or region (${state.region}) is not one AWS gives.`,
        hint: `Nothing was sent. Check who changed the state file; \`${up}\` records the stack again.`,
      },
    };
  }
  let origin: string;
  let prefix: string;
  if (awsEndpoint) {
    origin = new URL(awsEndpoint).origin;
    prefix = `${awsEndpoint.replace(/\/+$/, "")}/restapis/${id}/`;
  } else {
    origin = executeApiOrigin(id, state.region, partitionOf(state.region));
    prefix = `${origin}/`;
  }
  const endpoint = state.endpoint;
  if (endpoint !== undefined && !(endpoint.startsWith(prefix) && originOf(endpoint) === origin)) {
    return {
      origin,
      problem: {
        message: `The state file's endpoint (${endpoint}) is not this stack's API (${origin}, from its REST API ${id} in ${state.region}); nothing was sent.`,
        hint: awsEndpoint
          ? `Deployed with another AWS_ENDPOINT_URL? Set it as then. Otherwise someone changed the state file: check it, and \`${up}\` records the endpoint again.`
          : `Deployed with AWS_ENDPOINT_URL? Set it as then. Otherwise someone changed the state file: check it, and \`${up}\` records the endpoint again.`,
      },
    };
  }
  return { origin };
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * The origins the stack's credentials may go to: its REST API's, and its custom domain's (see
 * stackDomain). Signed for the domain's host, a SigV4 request is one API Gateway accepts there.
 */
export function trustedOrigins(apiOrigin: string, domainUrl?: string): readonly string[] {
  const domainOrigin = domainUrl === undefined ? undefined : originOf(domainUrl);
  return domainOrigin ? [apiOrigin, domainOrigin] : [apiOrigin];
}

/**
 * The API's custom domain URL (with its base path), when the state records the mapping and
 * the config file (the user's own, unlike a shared state) names that very domain. Not under
 * AWS_ENDPOINT_URL: an emulator serves the API under its own address only.
 */
export function stackDomain(
  state: { resources: Record<string, StateEntry> } | undefined,
  config: Pick<Config, "settings" | "endpoint">,
): string | undefined {
  const mapping = state && NODES.basePathMapping.recorded(state.resources)?.outputs;
  const name = config.settings.domain?.name;
  if (config.endpoint || !name || mapping?.domainName !== name) return undefined;
  return domainUrl(mapping);
}

/** Refuses, before anything is read or sent, to send credentials where they do not belong. */
function checkDestination(
  url: URL,
  auth: Exclude<AuthMode, "none">,
  where: {
    trusted: boolean;
    loopback: boolean;
    asked: AuthMode | undefined;
    own: string | undefined;
  },
  flags: StackFlags,
): void {
  const ownApi =
    where.own ?? `none is recorded yet: deploy it with \`${commandLine("up", flags)}\``;
  if (url.protocol !== "https:" && !where.loopback) {
    throw new UserError(
      `Refusing to send credentials to ${url.origin} over plain http (auth ${auth}: ${CREDENTIAL[auth]}): anyone on the way could read them.`,
      {
        hint: `Call the stack's own API over https (${ownApi}), or pass --auth none to call ${url.origin} without credentials.`,
      },
    );
  }
  if (where.trusted || (where.loopback && where.asked !== undefined)) return;
  throw new UserError(
    `Refusing to send credentials to ${url.origin} (auth ${auth}: ${CREDENTIAL[auth]}): it is not this stack's API.`,
    {
      hint: `Leave out --url to call the stack's own API (${ownApi}); pass --auth none to call ${url.origin} without credentials; to test with credentials on this machine, use a loopback --url (127.0.0.1, localhost, [::1]) with --auth ${auth}.`,
    },
  );
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

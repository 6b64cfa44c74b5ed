import { stackName, type ConfigInput } from "../config.js";
import { clientsFor, type Clients } from "../aws/clients.js";
import { UserError } from "../errors.js";
import { commandLine } from "../hint.js";
import { readApiKeyValue } from "../resources/api-key.js";
import { localRegions, stateWithoutSession } from "./state-only.js";
import { NODES } from "../stack.js";
import { domainUrl } from "../resources/base-path-mapping.js";
import type { Node } from "../engine/builder.js";
import type { Outputs } from "../engine/types.js";

/** What a user (or a script) needs to use the deployed stack. */
export interface OutputsResult {
  readonly stack: string;
  readonly stage: string;
  readonly region: string;
  readonly account: string;
  /**
   * Where callers reach the API: its custom domain once mapped, else the invoke URL; null
   * until the API is deployed.
   */
  readonly endpoint: string | null;
  /** The execute-api invoke URL (turned off by domain.disableDefaultEndpoint); null: none yet. */
  readonly defaultEndpoint: string | null;
  /** The custom domain's name, once its base path mapping is made; null: none. */
  readonly domain: string | null;
  readonly table: string | null;
  readonly function: string | null;
  readonly bucket: string | null;
  readonly logGroup: string | null;
  readonly alarmTopic: string | null;
  /** auth api-key: the key's id (not its value). */
  readonly apiKeyId: string | null;
  /** Same shape as up's: where alarm e-mails go; null when nobody is notified. */
  readonly alarmNotifications: { readonly email: string; readonly status: string } | null;
  readonly statePath: string;
}

/**
 * Reads the state only: no AWS call with a state file, so it works offline; with the state in
 * S3, one S3 read (after STS, for the bucket's expected owner). It can never change anything. What it prints is what the last `up`
 * recorded (`status` checks AWS itself).
 */
export async function outputs(
  input: ConfigInput,
  e: {
    readonly cwd: string;
    readonly env: Record<string, string | undefined>;
    readonly clients?: Clients | undefined;
  },
): Promise<OutputsResult> {
  const {
    stage,
    name,
    location: statePath,
    backend,
    formerState,
  } = await stateWithoutSession(input, e, "outputs");
  // A stack moving to S3 (or from a former default location) is still described by its former
  // state until up moves it.
  const state = (await backend.read()) ?? (await formerState())?.state;
  const stack = stackName({ name, stage });
  const elsewhere = state ? [] : await localRegions(stage, e.cwd);
  if (!state && !backend.remote && input.state === undefined && elsewhere.length) {
    throw new UserError(
      `There is no state file ${statePath}: the stack ${stack} has state only for ${elsewhere.join(", ")}.`,
      { hint: `Pass --region ${elsewhere[0] ?? ""} (a default state file is per region).` },
    );
  }
  if (!state) {
    // Without an AWS call there is no telling a stack never deployed from a lost state file.
    throw new UserError(
      backend.remote
        ? `There is no state at ${statePath}: the stack ${stack} was never deployed with it, or its state is lost.`
        : `There is no state file ${statePath}: the stack ${stack} was never deployed, or its state file is lost.`,
      {
        hint: `\`${commandLine("up", { ...input, stage })}\` finds the stack's resources by name and writes the state file again (deploying what is missing); \`${commandLine("status", { ...input, stage })}\` shows what exists, changing nothing. If the state file is elsewhere, pass --state.`,
      },
    );
  }
  // Only an explicit --region is checked: AWS_REGION may well point elsewhere for other work.
  for (const [field, wanted] of [
    ["stage", stage],
    ["region", input.region],
  ] as const) {
    if (wanted !== undefined && state[field] !== wanted) {
      throw new UserError(
        `The state file ${statePath} belongs to ${field} ${state[field]}, not ${wanted}.`,
        { hint: `Pass --${field} ${state[field]}, or --state with another file.` },
      );
    }
  }
  const r = state.resources;
  const id = (n: Node<never, Outputs>) => n.recorded(r)?.id ?? null;
  const subscription = NODES.alarmSubscription.recorded(r);
  return {
    stack,
    stage: state.stage,
    region: state.region,
    account: state.account,
    endpoint: domainUrl(NODES.basePathMapping.recorded(r)?.outputs) ?? state.endpoint ?? null,
    defaultEndpoint: state.endpoint ?? null,
    domain: NODES.basePathMapping.recorded(r)?.outputs.domainName ?? null,
    table: id(NODES.table),
    function: id(NODES.function),
    bucket: id(NODES.bucket),
    logGroup: id(NODES.functionLogGroup),
    alarmTopic: NODES.alarmTopic.recorded(r)?.outputs.arn ?? null,
    apiKeyId: id(NODES.apiKey),
    alarmNotifications: subscription
      ? {
          email: subscription.id,
          // As of the last up: a confirmation since then shows on the next up or status.
          status: subscription.outputs.status ?? "pending confirmation",
        }
      : null,
    statePath,
  };
}

/** The API key's value, read from API Gateway on request: the state file never holds it. */
export async function apiKeyValue(
  o: Pick<OutputsResult, "region" | "apiKeyId">,
  clients: Clients | undefined,
  env: Record<string, string | undefined>,
  profile: string | undefined,
): Promise<string> {
  const c =
    clients ??
    (await clientsFor(
      {
        region: o.region,
        profile: profile ?? (env.AWS_PROFILE || undefined),
        endpoint: env.AWS_ENDPOINT_URL || undefined,
      },
      ["apigateway"],
    ));
  return readApiKeyValue({ clients: c }, o.apiKeyId ?? "");
}

import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Pluggable,
} from "@smithy/types";

/**
 * Every SDK client the tool may use, by name: how its package is loaded. A package is loaded
 * only when a run needs its client (a stack without a web ACL never loads WAF's), which is most
 * of what starting a command costs. Adding a client is one line here and a one-line module in
 * ./client/ that re-exports the client class alone as `Client`: a dynamic import of the package
 * itself would keep every command it has in the bundle, and this one named export lets esbuild
 * drop the rest.
 */
const PACKAGES = {
  s3: () => import("./client/s3.js"),
  dynamodb: () => import("./client/dynamodb.js"),
  lambda: () => import("./client/lambda.js"),
  apigateway: () => import("./client/apigateway.js"),
  iam: () => import("./client/iam.js"),
  cloudwatch: () => import("./client/cloudwatch.js"),
  logs: () => import("./client/logs.js"),
  sts: () => import("./client/sts.js"),
  sns: () => import("./client/sns.js"),
  kms: () => import("./client/kms.js"),
  wafv2: () => import("./client/wafv2.js"),
  ssm: () => import("./client/ssm.js"),
  secretsmanager: () => import("./client/secretsmanager.js"),
  acm: () => import("./client/acm.js"),
  // Global: the SDK sends it to route53.amazonaws.com whatever the region.
  route53: () => import("./client/route53.js"),
};

export type ClientName = keyof typeof PACKAGES;

/** Every client name, in the order above. */
export const CLIENT_NAMES = Object.keys(PACKAGES) as ClientName[];

type ClientClass<K extends ClientName> = Awaited<ReturnType<(typeof PACKAGES)[K]>>["Client"];

/** The SDK clients the tool uses, each made on first use (from a package loaded beforehand). */
export type Clients = { [K in ClientName]: InstanceType<ClientClass<K>> };

export interface ClientOptions {
  region: string;
  profile?: string | undefined;
  /** A custom endpoint for every service (AWS_ENDPOINT_URL), e.g. LocalStack. */
  endpoint?: string | undefined;
  /** Overrides the standard credential chain (tests). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  /** Middleware plugged into every client (tests plug the fake AWS in here). */
  plugins?: Pluggable<object, object>[] | undefined;
}

/**
 * The SDK's standard retry strategy (throttling, 5xx, timeouts, with jittered exponential
 * backoff), with more attempts than its default three. A deploy stopped halfway costs more than
 * a few more seconds of backoff: on a network that loses one call in five, 5 attempts still let
 * one call in 3,125 fail (a few percent of a stack's runs of about a hundred mutating calls),
 * 8 attempts one in 390,625. API Gateway's control plane has per-account quotas as low as one
 * DeleteRestApi per 30 s, so it gets more still.
 */
export const MAX_ATTEMPTS = { default: 8, apigateway: 10 } as const;

/** What a client is given beyond the region, credentials, endpoint and retries all share. */
const OWN_CONFIG: { readonly [K in ClientName]?: (o: ClientOptions) => object } = {
  // Path-style addressing: LocalStack-style endpoints don't resolve bucket subdomains.
  s3: (o) => ({ forcePathStyle: o.endpoint !== undefined }),
  apigateway: () => ({ maxAttempts: MAX_ATTEMPTS.apigateway }),
};

/** The client classes loaded so far in this process. */
const loaded = new Map<ClientName, new (config: object) => unknown>();

/**
 * Loads the packages of these clients (all at once); a run awaits this, for what it will use,
 * before it makes its clients. Loading one twice costs nothing.
 */
export async function loadClients(names: Iterable<ClientName>): Promise<void> {
  await Promise.all(
    [...new Set(names)].map(async (name) => {
      if (!loaded.has(name)) loaded.set(name, (await PACKAGES[name]()).Client);
    }),
  );
}

/** A client of a loaded package, made now with this configuration (no plugins, no sharing). */
export function makeClient<K extends ClientName>(
  name: K,
  config: object,
): InstanceType<ClientClass<K>> {
  const Client = loaded.get(name);
  if (!Client) throw notLoaded(name);
  // The map holds PACKAGES[name]'s class under name (loadClients).
  return new Client(config) as InstanceType<ClientClass<K>>;
}

function notLoaded(name: ClientName): Error {
  return new Error(
    `the ${name} client was used but not loaded for this run: list it in the clients of the resource kind (or command) that calls it`,
  );
}

/** The clients made so far by each Clients object: destroyClients closes only these. */
const madeBy = new WeakMap<Clients, Map<ClientName, { destroy(): void }>>();

/**
 * The clients of a run: each made on first use, all sharing one credential chain. `only`: the
 * clients this run loaded; using another is a bug, reported as such (the default: any loaded).
 */
export function createClients(
  options: ClientOptions,
  only: readonly ClientName[] = CLIENT_NAMES,
): Clients {
  const credentials =
    options.credentials ??
    fromNodeProviderChain(options.profile ? { profile: options.profile } : {});
  const base = {
    region: options.region,
    credentials,
    maxAttempts: MAX_ATTEMPTS.default,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  const made = new Map<ClientName, { destroy(): void }>();
  const clients = lazily(only, (name) => {
    const client = makeClient(name, { ...base, ...OWN_CONFIG[name]?.(options) }) as {
      destroy(): void;
      middlewareStack: { use(p: unknown): void };
    };
    for (const plugin of options.plugins ?? []) client.middlewareStack.use(plugin);
    made.set(name, client);
    return client;
  });
  madeBy.set(clients, made);
  return clients;
}

/**
 * The same clients, of which a run may use only `names` (what it loaded): tests hand every
 * client in, and this makes a kind that calls a client it does not list fail there too.
 */
export function onlyClients(clients: Clients, names: readonly ClientName[]): Clients {
  const view = lazily(names, (name) => clients[name]);
  const made = madeBy.get(clients);
  if (made) madeBy.set(view, made);
  return view;
}

/**
 * An object with a property per name, each computed on first read (or set, e.g. by a test that
 * swaps one client); reading another name throws.
 */
function lazily(names: readonly ClientName[], make: (name: ClientName) => unknown): Clients {
  const allowed = new Set(names);
  const target = {};
  for (const name of CLIENT_NAMES) {
    let value: unknown;
    Object.defineProperty(target, name, {
      enumerable: allowed.has(name),
      get() {
        if (!allowed.has(name)) throw notLoaded(name);
        return (value ??= make(name));
      },
      set(client: unknown) {
        value = client;
      },
    });
  }
  // Each getter returns Clients[name] (made by makeClient for that name).
  return target as Clients;
}

/** Loads the packages of these clients, then makes them (on first use) for a run. */
export async function clientsFor(
  options: ClientOptions,
  names: readonly ClientName[],
): Promise<Clients> {
  await loadClients(names);
  return createClients(options, names);
}

/** Closes every client made (their sockets would keep the process alive). */
export function destroyClients(clients: Clients): void {
  for (const client of madeBy.get(clients)?.values() ?? []) client.destroy();
}

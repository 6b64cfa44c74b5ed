import { isMutating, type CallContext, type FakeService, type OperationHandler } from "./core.js";
import { errorsFor } from "./errors.js";
import type { FakeIam } from "./iam.js";

const err = errorsFor("APIGateway");

export interface Integration {
  type: string;
  httpMethod: string | undefined;
  uri: string | undefined;
}

export interface Method {
  httpMethod: string;
  authorizationType: string;
  authorizerId?: string | undefined;
  apiKeyRequired: boolean;
  integration: Integration | undefined;
}

export interface ApiKey {
  id: string;
  region: string;
  name: string;
  description: string | undefined;
  /** The secret callers send as x-api-key. */
  value: string;
  enabled: boolean;
  createdAt: number;
  tags: Map<string, string>;
}

export interface UsagePlan {
  id: string;
  region: string;
  name: string;
  description: string | undefined;
  /** "apiId:stage". */
  apiStages: string[];
  throttle: { rateLimit?: number; burstLimit?: number } | undefined;
  quota: { limit?: number; period?: string; offset?: number } | undefined;
  keyIds: string[];
  tags: Map<string, string>;
}

export interface ApiResource {
  id: string;
  parentId: string | undefined;
  pathPart: string | undefined;
  path: string;
  methods: Map<string, Method>;
}

/** What a deployment froze: path → method → integration. */
export type RouteSnapshot = Record<string, Record<string, Method>>;

export interface Deployment {
  id: string;
  description: string | undefined;
  createdAt: number;
  routes: RouteSnapshot;
}

export interface MethodSetting {
  loggingLevel: string;
  dataTraceEnabled: boolean;
  metricsEnabled: boolean;
  throttlingRateLimit: number;
  throttlingBurstLimit: number;
}

export interface Stage {
  name: string;
  deploymentId: string;
  tracingEnabled: boolean;
  methodSettings: Map<string, MethodSetting>;
  accessLogSettings: { destinationArn?: string; format?: string } | undefined;
  tags: Map<string, string>;
  createdAt: number;
}

export interface RestApi {
  id: string;
  region: string;
  name: string;
  description: string | undefined;
  endpointTypes: string[];
  disableExecuteApiEndpoint: boolean;
  createdAt: number;
  tags: Map<string, string>;
  rootResourceId: string;
  resources: Map<string, ApiResource>;
  deployments: Map<string, Deployment>;
  stages: Map<string, Stage>;
  authorizers: Map<string, Authorizer>;
}

/** A custom domain name (regional) and its base path mappings. */
export interface DomainName {
  name: string;
  region: string;
  regionalCertificateArn: string | undefined;
  certificateArn: string | undefined;
  endpointTypes: string[];
  securityPolicy: string;
  regionalDomainName: string;
  regionalHostedZoneId: string;
  tags: Map<string, string>;
  /** basePath ("(none)" for the root) → where it leads. */
  mappings: Map<string, { restApiId: string; stage: string }>;
}

/** The certificates API Gateway may use, as ACM has them (the fake ACM answers). */
export interface CertificateLookup {
  status(arn: string): string | undefined;
}

/** The hosted zone of every regional API Gateway endpoint of a region (Route 53 alias targets). */
export const REGIONAL_HOSTED_ZONES: Record<string, string> = {
  "us-east-1": "Z1UJRXOUMOOFQ8",
  "us-west-2": "Z2OJLYMUO9EFXC",
  "eu-west-1": "ZLY8HYME6SFDD",
};

export interface Authorizer {
  id: string;
  name: string;
  type: string;
  providerARNs: string[];
  identitySource: string | undefined;
}

/** One operation's token bucket: `perSecond` refill, `burst` capacity. */
interface Bucket {
  perSecond: number;
  burst: number;
  tokens: number;
  at: number;
}

/** AWS's fixed control-plane quotas (per account); everything not named gets 10 rps. */
export const API_GATEWAY_QUOTAS: Record<string, { perSecond: number; burst: number }> = {
  CreateRestApi: { perSecond: 1 / 3, burst: 1 },
  DeleteRestApi: { perSecond: 1 / 30, burst: 1 },
  CreateDeployment: { perSecond: 1 / 5, burst: 1 },
  UpdateAccount: { perSecond: 1 / 20, burst: 1 },
  CreateResource: { perSecond: 5, burst: 5 },
  // One per 30 s per account, both (the quotas page; AWS re:Post on DeleteDomainName).
  CreateDomainName: { perSecond: 1 / 30, burst: 1 },
  DeleteDomainName: { perSecond: 1 / 30, burst: 1 },
};
const DEFAULT_QUOTA = { perSecond: 10, burst: 10 };

/**
 * API Gateway applies a change to a REST API in the background; another change to the same API
 * meanwhile is refused with ConflictException (409). Off (0 ms) by default.
 */
export interface ConcurrencyModel {
  /** How long a change keeps its REST API busy, ms. */
  busyMs: number;
}

const CONCURRENT_MODIFICATION =
  "Unable to complete operation due to concurrent modification. Please try again later.";

export interface QuotaModel {
  /** Off by default so tests stay fast. */
  enabled: boolean;
  /** Multiplies every refill rate: 10 makes the 30 s DeleteRestApi quota 3 s. */
  scale: number;
}

type In = Record<string, unknown>;
interface PatchOp {
  op: string;
  path: string;
  value?: string;
}

const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const LOGGING_ROLE_MISSING =
  "CloudWatch Logs role ARN must be set in account settings to enable logging";
const ROLE_NOT_USABLE = "The role ARN does not have required permissions set to API Gateway";

/**
 * The API Gateway (REST, v1) control plane: APIs, their resource tree, methods, integrations,
 * deployments (snapshots of the routes), stages, tags and the per-region account settings.
 */
export class FakeApiGateway implements FakeService {
  readonly name = "APIGateway";
  readonly apis = new Map<string, RestApi>();
  readonly apiKeys = new Map<string, ApiKey>();
  readonly usagePlans = new Map<string, UsagePlan>();
  readonly domainNames = new Map<string, DomainName>();
  /** Set by the account: ACM's view of certificates, for CreateDomainName. */
  certificates: CertificateLookup = { status: () => undefined };
  /** region → the account's CloudWatch Logs role ARN. */
  readonly accountRoles = new Map<string, string>();
  readonly quota: QuotaModel = { enabled: false, scale: 1 };
  readonly concurrency: ConcurrencyModel = { busyMs: 0 };
  /** REST API id → until when a change to it is still being applied, ms epoch. */
  readonly #busyUntil = new Map<string, number>();
  readonly operations: FakeService["operations"];
  // Rate-limit bookkeeping, not account state: private (#), so inventories and snapshots skip it.
  readonly #buckets = new Map<string, Bucket>();

  /** Full quota buckets again, as after a pause between two commands. */
  resetQuotas(): void {
    this.#buckets.clear();
  }

  constructor(private readonly iam: FakeIam) {
    const ops: Record<string, OperationHandler> = {
      CreateRestApi: (i, c) => this.createRestApi(i, c),
      GetRestApi: (i, c) => this.describeApi(this.api(i, c)),
      GetRestApis: (i, c) =>
        this.page(
          [...this.apis.values()]
            .filter((a) => a.region === c.region)
            .map((a) => this.describeApi(a)),
          i,
        ),
      UpdateRestApi: (i, c) => {
        const a = this.api(i, c);
        for (const p of patches(i)) {
          const m = /^\/endpointConfiguration\/types\/(\w+)$/.exec(p.path);
          if (m && p.op === "replace" && p.value) {
            a.endpointTypes = a.endpointTypes.map((t) => (t === m[1] ? (p.value as string) : t));
          } else if (p.path === "/description" && p.op === "replace") {
            a.description = p.value;
          } else if (p.path === "/disableExecuteApiEndpoint" && p.op === "replace") {
            a.disableExecuteApiEndpoint = bool(p.value ?? "", p.path);
          } else if (p.path === "/name" && p.op === "replace" && p.value) {
            a.name = p.value;
          } else {
            throw err("BadRequestException", `Invalid patch path ${p.path}`);
          }
        }
        return this.describeApi(a);
      },
      DeleteRestApi: (i, c) => {
        this.apis.delete(this.api(i, c).id);
        return {};
      },
      GetResources: (i, c) => {
        const a = this.api(i, c);
        const embed = ((i.embed as string[] | undefined) ?? []).includes("methods");
        return this.page(
          [...a.resources.values()].map((r) => this.describeResource(r, embed)),
          i,
        );
      },
      GetResource: (i, c) => {
        const embed = ((i.embed as string[] | undefined) ?? []).includes("methods");
        return this.describeResource(this.resource(this.api(i, c), i), embed);
      },
      CreateResource: (i, c) => {
        const a = this.api(i, c);
        const parent = a.resources.get(i.parentId as string);
        if (!parent) throw err("NotFoundException", "Invalid Resource identifier specified", 404);
        const pathPart = i.pathPart as string;
        if (
          [...a.resources.values()].some((r) => r.parentId === parent.id && r.pathPart === pathPart)
        )
          throw err(
            "ConflictException",
            `Another resource with the same parent already has this name: ${pathPart}`,
            409,
          );
        const r: ApiResource = {
          id: newId(10),
          parentId: parent.id,
          pathPart,
          path: parent.path === "/" ? `/${pathPart}` : `${parent.path}/${pathPart}`,
          methods: new Map(),
        };
        a.resources.set(r.id, r);
        return this.describeResource(r, false);
      },
      DeleteResource: (i, c) => {
        const a = this.api(i, c);
        const r = this.resource(a, i);
        if (r.id === a.rootResourceId)
          throw err("BadRequestException", "Cannot delete root resource", 400);
        // Deleting a resource deletes its whole subtree.
        const doomed = new Set([r.id]);
        for (let grew = true; grew;) {
          grew = false;
          for (const x of a.resources.values()) {
            if (x.parentId && doomed.has(x.parentId) && !doomed.has(x.id)) {
              doomed.add(x.id);
              grew = true;
            }
          }
        }
        for (const id of doomed) a.resources.delete(id);
        return {};
      },
      PutMethod: (i, c) => {
        const r = this.resource(this.api(i, c), i);
        const httpMethod = i.httpMethod as string;
        if (r.methods.has(httpMethod))
          throw err("ConflictException", "Method already exists for this resource", 409);
        const authorizationType = i.authorizationType as string;
        if (!["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"].includes(authorizationType))
          throw err("BadRequestException", `Invalid authorization type: ${authorizationType}`);
        if (
          (authorizationType === "CUSTOM" || authorizationType === "COGNITO_USER_POOLS") &&
          !i.authorizerId
        )
          throw err("BadRequestException", "Invalid authorizer ID specified");
        const api = this.api(i, c);
        if (i.authorizerId && !api.authorizers.has(i.authorizerId as string))
          throw err("BadRequestException", "Invalid authorizer ID specified");
        const m: Method = {
          httpMethod,
          authorizationType,
          authorizerId: i.authorizerId as string | undefined,
          apiKeyRequired: i.apiKeyRequired === true,
          integration: undefined,
        };
        r.methods.set(httpMethod, m);
        return describeMethod(m);
      },
      GetMethod: (i, c) => describeMethod(this.method(i, c)),
      DeleteMethod: (i, c) => {
        const r = this.resource(this.api(i, c), i);
        if (!r.methods.delete(i.httpMethod as string))
          throw err("NotFoundException", "Invalid Method identifier specified", 404);
        return {};
      },
      PutIntegration: (i, c) => {
        const m = this.method(i, c);
        const type = i.type as string;
        if ((type === "AWS" || type === "AWS_PROXY") && !i.integrationHttpMethod)
          throw err("BadRequestException", "Enumeration value for HttpMethod must be non-empty");
        if (type !== "MOCK" && !i.uri)
          throw err("BadRequestException", "Invalid integration URI specified");
        m.integration = {
          type,
          httpMethod: i.integrationHttpMethod as string | undefined,
          uri: i.uri as string | undefined,
        };
        return describeIntegration(m.integration);
      },
      GetIntegration: (i, c) => {
        const m = this.method(i, c);
        if (!m.integration)
          throw err("NotFoundException", "No integration defined for method", 404);
        return describeIntegration(m.integration);
      },
      DeleteIntegration: (i, c) => {
        const m = this.method(i, c);
        if (!m.integration)
          throw err("NotFoundException", "No integration defined for method", 404);
        m.integration = undefined;
        return {};
      },
      CreateDeployment: (i, c) => this.createDeployment(i, c),
      GetDeployment: (i, c) => {
        const d = this.deployment(this.api(i, c), i.deploymentId as string);
        return describeDeployment(
          d,
          ((i.embed as string[] | undefined) ?? []).includes("apisummary"),
        );
      },
      GetDeployments: (i, c) =>
        this.page(
          [...this.api(i, c).deployments.values()].map((d) => describeDeployment(d, false)),
          i,
        ),
      DeleteDeployment: (i, c) => {
        const a = this.api(i, c);
        const d = this.deployment(a, i.deploymentId as string);
        if ([...a.stages.values()].some((s) => s.deploymentId === d.id))
          throw err(
            "BadRequestException",
            "Active stages pointing to this deployment must be moved or deleted",
          );
        a.deployments.delete(d.id);
        return {};
      },
      CreateStage: (i, c) => {
        const a = this.api(i, c);
        const name = i.stageName as string;
        if (a.stages.has(name)) throw err("ConflictException", "Stage already exists", 409);
        this.deployment(a, i.deploymentId as string);
        const s: Stage = {
          name,
          deploymentId: i.deploymentId as string,
          tracingEnabled: i.tracingEnabled === true,
          methodSettings: new Map(),
          accessLogSettings: undefined,
          tags: new Map(Object.entries((i.tags as Record<string, string> | undefined) ?? {})),
          createdAt: c.now,
        };
        a.stages.set(name, s);
        return describeStage(s);
      },
      GetStage: (i, c) => describeStage(this.stage(this.api(i, c), i)),
      GetStages: (i, c) => ({
        item: [...this.api(i, c).stages.values()].map(describeStage),
      }),
      UpdateStage: (i, c) => this.updateStage(i, c),
      DeleteStage: (i, c) => {
        const a = this.api(i, c);
        a.stages.delete(this.stage(a, i).name);
        return {};
      },
      TagResource: (i, c) => {
        const tags = this.taggable(i.resourceArn as string, c);
        for (const [k, v] of Object.entries(i.tags as Record<string, string>)) tags.set(k, v);
        return {};
      },
      UntagResource: (i, c) => {
        const tags = this.taggable(i.resourceArn as string, c);
        for (const k of i.tagKeys as string[]) tags.delete(k);
        return {};
      },
      GetTags: (i, c) => ({
        tags: Object.fromEntries(this.taggable(i.resourceArn as string, c)),
      }),
      ...this.keyAndPlanOperations(),
      ...this.domainOperations(),
      CreateAuthorizer: (i, c) => {
        const a = this.api(i, c);
        const type = i.type as string;
        if (
          type === "COGNITO_USER_POOLS" &&
          !((i.providerARNs as string[] | undefined) ?? []).length
        )
          throw err(
            "BadRequestException",
            "ProviderARNs need to be specified for COGNITO_USER_POOLS",
          );
        const x: Authorizer = {
          id: newId(6),
          name: i.name as string,
          type,
          providerARNs: [...((i.providerARNs as string[] | undefined) ?? [])],
          identitySource: i.identitySource as string | undefined,
        };
        a.authorizers.set(x.id, x);
        return { ...x };
      },
      GetAuthorizers: (i, c) =>
        this.page(
          [...this.api(i, c).authorizers.values()].map((x) => ({ ...x })),
          i,
        ),
      GetAuthorizer: (i, c) => {
        const x = this.api(i, c).authorizers.get(i.authorizerId as string);
        if (!x) throw err("NotFoundException", "Invalid Authorizer identifier specified", 404);
        return { ...x };
      },
      DeleteAuthorizer: (i, c) => {
        const a = this.api(i, c);
        const x = a.authorizers.get(i.authorizerId as string);
        if (!x) throw err("NotFoundException", "Invalid Authorizer identifier specified", 404);
        for (const r of a.resources.values()) {
          for (const m of r.methods.values()) {
            if (m.authorizerId === x.id && m.authorizationType === "COGNITO_USER_POOLS")
              throw err(
                "BadRequestException",
                `Cannot delete authorizer '${x.name}', is referenced in method: ${m.httpMethod}${r.path}`,
              );
          }
        }
        a.authorizers.delete(x.id);
        return {};
      },
      GetAccount: (_i, c) => this.describeAccount(c.region),
      UpdateAccount: (i, c) => {
        for (const p of patches(i)) {
          if (p.path !== "/cloudwatchRoleArn")
            throw err("BadRequestException", `Invalid patch path ${p.path}`);
          if (p.op === "remove" || (p.op === "replace" && !p.value)) {
            this.accountRoles.delete(c.region);
            continue;
          }
          const role = this.iam.usableRole(p.value as string, c.now);
          if (!role || !this.iam.trusts(role, "apigateway.amazonaws.com"))
            throw err("BadRequestException", ROLE_NOT_USABLE);
          this.accountRoles.set(c.region, p.value as string);
        }
        return this.describeAccount(c.region);
      },
    };
    this.operations = Object.fromEntries(
      Object.entries(ops).map(([name, impl]) => [
        name,
        (i: In, c: CallContext) => {
          this.throttle(name, c.now);
          const apiId = typeof i.restApiId === "string" ? i.restApiId : undefined;
          if (!apiId || !isMutating(name) || this.concurrency.busyMs <= 0) return impl(i, c);
          if ((this.#busyUntil.get(apiId) ?? 0) > c.now)
            throw err("ConflictException", CONCURRENT_MODIFICATION, 409);
          const out = impl(i, c);
          this.#busyUntil.set(apiId, c.now + this.concurrency.busyMs);
          return out;
        },
      ]),
    );
  }

  /** The API's routes as they are now, path → method → integration (for assertions). */
  routes(apiId: string): RouteSnapshot {
    const a = this.apis.get(apiId);
    if (!a) throw new Error(`no REST API ${apiId}`);
    return snapshot(a);
  }

  private throttle(operation: string, now: number): void {
    if (!this.quota.enabled) return;
    const q = API_GATEWAY_QUOTAS[operation] ?? DEFAULT_QUOTA;
    let b = this.#buckets.get(operation);
    if (!b) {
      b = { ...q, tokens: q.burst, at: now };
      this.#buckets.set(operation, b);
    }
    b.tokens = Math.min(b.burst, b.tokens + ((now - b.at) / 1000) * b.perSecond * this.quota.scale);
    b.at = now;
    if (b.tokens < 1) throw err("TooManyRequestsException", "Too Many Requests", 429);
    b.tokens -= 1;
  }

  private page<T>(items: T[], i: In): { items: T[]; position?: string } {
    const limit = Math.min((i.limit as number | undefined) ?? 25, 500);
    const start = i.position
      ? Number(Buffer.from(i.position as string, "base64url").toString())
      : 0;
    if (!Number.isInteger(start) || start < 0)
      throw err("BadRequestException", "Invalid pagination position");
    const end = start + limit;
    return {
      items: items.slice(start, end),
      ...(end < items.length ? { position: Buffer.from(String(end)).toString("base64url") } : {}),
    };
  }

  private createRestApi(i: In, c: CallContext): object {
    const types = (
      (i.endpointConfiguration as { types?: string[] } | undefined)?.types ?? ["EDGE"]
    ).slice();
    const rootId = newId(10);
    const a: RestApi = {
      id: newId(10),
      region: c.region,
      name: i.name as string,
      description: i.description as string | undefined,
      endpointTypes: types,
      disableExecuteApiEndpoint: i.disableExecuteApiEndpoint === true,
      createdAt: c.now,
      tags: new Map(Object.entries((i.tags as Record<string, string> | undefined) ?? {})),
      rootResourceId: rootId,
      resources: new Map([
        [
          rootId,
          { id: rootId, parentId: undefined, pathPart: undefined, path: "/", methods: new Map() },
        ],
      ]),
      deployments: new Map(),
      stages: new Map(),
      authorizers: new Map(),
    };
    this.apis.set(a.id, a);
    return this.describeApi(a);
  }

  private createDeployment(i: In, c: CallContext): object {
    const a = this.api(i, c);
    const routes = snapshot(a);
    if (!Object.values(routes).some((m) => Object.keys(m).length))
      throw err("BadRequestException", "The REST API doesn't contain any methods");
    for (const [path, methods] of Object.entries(routes)) {
      for (const m of Object.values(methods)) {
        if (!m.integration)
          throw err(
            "BadRequestException",
            `No integration defined for method ${m.httpMethod} ${path}`,
          );
      }
    }
    const d: Deployment = {
      id: newId(6),
      description: i.description as string | undefined,
      createdAt: c.now,
      routes,
    };
    a.deployments.set(d.id, d);
    const stageName = i.stageName as string | undefined;
    if (stageName) {
      const s = a.stages.get(stageName);
      if (s) s.deploymentId = d.id;
      else
        a.stages.set(stageName, {
          name: stageName,
          deploymentId: d.id,
          tracingEnabled: i.tracingEnabled === true,
          methodSettings: new Map(),
          accessLogSettings: undefined,
          tags: new Map(),
          createdAt: c.now,
        });
    }
    return describeDeployment(d, false);
  }

  private updateStage(i: In, c: CallContext): object {
    const a = this.api(i, c);
    const s = this.stage(a, i);
    // AWS applies the whole patch or nothing: work on a copy.
    const next: Stage = {
      ...s,
      methodSettings: new Map([...s.methodSettings].map(([k, v]) => [k, { ...v }])),
      accessLogSettings: s.accessLogSettings && { ...s.accessLogSettings },
    };
    for (const p of patches(i)) {
      const value = p.value ?? "";
      const setting =
        /^\/([^/]+)\/([^/]+)\/(logging\/loglevel|logging\/dataTrace|metrics\/enabled|throttling\/rateLimit|throttling\/burstLimit)$/.exec(
          p.path,
        );
      if (p.path === "/tracingEnabled") next.tracingEnabled = bool(value, p.path);
      else if (p.path === "/deploymentId") {
        this.deployment(a, value);
        next.deploymentId = value;
      } else if (p.path === "/accessLogSettings/destinationArn" && p.op === "replace") {
        if (!/^arn:aws[\w-]*:(logs|firehose):/.test(value))
          throw err("BadRequestException", "Invalid ARN specified in the request");
        next.accessLogSettings = { ...next.accessLogSettings, destinationArn: value };
      } else if (p.path === "/accessLogSettings/format" && p.op === "replace") {
        next.accessLogSettings = { ...next.accessLogSettings, format: value };
      } else if (p.path === "/accessLogSettings" && p.op === "remove") {
        next.accessLogSettings = undefined;
      } else if (setting) {
        const key = `${unescapePath(setting[1] as string)}/${unescapePath(setting[2] as string)}`;
        const ms = next.methodSettings.get(key) ?? {
          loggingLevel: "OFF",
          dataTraceEnabled: false,
          metricsEnabled: false,
          throttlingRateLimit: 10000,
          throttlingBurstLimit: 5000,
        };
        switch (setting[3]) {
          case "logging/loglevel":
            if (!["OFF", "ERROR", "INFO"].includes(value))
              throw err("BadRequestException", `Invalid logging level: ${value}`);
            ms.loggingLevel = value;
            break;
          case "logging/dataTrace":
            ms.dataTraceEnabled = bool(value, p.path);
            break;
          case "metrics/enabled":
            ms.metricsEnabled = bool(value, p.path);
            break;
          case "throttling/rateLimit":
            ms.throttlingRateLimit = num(value, p.path);
            break;
          case "throttling/burstLimit":
            ms.throttlingBurstLimit = num(value, p.path);
            break;
        }
        next.methodSettings.set(key, ms);
      } else {
        throw err("BadRequestException", `Invalid patch path ${p.path}`);
      }
    }
    const logs =
      [...next.methodSettings.values()].some((m) => m.loggingLevel !== "OFF") ||
      !!next.accessLogSettings?.destinationArn;
    if (logs && !this.accountRoles.get(c.region))
      throw err("BadRequestException", LOGGING_ROLE_MISSING);
    a.stages.set(s.name, next);
    return describeStage(next);
  }

  private describeAccount(region: string): object {
    const arn = this.accountRoles.get(region);
    return {
      ...(arn ? { cloudwatchRoleArn: arn } : {}),
      throttleSettings: { burstLimit: 5000, rateLimit: 10000 },
      features: ["UsagePlans"],
      apiKeyVersion: "4",
    };
  }

  private api(i: In, c: CallContext): RestApi {
    const a = this.apis.get(i.restApiId as string);
    if (!a || a.region !== c.region)
      throw err("NotFoundException", "Invalid REST API identifier specified", 404);
    return a;
  }

  private resource(a: RestApi, i: In): ApiResource {
    const r = a.resources.get(i.resourceId as string);
    if (!r) throw err("NotFoundException", "Invalid Resource identifier specified", 404);
    return r;
  }

  private method(i: In, c: CallContext): Method {
    const m = this.resource(this.api(i, c), i).methods.get(i.httpMethod as string);
    if (!m) throw err("NotFoundException", "Invalid Method identifier specified", 404);
    return m;
  }

  private deployment(a: RestApi, id: string): Deployment {
    const d = a.deployments.get(id);
    if (!d) throw err("NotFoundException", "Invalid Deployment identifier specified", 404);
    return d;
  }

  private stage(a: RestApi, i: In): Stage {
    const s = a.stages.get(i.stageName as string);
    if (!s) throw err("NotFoundException", "Invalid Stage identifier specified", 404);
    return s;
  }

  /** `arn:aws:apigateway:REGION::/restapis/ID[/stages/NAME]` → that resource's tags. */
  /** API keys and the usage plans that meter them (account-wide, per region). */
  private keyAndPlanOperations(): Record<string, OperationHandler> {
    const key = (id: unknown, c: CallContext): ApiKey => {
      const k = this.apiKeys.get(id as string);
      if (!k || k.region !== c.region)
        throw err("NotFoundException", "Invalid API Key identifier specified", 404);
      return k;
    };
    const plan = (id: unknown, c: CallContext): UsagePlan => {
      const u = this.usagePlans.get(id as string);
      if (!u || u.region !== c.region)
        throw err("NotFoundException", "Invalid Usage Plan ID specified", 404);
      return u;
    };
    const stageExists = (ref: string, c: CallContext) => {
      const [apiId, stage] = ref.split(":");
      const a = this.apis.get(apiId ?? "");
      if (!a || a.region !== c.region || !a.stages.has(stage ?? ""))
        throw err("NotFoundException", `Invalid stage identifier specified`, 404);
    };
    return {
      CreateApiKey: (i, c) => {
        const k: ApiKey = {
          id: newId(10),
          region: c.region,
          name: (i.name as string | undefined) ?? newId(8),
          description: i.description as string | undefined,
          value: (i.value as string | undefined) ?? newId(40),
          enabled: i.enabled === true,
          createdAt: c.now,
          tags: new Map(Object.entries((i.tags as Record<string, string> | undefined) ?? {})),
        };
        this.apiKeys.set(k.id, k);
        return describeApiKey(k, true);
      },
      GetApiKey: (i, c) => describeApiKey(key(i.apiKey, c), i.includeValue === true),
      GetApiKeys: (i, c) =>
        this.page(
          [...this.apiKeys.values()]
            .filter((k) => k.region === c.region)
            .filter((k) => !i.nameQuery || k.name.startsWith(i.nameQuery as string))
            .map((k) => describeApiKey(k, i.includeValues === true)),
          i,
        ),
      UpdateApiKey: (i, c) => {
        const k = key(i.apiKey, c);
        for (const p of patches(i)) {
          if (p.op !== "replace") throw err("BadRequestException", `Invalid patch op ${p.op}`);
          if (p.path === "/enabled") k.enabled = bool(p.value ?? "", p.path);
          else if (p.path === "/name" && p.value) k.name = p.value;
          else if (p.path === "/description") k.description = p.value;
          else throw err("BadRequestException", `Invalid patch path ${p.path}`);
        }
        return describeApiKey(k, false);
      },
      DeleteApiKey: (i, c) => {
        const k = key(i.apiKey, c);
        this.apiKeys.delete(k.id);
        for (const u of this.usagePlans.values()) u.keyIds = u.keyIds.filter((x) => x !== k.id);
        return {};
      },
      CreateUsagePlan: (i, c) => {
        const stages = ((i.apiStages as { apiId: string; stage: string }[] | undefined) ?? []).map(
          (s) => `${s.apiId}:${s.stage}`,
        );
        for (const ref of stages) stageExists(ref, c);
        const u: UsagePlan = {
          id: newId(6),
          region: c.region,
          name: i.name as string,
          description: i.description as string | undefined,
          apiStages: stages,
          throttle: i.throttle ? { ...(i.throttle as object) } : undefined,
          quota: i.quota ? { offset: 0, ...(i.quota as object) } : undefined,
          keyIds: [],
          tags: new Map(Object.entries((i.tags as Record<string, string> | undefined) ?? {})),
        };
        this.usagePlans.set(u.id, u);
        return describeUsagePlan(u);
      },
      GetUsagePlan: (i, c) => describeUsagePlan(plan(i.usagePlanId, c)),
      GetUsagePlans: (i, c) =>
        this.page(
          [...this.usagePlans.values()]
            .filter((u) => u.region === c.region)
            .filter((u) => !i.keyId || u.keyIds.includes(i.keyId as string))
            .map(describeUsagePlan),
          i,
        ),
      UpdateUsagePlan: (i, c) => {
        const u = plan(i.usagePlanId, c);
        for (const p of patches(i)) {
          const v = p.value ?? "";
          if (p.path === "/apiStages" && p.op === "add") {
            stageExists(v, c);
            if (!u.apiStages.includes(v)) u.apiStages.push(v);
          } else if (p.path === "/apiStages" && p.op === "remove") {
            if (!u.apiStages.includes(v))
              throw err("NotFoundException", `Invalid API stage: ${v}`, 404);
            u.apiStages = u.apiStages.filter((x) => x !== v);
          } else if (p.op === "replace" && p.path === "/throttle/rateLimit") {
            u.throttle = { ...u.throttle, rateLimit: num(v, p.path) };
          } else if (p.op === "replace" && p.path === "/throttle/burstLimit") {
            u.throttle = { ...u.throttle, burstLimit: num(v, p.path) };
          } else if (p.op === "replace" && p.path === "/quota/limit") {
            u.quota = { offset: 0, ...u.quota, limit: num(v, p.path) };
          } else if (p.op === "replace" && p.path === "/quota/period") {
            if (!["DAY", "WEEK", "MONTH"].includes(v))
              throw err("BadRequestException", `Invalid quota period: ${v}`);
            u.quota = { offset: 0, ...u.quota, period: v };
          } else if (p.op === "replace" && p.path === "/name" && v) {
            u.name = v;
          } else if (p.op === "replace" && p.path === "/description") {
            u.description = v;
          } else {
            throw err("BadRequestException", `Invalid patch path ${p.path}`);
          }
        }
        return describeUsagePlan(u);
      },
      DeleteUsagePlan: (i, c) => {
        const u = plan(i.usagePlanId, c);
        if (u.apiStages.length)
          throw err(
            "BadRequestException",
            `Cannot delete Usage Plan ${u.id} because it is associated with API stages. Remove the API stages first.`,
          );
        this.usagePlans.delete(u.id);
        return {};
      },
      CreateUsagePlanKey: (i, c) => {
        const u = plan(i.usagePlanId, c);
        const k = key(i.keyId, c);
        if (i.keyType !== "API_KEY") throw err("BadRequestException", "Invalid key type");
        if (u.keyIds.includes(k.id))
          throw err(
            "ConflictException",
            `Usage Plan ${u.id} cannot be added because the key is already associated with it`,
            409,
          );
        u.keyIds.push(k.id);
        return { id: k.id, type: "API_KEY", name: k.name };
      },
      GetUsagePlanKeys: (i, c) =>
        this.page(
          plan(i.usagePlanId, c).keyIds.map((id) => ({
            id,
            type: "API_KEY",
            name: this.apiKeys.get(id)?.name,
          })),
          i,
        ),
      DeleteUsagePlanKey: (i, c) => {
        const u = plan(i.usagePlanId, c);
        if (!u.keyIds.includes(i.keyId as string))
          throw err("NotFoundException", "Invalid Usage Plan Key identifier specified", 404);
        u.keyIds = u.keyIds.filter((x) => x !== i.keyId);
        return {};
      },
    };
  }

  /** Whether a regional domain name of this region uses the certificate (ACM's InUseBy). */
  usesCertificate(arn: string): boolean {
    return [...this.domainNames.values()].some(
      (d) => d.regionalCertificateArn === arn || d.certificateArn === arn,
    );
  }

  private domain(i: In, c: CallContext): DomainName {
    const d = this.domainNames.get(i.domainName as string);
    if (!d || d.region !== c.region)
      throw err("NotFoundException", "Invalid domain name identifier specified", 404);
    return d;
  }

  private domainOperations(): Record<string, OperationHandler> {
    const describe = (d: DomainName) => ({
      domainName: d.name,
      ...(d.regionalCertificateArn ? { regionalCertificateArn: d.regionalCertificateArn } : {}),
      regionalDomainName: d.regionalDomainName,
      regionalHostedZoneId: d.regionalHostedZoneId,
      endpointConfiguration: { types: [...d.endpointTypes] },
      domainNameStatus: "AVAILABLE",
      securityPolicy: d.securityPolicy,
      tags: Object.fromEntries(d.tags),
    });
    const mapping = (basePath: string, m: { restApiId: string; stage: string }) => ({
      basePath,
      restApiId: m.restApiId,
      stage: m.stage,
    });
    const usable = (arn: unknown, c: CallContext) => {
      const status = typeof arn === "string" ? this.certificates.status(arn) : undefined;
      if (status === undefined || !(arn as string).includes(`:${c.region}:`))
        throw err("BadRequestException", "Invalid certificate ARN specified");
      if (status !== "ISSUED")
        throw err("BadRequestException", `Certificate ${arn as string} is not issued`);
    };
    return {
      CreateDomainName: (i, c) => {
        const name = i.domainName as string;
        if (this.domainNames.has(name))
          throw err("ConflictException", "The domain name you provided already exists.", 409);
        const types = (i.endpointConfiguration as { types?: string[] } | undefined)?.types ?? [
          "EDGE",
        ];
        if (types[0] === "REGIONAL") usable(i.regionalCertificateArn, c);
        else usable(i.certificateArn, { ...c, region: "us-east-1" });
        const d: DomainName = {
          name,
          region: c.region,
          regionalCertificateArn: i.regionalCertificateArn as string | undefined,
          certificateArn: i.certificateArn as string | undefined,
          endpointTypes: [...types],
          securityPolicy: (i.securityPolicy as string | undefined) ?? "TLS_1_2",
          regionalDomainName: `d-${newId(10)}.execute-api.${c.region}.amazonaws.com`,
          regionalHostedZoneId: REGIONAL_HOSTED_ZONES[c.region] ?? "Z0FAKEREGIONALZONE",
          tags: new Map(Object.entries((i.tags as Record<string, string> | undefined) ?? {})),
          mappings: new Map(),
        };
        this.domainNames.set(name, d);
        return describe(d);
      },
      GetDomainName: (i, c) => describe(this.domain(i, c)),
      GetDomainNames: (i, c) =>
        this.page(
          [...this.domainNames.values()].filter((d) => d.region === c.region).map(describe),
          i,
        ),
      UpdateDomainName: (i, c) => {
        const d = this.domain(i, c);
        for (const p of patches(i)) {
          if (p.op === "replace" && p.path === "/regionalCertificateArn") {
            usable(p.value, c);
            d.regionalCertificateArn = p.value;
          } else if (p.op === "replace" && p.path === "/securityPolicy") {
            if (p.value !== "TLS_1_0" && p.value !== "TLS_1_2")
              throw err("BadRequestException", `Invalid security policy: ${p.value ?? ""}`);
            d.securityPolicy = p.value;
          } else throw err("BadRequestException", `Invalid patch path ${p.path}`);
        }
        return describe(d);
      },
      DeleteDomainName: (i, c) => {
        this.domainNames.delete(this.domain(i, c).name);
        return {};
      },
      CreateBasePathMapping: (i, c) => {
        const d = this.domain(i, c);
        const basePath = (i.basePath as string | undefined) || "(none)";
        if (d.mappings.has(basePath))
          throw err("ConflictException", "Base path already exists for this domain name", 409);
        const a = this.apis.get(i.restApiId as string);
        if (!a || a.region !== c.region)
          throw err("BadRequestException", "Invalid REST API identifier specified");
        const stage = (i.stage as string | undefined) ?? "";
        if (stage && !a.stages.has(stage))
          throw err("BadRequestException", "Invalid stage identifier specified");
        const m = { restApiId: a.id, stage };
        d.mappings.set(basePath, m);
        return mapping(basePath, m);
      },
      GetBasePathMapping: (i, c) => {
        const basePath = i.basePath as string;
        const m = this.domain(i, c).mappings.get(basePath);
        if (!m)
          throw err("NotFoundException", "Invalid base path mapping identifier specified", 404);
        return mapping(basePath, m);
      },
      GetBasePathMappings: (i, c) =>
        this.page(
          [...this.domain(i, c).mappings].map(([b, m]) => mapping(b, m)),
          i,
        ),
      UpdateBasePathMapping: (i, c) => {
        const d = this.domain(i, c);
        const basePath = i.basePath as string;
        const m = d.mappings.get(basePath);
        if (!m)
          throw err("NotFoundException", "Invalid base path mapping identifier specified", 404);
        for (const p of patches(i)) {
          if (p.op === "replace" && p.path === "/restapiId") {
            const a = this.apis.get(p.value ?? "");
            if (!a || a.region !== c.region)
              throw err("BadRequestException", "Invalid REST API identifier specified");
            m.restApiId = a.id;
          } else if (p.op === "replace" && p.path === "/stage") {
            m.stage = p.value ?? "";
          } else throw err("BadRequestException", `Invalid patch path ${p.path}`);
        }
        const a = this.apis.get(m.restApiId);
        if (m.stage && !a?.stages.has(m.stage))
          throw err("BadRequestException", "Invalid stage identifier specified");
        return mapping(basePath, m);
      },
      DeleteBasePathMapping: (i, c) => {
        const d = this.domain(i, c);
        if (!d.mappings.delete(i.basePath as string))
          throw err("NotFoundException", "Invalid base path mapping identifier specified", 404);
        return {};
      },
    };
  }

  private taggable(arn: string, c: CallContext): Map<string, string> {
    const domain = /^arn:aws[\w-]*:apigateway:([\w-]+)::\/domainnames\/([\w.-]+)$/.exec(arn);
    if (domain)
      return this.domain({ domainName: domain[2] }, { ...c, region: domain[1] ?? "" }).tags;
    const other = /^arn:aws[\w-]*:apigateway:([\w-]+)::\/(apikeys|usageplans)\/(\w+)$/.exec(arn);
    if (other) {
      const found =
        other[2] === "apikeys"
          ? this.apiKeys.get(other[3] ?? "")
          : this.usagePlans.get(other[3] ?? "");
      if (!found || found.region !== other[1])
        throw err("NotFoundException", `Invalid resource identifier specified`, 404);
      return found.tags;
    }
    const m = /^arn:aws[\w-]*:apigateway:([\w-]+)::\/restapis\/(\w+)(?:\/stages\/([\w-]+))?$/.exec(
      arn,
    );
    if (!m) throw err("BadRequestException", `Invalid ARN specified in the request: ${arn}`);
    const a = this.api({ restApiId: m[2] }, { ...c, region: m[1] as string });
    return m[3] ? this.stage(a, { stageName: m[3] }).tags : a.tags;
  }

  private describeApi(a: RestApi): object {
    return {
      id: a.id,
      name: a.name,
      ...(a.description !== undefined ? { description: a.description } : {}),
      createdDate: new Date(a.createdAt),
      apiKeySource: "HEADER",
      endpointConfiguration: { types: [...a.endpointTypes] },
      disableExecuteApiEndpoint: a.disableExecuteApiEndpoint,
      rootResourceId: a.rootResourceId,
      tags: Object.fromEntries(a.tags),
    };
  }

  private describeResource(r: ApiResource, embed: boolean): object {
    return {
      id: r.id,
      ...(r.parentId ? { parentId: r.parentId, pathPart: r.pathPart } : {}),
      path: r.path,
      // Without embed, AWS lists the methods' names with empty bodies.
      ...(r.methods.size
        ? {
            resourceMethods: Object.fromEntries(
              [...r.methods].map(([k, m]) => [k, embed ? describeMethod(m) : {}]),
            ),
          }
        : {}),
    };
  }
}

function describeMethod(m: Method): object {
  return {
    httpMethod: m.httpMethod,
    authorizationType: m.authorizationType,
    ...(m.authorizerId ? { authorizerId: m.authorizerId } : {}),
    apiKeyRequired: m.apiKeyRequired,
    ...(m.integration ? { methodIntegration: describeIntegration(m.integration) } : {}),
  };
}

function describeApiKey(k: ApiKey, withValue: boolean): object {
  return {
    id: k.id,
    name: k.name,
    ...(k.description !== undefined ? { description: k.description } : {}),
    ...(withValue ? { value: k.value } : {}),
    enabled: k.enabled,
    createdDate: new Date(k.createdAt),
    lastUpdatedDate: new Date(k.createdAt),
    stageKeys: [],
    tags: Object.fromEntries(k.tags),
  };
}

function describeUsagePlan(u: UsagePlan): object {
  return {
    id: u.id,
    name: u.name,
    ...(u.description !== undefined ? { description: u.description } : {}),
    apiStages: u.apiStages.map((ref) => {
      const [apiId, stage] = ref.split(":");
      return { apiId, stage };
    }),
    ...(u.throttle ? { throttle: { ...u.throttle } } : {}),
    ...(u.quota ? { quota: { ...u.quota } } : {}),
    tags: Object.fromEntries(u.tags),
  };
}

function describeIntegration(x: Integration): object {
  return {
    type: x.type,
    ...(x.httpMethod ? { httpMethod: x.httpMethod } : {}),
    ...(x.uri ? { uri: x.uri } : {}),
    passthroughBehavior: "WHEN_NO_MATCH",
    timeoutInMillis: 29000,
    cacheKeyParameters: [],
  };
}

function describeDeployment(d: Deployment, apiSummary: boolean): object {
  return {
    id: d.id,
    ...(d.description !== undefined ? { description: d.description } : {}),
    // AWS gives whole seconds: deployments made within one second tie.
    createdDate: new Date(Math.floor(d.createdAt / 1000) * 1000),
    ...(apiSummary
      ? {
          apiSummary: Object.fromEntries(
            Object.entries(d.routes).map(([p, ms]) => [
              p,
              Object.fromEntries(
                Object.keys(ms).map((k) => [
                  k,
                  {
                    authorizationType: ms[k]?.authorizationType,
                    apiKeyRequired: ms[k]?.apiKeyRequired === true,
                  },
                ]),
              ),
            ]),
          ),
        }
      : {}),
  };
}

function describeStage(s: Stage): object {
  return {
    stageName: s.name,
    deploymentId: s.deploymentId,
    tracingEnabled: s.tracingEnabled,
    cacheClusterEnabled: false,
    cacheClusterStatus: "NOT_AVAILABLE",
    methodSettings: Object.fromEntries(
      [...s.methodSettings].map(([k, m]) => [
        k,
        { ...m, cachingEnabled: false, cacheTtlInSeconds: 300, cacheDataEncrypted: false },
      ]),
    ),
    ...(s.accessLogSettings ? { accessLogSettings: { ...s.accessLogSettings } } : {}),
    tags: Object.fromEntries(s.tags),
    createdDate: new Date(s.createdAt),
    lastUpdatedDate: new Date(s.createdAt),
  };
}

function snapshot(a: RestApi): RouteSnapshot {
  const out: RouteSnapshot = {};
  for (const r of a.resources.values()) {
    out[r.path] = Object.fromEntries(
      [...r.methods].map(([k, m]) => [
        k,
        { ...m, integration: m.integration && { ...m.integration } },
      ]),
    );
  }
  return out;
}

function patches(i: In): PatchOp[] {
  return (i.patchOperations as PatchOp[] | undefined) ?? [];
}

/** Patch paths escape "/" in resource paths as "~1". */
function unescapePath(s: string): string {
  return s.replace(/~1/g, "/");
}

function bool(v: string, path: string): boolean {
  if (v !== "true" && v !== "false")
    throw err("BadRequestException", `Invalid boolean value for ${path}: ${v}`);
  return v === "true";
}

function num(v: string, path: string): number {
  const n = Number(v);
  if (v === "" || !Number.isFinite(n))
    throw err("BadRequestException", `Invalid number value for ${path}: ${v}`);
  return n;
}

function newId(length: number): string {
  let s = "";
  for (let k = 0; k < length; k++) s += ALNUM[Math.floor(Math.random() * ALNUM.length)];
  return s;
}

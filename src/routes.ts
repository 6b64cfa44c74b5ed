import { createHash } from "node:crypto";
import { UserError } from "./errors.js";

/**
 * The API's routes: what the config file's `routes` says ("GET /items/{id}"), checked against
 * what API Gateway accepts, and what follows from it (the resource tree, each route's invoke
 * permission, and how `dev` matches a request). Pure.
 */

/** The methods API Gateway accepts on a resource; ANY answers every one of them. */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"];

export interface Route {
  readonly method: string;
  /** "/" or "/segment/{param}/{greedy+}". */
  readonly path: string;
}

/** One path of the API and the HTTP methods it answers. */
export interface RouteSpec {
  readonly path: string;
  readonly methods: readonly string[];
}

/** The built-in items API (handler/): list and create at /, one item at /{id}, CORS preflight. */
export const BUILTIN_ROUTES: readonly string[] = [
  "GET /",
  "POST /",
  "OPTIONS /",
  "GET /{id}",
  "PUT /{id}",
  "DELETE /{id}",
  "OPTIONS /{id}",
];

/** A handler of your own gets every method on every path, and routes requests itself. */
export const CUSTOM_HANDLER_ROUTES: readonly string[] = ["ANY /", "ANY /{proxy+}"];

/** A literal path part API Gateway accepts (RFC 3986 unreserved characters, less "~"). */
const LITERAL = /^[A-Za-z0-9._-]+$/;
/** {name} or, last only, {name+}. */
const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}$/;

/** How to write a route: the hint of every problem with one. */
export const ROUTE_SYNTAX_HINT =
  'Write each route as "METHOD /path", e.g. "GET /items", "POST /items", "GET /items/{id}" or "ANY /{proxy+}"; METHOD is one of ' +
  HTTP_METHODS.join(", ") +
  ".";

/** One thing wrong with a list of routes; `at` follows the list's own name: `[0] "GET x"`. */
export interface RouteProblem {
  readonly at: string;
  readonly what: string;
}

type Report = (at: string, what: string) => void;

/** Parses and checks a list of routes as API Gateway would accept them. */
export function parseRoutes(list: unknown): Route[] {
  return readRoutes(list, (at, what) => {
    throw new UserError(`Invalid routes: routes${at} ${what}.`, { hint: ROUTE_SYNTAX_HINT });
  });
}

/** Every problem of a list of routes, none when API Gateway would accept it. */
export function routeProblems(list: unknown): RouteProblem[] {
  const problems: RouteProblem[] = [];
  readRoutes(list, (at, what) => problems.push({ at, what }));
  return problems;
}

/** The routes of the list; a bad one is reported and left out. */
function readRoutes(list: unknown, report: Report): Route[] {
  if (!Array.isArray(list) || list.length === 0) {
    report("", 'must be a non-empty array of strings such as "GET /items"');
    return [];
  }
  const routes: Route[] = [];
  const seen = new Set<string>();
  list.forEach((raw: unknown, i) => {
    if (typeof raw !== "string") return report(`[${i}]`, "must be a string");
    const route = readRoute(raw, `[${i}] "${raw}"`, report);
    if (route === undefined) return;
    const key = `${route.method} ${route.path}`;
    if (seen.has(key)) return report(`[${i}] "${raw}"`, "is listed twice");
    seen.add(key);
    routes.push(route);
  });
  checkSiblings(routes, report);
  return routes;
}

function readRoute(raw: string, where: string, report: Report): Route | undefined {
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(raw);
  if (!m) return void report(where, 'is not "METHOD /path"');
  const method = m[1]!.toUpperCase();
  const path = m[2]!.length > 1 ? m[2]!.replace(/\/+$/, "") : m[2]!;
  if (!HTTP_METHODS.includes(method)) return void report(where, `has an unknown method ${m[1]!}`);
  if (!path.startsWith("/")) return void report(where, 'must have a path starting with "/"');
  const parts = path === "/" ? [] : path.slice(1).split("/");
  if (parts.some((p) => p === "")) return void report(where, "has an empty path part (//)");
  for (const [k, part] of parts.entries()) {
    const param = PARAM.exec(part);
    if (param) {
      if (param[2] && k !== parts.length - 1) {
        return void report(where, `has the greedy ${part} before the end of the path`);
      }
    } else if (!LITERAL.test(part)) {
      return void report(
        where,
        `has a path part "${part}" API Gateway does not accept (letters, digits, ".", "_", "-", or {name})`,
      );
    }
  }
  return { method, path };
}

/**
 * API Gateway allows one variable path part among the children of a resource: /items/{id} and
 * /items/{itemId} (or {proxy+}) cannot both exist.
 */
function checkSiblings(routes: readonly Route[], report: Report): void {
  const variableChild = new Map<string, string>();
  for (const r of routes) {
    const parts = r.path.split("/").filter(Boolean);
    parts.forEach((part, k) => {
      if (!part.startsWith("{")) return;
      const parent = `/${parts.slice(0, k).join("/")}`;
      const other = variableChild.get(parent);
      if (other !== undefined && other !== part) {
        report(
          ` "${r.method} ${r.path}"`,
          `puts ${part} beside ${other} under ${parent}: API Gateway allows one variable path part per level`,
        );
        return;
      }
      variableChild.set(parent, part);
    });
  }
}

/** The routes grouped by path, methods in a fixed order. */
export function routeSpecs(routes: readonly Route[]): RouteSpec[] {
  const byPath = new Map<string, string[]>();
  for (const r of routes) {
    const methods = byPath.get(r.path) ?? [];
    methods.push(r.method);
    byPath.set(r.path, methods);
  }
  return [...byPath]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, methods]) => ({
      path,
      methods: methods.sort((a, b) => HTTP_METHODS.indexOf(a) - HTTP_METHODS.indexOf(b)),
    }));
}

/** The routes in effect: the configured ones, else the default for the handler. */
export function effectiveRoutes(
  configured: readonly string[] | undefined,
  customHandler: boolean,
): Route[] {
  return parseRoutes(configured ?? (customHandler ? CUSTOM_HANDLER_ROUTES : BUILTIN_ROUTES));
}

/**
 * The statement id of a route's invoke permission: the method and a readable form of the path,
 * with a short hash of the exact path so that no two routes share one (Lambda allows
 * [A-Za-z0-9_-], up to 100 characters).
 */
export function permissionSid(r: Route): string {
  const method = r.method.toLowerCase();
  if (r.path === "/") return `apigateway-${method}-root`;
  const readable = r.path
    .split("/")
    .filter(Boolean)
    .map((p) =>
      p.replace(/^\{(.*?)(\+?)\}$/, (_m, name: string, plus: string) =>
        plus ? `${name}-plus` : name,
      ),
    )
    .join("-")
    .replace(/[^A-Za-z0-9_-]/g, "_")
    .slice(0, 60);
  const hash = createHash("sha256").update(r.path).digest("hex").slice(0, 8);
  return `apigateway-${method}-${readable}-${hash}`;
}

/**
 * The execute-api resource a route's permission names, after API_ID/STAGE/: the method (* for
 * ANY) and the path with every variable part as * ({proxy+} too: * spans slashes in an ARN).
 */
export function sourceArnPath(r: Route): string {
  const method = r.method === "ANY" ? "*" : r.method;
  const path = r.path === "/" ? "" : r.path.slice(1).replace(/\{[^}]+\}/g, "*");
  return `${method}/${path}`;
}

/** What `dev` matched: the route's resource and its path parameters. */
export interface RouteMatch {
  readonly resource: string;
  readonly pathParameters: Record<string, string> | null;
  /** The methods the resource answers (ANY: all). */
  readonly methods: readonly string[];
}

/**
 * Matches a request path as API Gateway does: a literal part before a variable one, a variable
 * part before a greedy one; undefined when no resource matches (API Gateway's own 404 / 403).
 */
export function matchRoute(specs: readonly RouteSpec[], pathname: string): RouteMatch | undefined {
  let segments: string[];
  try {
    segments = pathname
      .split("/")
      .filter((s) => s !== "")
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  let best: { spec: RouteSpec; params: Record<string, string>; score: number[] } | undefined;
  for (const spec of specs) {
    const m = matchOne(spec.path, segments);
    if (m && (!best || compareScores(m.score, best.score) > 0)) best = { spec, ...m };
  }
  if (!best) return undefined;
  return {
    resource: best.spec.path,
    pathParameters: Object.keys(best.params).length ? best.params : null,
    methods: best.spec.methods,
  };
}

/** Each path part scores 2 (literal), 1 ({name}) or 0 ({name+}); undefined: no match. */
function matchOne(
  path: string,
  segments: readonly string[],
): { params: Record<string, string>; score: number[] } | undefined {
  const parts = path.split("/").filter(Boolean);
  const params: Record<string, string> = {};
  const score: number[] = [];
  for (const [k, part] of parts.entries()) {
    const segment = segments[k];
    if (segment === undefined) return undefined;
    const param = PARAM.exec(part);
    if (param?.[2]) {
      // Greedy, and last: one or more of the remaining segments.
      params[param[1]!] = segments.slice(k).join("/");
      score.push(0);
      return { params, score };
    }
    if (param) {
      params[param[1]!] = segment;
      score.push(1);
    } else if (part === segment) score.push(2);
    else return undefined;
  }
  return parts.length === segments.length ? { params, score } : undefined;
}

function compareScores(a: readonly number[], b: readonly number[]): number {
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    const d = (a[k] ?? -1) - (b[k] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

/** A request worth trying first: a GET (or ANY) route without path parameters, else GET /. */
export function exampleRequest(routes: readonly string[]): string {
  const simple = routes.find((r) => /^(GET|ANY) [^{]*$/.test(r));
  return simple ? `GET ${simple.split(" ")[1]}` : "GET /";
}

import { describe, expect, it } from "vitest";
import {
  matchRoute,
  parseRoutes,
  permissionSid,
  routeSpecs,
  sourceArnPath,
} from "../src/routes.js";

describe("routes", () => {
  it("group by path with methods in a fixed order, a trailing slash dropped", () => {
    expect(routeSpecs(parseRoutes(["post /items/", "GET /items", "ANY /{proxy+}"]))).toEqual([
      { path: "/items", methods: ["GET", "POST"] },
      { path: "/{proxy+}", methods: ["ANY"] },
    ]);
  });

  it("match as API Gateway does: literal before {param} before {greedy+}", () => {
    const specs = routeSpecs(
      parseRoutes(["GET /items/new", "GET /items/{id}", "ANY /{proxy+}", "GET /"]),
    );
    expect(matchRoute(specs, "/items/new")).toMatchObject({
      resource: "/items/new",
      pathParameters: null,
    });
    expect(matchRoute(specs, "/items/a%20b")).toMatchObject({
      resource: "/items/{id}",
      pathParameters: { id: "a b" },
    });
    expect(matchRoute(specs, "/items/a/b")).toMatchObject({
      resource: "/{proxy+}",
      pathParameters: { proxy: "items/a/b" },
    });
    expect(matchRoute(specs, "/")).toMatchObject({ resource: "/", methods: ["GET"] });
    expect(matchRoute(routeSpecs(parseRoutes(["GET /a"])), "/a/b")).toBeUndefined();
    expect(matchRoute(routeSpecs(parseRoutes(["ANY /{proxy+}"])), "/")).toBeUndefined();
    expect(matchRoute(specs, "/%E0%A4%A")).toBeUndefined();
  });

  it("give each route its own statement id, within Lambda's pattern and length", () => {
    const routes = parseRoutes([
      "GET /",
      "GET /a-b",
      "GET /a/b",
      "GET /a/{b}",
      "ANY /{proxy+}",
      `GET /${"x".repeat(200)}`,
    ]);
    const sids = routes.map(permissionSid);
    expect(new Set(sids).size).toBe(routes.length);
    for (const sid of sids) expect(sid).toMatch(/^[A-Za-z0-9_-]{1,100}$/);
    expect(sids[0]).toBe("apigateway-get-root");
  });

  it("scope each permission to its method and path, variable parts as *", () => {
    const [root, item, any, greedy] = parseRoutes([
      "POST /",
      "GET /items/{id}/tags",
      "ANY /x",
      "ANY /{proxy+}",
    ]);
    expect(sourceArnPath(root!)).toBe("POST/");
    expect(sourceArnPath(item!)).toBe("GET/items/*/tags");
    expect(sourceArnPath(any!)).toBe("*/x");
    expect(sourceArnPath(greedy!)).toBe("*/*");
  });
});

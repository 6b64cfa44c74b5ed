/** Runtime settings of the function, read from its environment. */

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface HandlerConfig {
  /** DynamoDB table holding the items; required. */
  readonly tableName: string;
  /** Free-form stage label (dev, prod…), echoed in logs only. */
  readonly environment: string | undefined;
  /** Minimum level written to the log. */
  readonly logLevel: LogLevel;
  /** Value of Access-Control-Allow-Origin on every response. */
  readonly corsOrigin: string;
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

export function parseLogLevel(value: string | undefined): LogLevel {
  const lower = value?.trim().toLowerCase();
  // An unknown level must not take the function down; info is the documented default.
  return LEVELS.find((l) => l === lower) ?? "info";
}

/** Pure. Returns a problem description instead of throwing so the caller decides how to fail. */
export function readConfig(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; config: HandlerConfig } | { ok: false; problem: string } {
  const tableName = env.TABLE_NAME?.trim();
  if (!tableName) return { ok: false, problem: "TABLE_NAME is not set" };
  return {
    ok: true,
    config: {
      tableName,
      environment: env.ENVIRONMENT || undefined,
      logLevel: parseLogLevel(env.LOG_LEVEL),
      corsOrigin: env.CORS_ORIGIN?.trim() || "*",
    },
  };
}

/**
 * Errors every layer raises (config, state, package, engine, resources, ops, cli) and the CLI
 * turns into output (cli/errors.ts).
 */

/**
 * Errors the user can act on. Anything else that reaches the top level is a bug and is
 * reported with its stack under --verbose.
 */
export class UserError extends Error {
  override readonly name = "UserError";
  /** What to do next, printed under the message. */
  readonly hint: string | undefined;
  /** Process exit code. */
  readonly exitCode: number;

  constructor(
    message: string,
    options: { hint?: string; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** An AWS call failed on a named resource; the message reads `creating Lambda function (name): cause`. */
export class ResourceError extends Error {
  override readonly name = "ResourceError";
  readonly hint: string | undefined;

  constructor(
    /** e.g. "creating", "updating", "deleting", "reading" */
    readonly verb: string,
    /** Human label of the resource kind, e.g. "DynamoDB table". */
    readonly kindLabel: string,
    readonly resourceId: string,
    cause: unknown,
    hint?: string,
  ) {
    super(`${verb} ${kindLabel} (${resourceId}): ${describeCause(cause)}`, { cause });
    this.hint = hint ?? hintFor(cause);
  }
}

export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = cause.name && cause.name !== "Error" ? `${cause.name}: ` : "";
    return `${code}${cause.message}`;
  }
  return String(cause);
}

function hintFor(cause: unknown): string | undefined {
  if (!(cause instanceof Error)) return undefined;
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(cause.name)) {
    const action = /not authorized to perform: ([\w:*-]+)/.exec(cause.message)?.[1];
    return action
      ? `Grant ${action} to the credentials you deploy with, then run the command again.`
      : "Grant the denied permission to the credentials you deploy with, then run the command again.";
  }
  return undefined;
}

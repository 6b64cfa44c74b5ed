import { isAccessDenied } from "./aws/errors.js";
import { PROJECT } from "./project.js";

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
  return isAccessDenied(cause) ? accessDeniedHint(cause) : undefined;
}

/** What AWS refused, as its message says: "… is not authorized to perform: X on resource: Y". */
export function refused(err: unknown): { action?: string; resource?: string } {
  const message = err instanceof Error ? err.message : String(err);
  const action = /not authorized to perform:? ([\w-]+:[\w*-]+)/i.exec(message)?.[1];
  // "on resource: arn:…", or IAM's "on resource: role <name>", up to AWS's reason if any.
  const resource = /on resource:? (.+?)(?: because |\s*$)/i.exec(message)?.[1]?.replace(/\.$/, "");
  return { ...(action ? { action } : {}), ...(resource ? { resource } : {}) };
}

/**
 * An AWS refusal (any service's spelling) explained: what was refused, where AWS says it, and
 * the command that prints every permission the tool needs.
 */
export function accessDeniedHint(err: unknown): string {
  const { action, resource } = refused(err);
  const what = action
    ? `AWS refused ${action}${resource ? ` on ${resource}` : ""}: grant it to the credentials you deploy with.`
    : "AWS refused a permission the credentials you deploy with lack.";
  return `${what} \`npx ${PROJECT} policy --for deploy\` prints every permission the tool needs for this stack, to attach to them; then run the command again.`;
}

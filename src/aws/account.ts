import { GetCallerIdentityCommand, type STSClient } from "@aws-sdk/client-sts";
import { UserError } from "../errors.js";
import { isCredentialsError, networkHint } from "./errors.js";

/** The account of the credentials in use (STS GetCallerIdentity), with the user's fixes. */
export async function callerAccount(
  sts: STSClient,
  o: { readonly profile?: string | undefined; readonly endpoint?: string | undefined },
): Promise<string> {
  try {
    const id = await sts.send(new GetCallerIdentityCommand({}));
    if (!id.Account) throw new Error("STS returned no account id");
    return id.Account;
  } catch (err) {
    if (isCredentialsError(err)) {
      const profile = o.profile ? ` (profile "${o.profile}")` : "";
      throw new UserError(`No usable AWS credentials${profile}: ${firstLine(err)}`, {
        cause: err,
        hint: "Set AWS_PROFILE (or pass --profile) to a configured profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; `aws sso login` if you use SSO.",
      });
    }
    const unreachable = networkHint(err, o.endpoint);
    if (unreachable) {
      throw new UserError(
        `Cannot reach AWS${o.endpoint ? ` at ${o.endpoint}` : ""}: ${firstLine(err)}`,
        { cause: err, hint: unreachable },
      );
    }
    throw err;
  }
}

/** A lookup made once, when first needed: every caller gets the same answer (or error). */
export function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}

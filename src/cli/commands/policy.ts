import { UserError } from "../../errors.js";
import { RUN } from "../../hint.js";
import { defineCommand, flag, value } from "../command.js";
import { EXIT, printJson } from "../io.js";
import { configInput } from "../ops-input.js";
import { STACK_OPTIONS } from "../stack-options.js";

/** As in ops/policy (kept here so that --help loads nothing more). */
const PURPOSES = ["deploy", "plan", "state-init"] as const;

/** Prints the IAM policy of the identity that runs the tool, scoped to this project's stack. */
export default defineCommand({
  name: "policy",
  description:
    "print the least-privilege IAM policy for the identity that runs up/status/down (deploy), a dry run (plan) or state init",
  options: {
    for: value("--for <what>", `deploy, plan or state-init`, "deploy"),
    allStages: flag(
      "--all-stages",
      "every stage of the project (names <name>-*-…) instead of one --stage",
    ),
    account: value(
      "--account <id>",
      "the account to write into the ARNs; without it, STS names the account of your credentials",
    ),
    ...STACK_OPTIONS,
  },
  helpAfter: `
Prints the IAM policy (JSON) on stdout, to attach to the role CI deploys with: one document,
or, when it is larger than a managed policy may be (6,144 characters), a JSON array of documents
each within it, to attach side by side as managed policies:
  deploy      up, status, down, rollback, logs, outputs and request, for this project's stack
              (one stage, or --all-stages), with the options the config turns on
  plan        status and up --dry-run [--out]: read-only, no action that changes anything
  state-init  what \`state init\` needs on the state bucket (--state s3://<bucket> or the config's),
              and the stack's state object and lock in it

Every resource is named where AWS names it (roles, function, table, bucket, log groups, alarms,
topic, web ACL); where AWS picks a random id (API Gateway, the KMS key) the stack tag scopes it.
With --account no AWS call is made, so it runs without credentials. An option turned off keeps
the reads and deletes of its resources (down looks for them), not their creation: print the
policy again after turning an option on. --json wraps the documents with their scope and sizes.

  ${RUN} policy --for deploy --stage production > deploy-policy.json`,
  async handler(opts, io) {
    const purpose = PURPOSES.find((p) => p === opts.for);
    if (purpose === undefined) {
      throw new UserError(`Unknown --for "${opts.for}".`, {
        hint: `Use --for deploy, --for plan or --for state-init.`,
      });
    }
    const { policy } = await import("../../ops/policy.js");
    const r = await policy(
      { ...configInput(opts), purpose, allStages: opts.allStages, account: opts.account },
      io,
    );
    const several = r.documents.length > 1;
    // Each document within IAM's size for a managed policy: several are attached side by side.
    const attach = several
      ? `Create each of the ${r.documents.length} documents as a managed policy and attach them all to the role that deploys (a role takes up to 10 managed policies), e.g. with the output saved as policy.json:\n  n=0; jq -c '.[]' policy.json | while read -r doc; do n=$((n+1)); arn=$(aws iam create-policy --policy-name "${r.name}-${r.for}-$n" --policy-document "$doc" --query Policy.Arn --output text) && aws iam attach-role-policy --role-name <the deploying role> --policy-arn "$arn"; done`
      : "Attach it as a managed policy (aws iam create-policy) or as the role's inline policy.";
    if (opts.json) printJson(io, { command: "policy", ...r, attach });
    else {
      const out = several ? r.documents : r.documents[0];
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      if (!opts.quiet) {
        const stage = r.stage === "all" ? "every stage" : `stage ${r.stage}`;
        const docs = several
          ? ` in ${r.documents.length} documents (a JSON array; ${r.sizes.join(", ")} characters)`
          : ` (${r.sizes[0] ?? 0} characters)`;
        io.stderr.write(
          `The ${r.for} policy of ${r.name} (${stage}) in ${r.region}, account ${r.account}: ${r.actions} actions${docs}.\n${attach}\n`,
        );
      }
    }
    return EXIT.ok;
  },
});

import { flag, value, type OptionValues } from "./command.js";

/**
 * The options of every command that works on a deployed stack (all but dev), listed after the
 * command's own.
 */
export const STACK_OPTIONS = {
  stage: value(
    "-s, --stage <name>",
    "stage to work on (default: SERVERLESS_AUTOMATION_STAGE or production)",
  ),
  region: value(
    "-r, --region <region>",
    "AWS region (default: AWS_REGION, else AWS_DEFAULT_REGION, else the config file's region)",
  ),
  profile: value("-p, --profile <name>", "AWS profile (default: AWS_PROFILE)"),
  state: value(
    "--state <file|s3://bucket/key>",
    "where the state lives: a file, or an S3 object shared by a team and CI (default: .serverless-automation/<stage>.<region>.json)",
  ),
  stateBucketOwner: value(
    "--state-bucket-owner <account-id>",
    "the account that owns the --state bucket, when it is not the one deploying (default: the caller's account)",
  ),
  config: value(
    "-c, --config <file>",
    "config file (default: ./serverless-automation.config.json)",
  ),
  json: flag("--json", "print one JSON document on stdout; progress on stderr"),
  verbose: flag("-v, --verbose", "show every step and stack traces of unexpected errors"),
  quiet: flag("-q, --quiet", "print only the result and errors"),
};

export type StackOptions = OptionValues<typeof STACK_OPTIONS>;

import type { ConfigInput } from "./config.js";
import { PROJECT } from "./project.js";

/**
 * How a command is run as printed in a hint: in a project from `init` the tool is a dev
 * dependency, not on PATH, and npx finds it there, in a checkout, or in the registry.
 */
export const RUN = `npx ${PROJECT}`;

/** The flags that find a stack (and its state), as given on the command line. */
export type StackFlags = Pick<
  ConfigInput,
  "stage" | "region" | "profile" | "state" | "stateBucketOwner" | "config"
>;

const FLAGS: readonly (readonly [keyof StackFlags, string])[] = [
  ["stage", "--stage"],
  ["region", "--region"],
  ["profile", "--profile"],
  ["state", "--state"],
  ["stateBucketOwner", "--state-bucket-owner"],
  ["config", "--config"],
];

/**
 * A command line to copy and run as printed: `npx serverless-automation <args>` with the flags
 * that found this stack, so that it reaches the same stack (a state in S3, another stage or
 * region) rather than the default one.
 */
export function commandLine(args: string, flags: StackFlags = {}): string {
  const given = FLAGS.flatMap(([key, flag]) => {
    const v = flags[key];
    return v === undefined || v === "" ? [] : [`${flag} ${shellQuote(v)}`];
  });
  return [RUN, args, ...given].join(" ");
}

/** A word as a POSIX shell reads it back: quoted only when it needs to be. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

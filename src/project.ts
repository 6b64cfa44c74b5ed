/**
 * Facts about the tool itself that every layer needs (config, state, resources): its name and
 * the tag keys that mark what it owns. Imports nothing, so that any module may import it.
 */

/** The tool's own name: its config file, state directory and tag keys. */
export const PROJECT = "serverless-automation";
/**
 * The project name of a stack whose config says none: the built-in items API's, and that of
 * every stack deployed before projects had names, so that those are still found.
 */
export const DEFAULT_NAME = PROJECT;
/** The tag key that marks a resource as belonging to one stack (project + stage). */
export const STACK_TAG_KEY = `${PROJECT}:stack`;
/** The tag that names the project a resource belongs to (with the stack tag: its owner). */
export const PROJECT_TAG_KEY = "project";

/** What the config file and the state file accept as an alarm address. */
export function isEmailAddress(s: unknown): boolean {
  return typeof s === "string" && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s);
}

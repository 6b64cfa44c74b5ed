import { Option, type Command } from "commander";
import type { Io } from "./io.js";

/**
 * One option of a command: its flags and help as commander shows them, and how the value
 * commander parsed becomes the typed value the handler gets.
 */
export interface OptionSpec<T> {
  readonly flags: string;
  readonly description: string;
  /** Shown in the help as `(default: …)`, as commander does. */
  readonly defaultValue?: string | boolean;
  /** A second flag that sets the same value to false, e.g. --no-alarm-email. */
  readonly negation?: { readonly flags: string; readonly description: string };
  readonly read: (parsed: unknown) => T;
}

type OptionSpecs = Record<string, OptionSpec<unknown>>;

/** The handler's options: each key of the declaration with the type of its value. */
export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]: O[K] extends OptionSpec<infer T> ? T : never;
};

/** A switch: true when given, false otherwise (help shows `(default: false)`). */
export function flag(flags: string, description: string): OptionSpec<boolean> {
  return { flags, description, defaultValue: false, read: (v) => v === true };
}

/** A `--no-…` flag alone, e.g. `--no-bake`: true when given. */
export function off(flags: string, description: string): OptionSpec<boolean> {
  // Commander gives a lone --no-x option the value true, and false when the flag is given.
  return { flags, description, read: (v) => v === false };
}

/** An option with a value, e.g. `--stage <name>`; undefined when not given. */
export function value(flags: string, description: string): OptionSpec<string | undefined>;
/** An option with a value and a default, shown in the help. */
export function value(flags: string, description: string, defaultValue: string): OptionSpec<string>;
export function value(
  flags: string,
  description: string,
  defaultValue?: string,
): OptionSpec<string | undefined> {
  return {
    flags,
    description,
    defaultValue,
    read: (v) => (typeof v === "string" ? v : defaultValue),
  };
}

/**
 * An option with a value and a `--no-` flag that turns it off: the value, false for the
 * `--no-` flag, or undefined for neither.
 */
export function valueOrOff(
  flags: string,
  description: string,
  negation: { flags: string; description: string },
): OptionSpec<string | false | undefined> {
  return {
    flags,
    description,
    negation,
    read: (v) => (v === false ? false : typeof v === "string" ? v : undefined),
  };
}

export interface CommandDefinition<O extends OptionSpecs> {
  readonly name: string;
  readonly description: string;
  /** In the order the help lists them. */
  readonly options: O;
  /** Printed after the options in the command's help. */
  readonly helpAfter?: string;
  /** Positional arguments, in order, e.g. request's METHOD and PATH. */
  readonly arguments?: readonly {
    readonly name: string;
    readonly description: string;
    /** May be left out (only the last ones). */
    readonly optional?: boolean;
  }[];
  /**
   * Returns the exit code. Runs only when the command does, so --help loads nothing heavy: a
   * handler imports the modules that reach AWS, esbuild or DynamoDB with `await import()`.
   */
  readonly handler: (opts: OptionValues<O>, io: Io, args: readonly string[]) => Promise<number>;
}

/** A command ready to put on the command line; what main() registers from its list. */
export interface CliCommand {
  readonly name: string;
  /** Declares the command, its options and help on `program`; returns it. */
  addTo(program: Command): Command;
  /** Runs the handler with the options commander parsed on `cmd` (as returned by addTo). */
  run(cmd: Command, io: Io): Promise<number>;
}

/** Options, help and handler of a command in one place (as wrangler's createCommand). */
export function defineCommand<O extends OptionSpecs>(def: CommandDefinition<O>): CliCommand {
  const specs = Object.entries(def.options);
  return {
    name: def.name,
    addTo(program) {
      const cmd = program.command(def.name).description(def.description);
      for (const a of def.arguments ?? []) {
        cmd.argument(a.optional ? `[${a.name}]` : `<${a.name}>`, a.description);
      }
      for (const [, spec] of specs) {
        const option = new Option(spec.flags, spec.description);
        if (spec.defaultValue !== undefined) option.default(spec.defaultValue);
        cmd.addOption(option);
        if (spec.negation)
          cmd.addOption(new Option(spec.negation.flags, spec.negation.description));
      }
      if (def.helpAfter) cmd.addHelpText("after", def.helpAfter);
      return cmd;
    },
    run(cmd, io) {
      const values: Record<string, unknown> = {};
      for (const [key, spec] of specs) {
        values[key] = spec.read(cmd.getOptionValue(new Option(spec.flags).attributeName()));
      }
      // Each value was made by its own spec's read(), so the record has OptionValues<O>'s shape.
      return def.handler(values as OptionValues<O>, io, cmd.args);
    },
  };
}

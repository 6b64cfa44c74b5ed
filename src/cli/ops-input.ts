import type { AuthMode, ConfigInput } from "../config.js";
import type { Environment } from "../ops/session.js";
import type { Reporter } from "../report/reporter.js";
import type { Io } from "./io.js";
import type { StackOptions } from "./stack-options.js";

/** What the ops (up, status, down, outputs, logs) take from a command's options. */
export function configInput(
  opts: StackOptions & { alarmEmail?: string | false; auth?: string | undefined },
): ConfigInput {
  return {
    stage: opts.stage,
    region: opts.region,
    profile: opts.profile,
    state: opts.state,
    stateBucketOwner: opts.stateBucketOwner,
    config: opts.config,
    // --no-alarm-email sets it to false.
    settings: {
      alarmEmail: opts.alarmEmail === false ? undefined : opts.alarmEmail,
      // Checked with the other settings (validateSettings), which names the allowed modes.
      auth: opts.auth as AuthMode | undefined,
    },
    noAlarmEmail: opts.alarmEmail === false,
  };
}

/** What the ops take from the command's Io: where to report, the test hooks, the stop signal. */
export function environment(io: Io, reporter: Reporter, signal?: AbortSignal): Environment {
  return {
    signal,
    env: io.env,
    cwd: io.cwd,
    reporter,
    clients: io.clients,
    timing: io.timing,
    concurrency: io.concurrency,
    handlerEntry: io.handlerEntry,
    trace: io.trace,
  };
}

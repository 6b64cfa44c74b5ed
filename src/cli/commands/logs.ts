import type { LogLine } from "../../ops/logs.js";
import { silentReporter } from "../../report/reporter.js";
import { defineCommand, flag, value } from "../command.js";
import { onStopSignal, STOP_SIGNALS, type StopSignal } from "../interrupt.js";
import { EXIT, styleFor, watchStdoutReader } from "../io.js";
import { configInput, environment } from "../ops-input.js";
import { STACK_OPTIONS } from "../stack-options.js";

/**
 * Plain: `TIMESTAMP  message` per event (JSON messages shown compactly, see formatMessage).
 * --json: one JSON array of events; with --follow, one JSON object per line (NDJSON) as events
 * arrive, since a single document would never end.
 */
export default defineCommand({
  name: "logs",
  description: "print the function's log events; --follow keeps printing new ones",
  options: {
    follow: flag("-f, --follow", "keep polling for new events (every 2 s) until Ctrl-C"),
    since: value("--since <when>", "how far back: 30s, 10m, 2h, 1d or an ISO timestamp", "10m"),
    filter: value(
      "--filter <pattern>",
      "a CloudWatch Logs filter pattern, e.g. ERROR or '{ $.status >= 500 }'",
    ),
    ...STACK_OPTIONS,
  },
  helpAfter:
    "\nWith --json: one JSON array of events; with --follow --json, one JSON object per line (NDJSON).",
  async handler(opts, io) {
    const { FOLLOW_POLL_MS, formatMessage, logs } = await import("../../ops/logs.js");
    const style = styleFor(io, "stdout");
    const stop = new AbortController();
    // A stop signal ends a --follow as it ends every command: exit 130 for Ctrl-C (143 SIGTERM,
    // 129 SIGHUP). A reader that went away (`| head`) had all it wanted: exit 0.
    let stoppedBy: StopSignal | undefined;
    const onReaderGone = () => stop.abort();
    const offSignals = onStopSignal(io, (by) => {
      stoppedBy = by;
      stop.abort();
    });
    if (io.stdoutClosed?.aborted) onReaderGone();
    else io.stdoutClosed?.addEventListener("abort", onReaderGone, { once: true });
    // Waiting for the next event writes nothing, so no EPIPE says the reader (`| head -1`) left.
    const offReader = opts.follow ? watchStdoutReader(io, onReaderGone) : () => undefined;
    const collected: ReturnType<typeof jsonOf>[] = [];
    const onEvent = (e: LogLine) => {
      if (opts.json) {
        if (opts.follow) io.stdout.write(`${JSON.stringify(jsonOf(e))}\n`);
        else collected.push(jsonOf(e));
        return;
      }
      io.stdout.write(
        `${style.dim(new Date(e.timestamp).toISOString())}  ${formatMessage(e.message)}\n`,
      );
    };
    try {
      const r = await logs(configInput(opts), environment(io, silentReporter), {
        since: opts.since,
        filter: opts.filter,
        follow: opts.follow,
        signal: stop.signal,
        // Tests inject fast timing; a person watching gets a poll every two seconds.
        pollMs: io.timing ? io.timing.maxDelayMs : FOLLOW_POLL_MS,
        onEvent,
      });
      if (opts.json && !opts.follow) io.stdout.write(`${JSON.stringify(collected, null, 2)}\n`);
      else if (!opts.json && !opts.quiet && r.count === 0 && !opts.follow) {
        io.stderr.write(
          `${style.dim(`No events in ${r.logGroup} since ${new Date(r.since).toISOString()}.`)}\n`,
        );
      }
      return stoppedBy ? STOP_SIGNALS[stoppedBy] : EXIT.ok;
    } finally {
      offSignals();
      offReader();
      io.stdoutClosed?.removeEventListener("abort", onReaderGone);
    }
  },
});

function jsonOf(e: LogLine) {
  let data: unknown;
  try {
    data = e.message.trimStart().startsWith("{") ? JSON.parse(e.message) : undefined;
  } catch {
    data = undefined;
  }
  return {
    timestamp: new Date(e.timestamp).toISOString(),
    eventId: e.eventId,
    logStream: e.logStream,
    message: e.message,
    ...(data !== undefined ? { data } : {}),
  };
}

import type { Outcome, Reporter, StepReporter } from "./reporter.js";
import { seconds, type Style } from "./format.js";

export interface Sink {
  write(text: string): void;
}

const SYMBOL: Record<Outcome, string> = {
  created: "+",
  adopted: "+",
  updated: "~",
  replaced: "±",
  deleted: "-",
  unchanged: "=",
  kept: "!",
};

export function outcomeLine(
  style: Style,
  outcome: Outcome,
  label: string,
  id: string,
  detail: string | undefined,
  ms: number,
): string {
  const colour =
    outcome === "deleted" ? style.red : outcome === "kept" ? style.yellow : style.green;
  const extra = detail ? ` (${detail})` : "";
  return `${colour(`${SYMBOL[outcome]} ${outcome}`)} ${label} ${style.bold(id)}${extra} ${style.dim(seconds(ms))}`;
}

/** One line per event: for logs, CI and pipes (and for --json, on stderr). */
export class PlainReporter implements Reporter {
  constructor(
    private readonly out: Sink,
    private readonly style: Style,
    private readonly verbose = false,
  ) {}

  step(verb: string, label: string, id: string): StepReporter {
    const started = Date.now();
    if (this.verbose) this.out.write(`${this.style.dim(`… ${verb} ${label} ${id}`)}\n`);
    let last = "";
    return {
      progress: (message) => {
        // Retries repeat their message: print each distinct one once.
        if (message === last) return;
        last = message;
        this.out.write(`${this.style.dim(`  ${label} ${id}: ${message}`)}\n`);
      },
      done: (outcome, detail) => {
        this.out.write(
          `${outcomeLine(this.style, outcome, label, id, detail, Date.now() - started)}\n`,
        );
      },
      fail: (message) => {
        this.out.write(`${this.style.red(`✗ failed ${label} ${id}`)}: ${message}\n`);
      },
    };
  }

  info(message: string): void {
    this.out.write(`${message}\n`);
  }

  warn(message: string): void {
    this.out.write(`${this.style.yellow("warning:")} ${message}\n`);
  }

  close(): void {}
}

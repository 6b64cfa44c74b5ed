import type { Ora } from "ora";
import { outcomeLine } from "./plain.js";
import type { Reporter, StepReporter } from "./reporter.js";
import type { Style } from "./format.js";

/**
 * A terminal a spinner can draw on: a TTY that knows its width. A pty without a window size
 * (`script -q` with stdin not a terminal, `docker run -t` at start, some CI wrappers) says
 * isTTY with 0 columns, and ora divides by the width: its clear loop would never end.
 */
export function canDrawSpinner(stream: { isTTY?: boolean; columns?: number }): boolean {
  return stream.isTTY === true && typeof stream.columns === "number" && stream.columns > 0;
}

/** A spinner naming what is in progress, with finished steps printed above it. */
export class TtyReporter implements Reporter {
  private readonly active = new Map<number, string>();
  private next = 0;

  private constructor(
    private readonly spinner: Ora,
    private readonly stream: NodeJS.WriteStream,
    private readonly style: Style,
  ) {}

  static async create(stream: NodeJS.WriteStream, style: Style): Promise<TtyReporter> {
    const { default: ora } = await import("ora");
    return new TtyReporter(ora({ stream, discardStdin: false }), stream, style);
  }

  private refresh(): void {
    const texts = [...this.active.values()];
    if (texts.length === 0) {
      this.spinner.stop();
      return;
    }
    this.spinner.text =
      texts.length > 3
        ? `${texts.slice(0, 3).join(" · ")} · +${texts.length - 3} more`
        : texts.join(" · ");
    if (!this.spinner.isSpinning) this.spinner.start();
  }

  private persist(line: string): void {
    const wasSpinning = this.spinner.isSpinning;
    this.spinner.stop();
    this.stream.write(`${line}\n`);
    if (wasSpinning) this.spinner.start();
  }

  step(verb: string, label: string, id: string): StepReporter {
    const n = this.next++;
    const started = Date.now();
    const base = `${verb} ${label} ${id}`;
    this.active.set(n, base);
    this.refresh();
    const finish = (line: string) => {
      this.active.delete(n);
      this.persist(line);
      this.refresh();
    };
    return {
      progress: (message) => {
        this.active.set(n, `${label}: ${message}`);
        this.refresh();
      },
      done: (outcome, detail) =>
        finish(outcomeLine(this.style, outcome, label, id, detail, Date.now() - started)),
      fail: (message) => finish(`${this.style.red(`✗ failed ${label} ${id}`)}: ${message}`),
    };
  }

  info(message: string): void {
    this.persist(message);
  }

  warn(message: string): void {
    this.persist(`${this.style.yellow("warning:")} ${message}`);
  }

  close(): void {
    this.active.clear();
    this.spinner.stop();
  }
}

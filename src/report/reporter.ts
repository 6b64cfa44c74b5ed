/** What a step ended as. */
export type Outcome =
  "created" | "updated" | "replaced" | "deleted" | "unchanged" | "kept" | "adopted";

/** Progress of one resource while it is being worked on. */
export interface StepReporter {
  /** A long wait or a retry, shown next to the resource. */
  progress(message: string): void;
  done(outcome: Outcome, detail?: string): void;
  fail(message: string): void;
}

/** Where progress goes; the final result is printed by the command itself. */
export interface Reporter {
  /** A resource starts being worked on ("creating", "deleting"...). */
  step(verb: string, label: string, id: string): StepReporter;
  info(message: string): void;
  warn(message: string): void;
  /** Stops spinners; called once at the end. */
  close(): void;
}

/** Swallows progress (tests, and commands that print only a result). */
export const silentReporter: Reporter = {
  step: () => ({ progress() {}, done() {}, fail() {} }),
  info() {},
  warn() {},
  close() {},
};

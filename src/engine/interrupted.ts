/**
 * The run was interrupted (Ctrl-C): raised in place of a step that was not started, or by a
 * wait that was cut short. What the step made is found again by name on the next run.
 */
export class Interrupted extends Error {
  override readonly name = "Interrupted";
  constructor(message = "interrupted before this step started") {
    super(message);
  }
}

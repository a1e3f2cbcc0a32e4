/**
 * {@linkcode UnknownTaskError}.
 *
 * @module
 */

/** A task name that the catalog does not hold. */
export class UnknownTaskError extends Error {
  /** The name that was asked for. */
  readonly task: string;

  /** Creates an unknown-task error listing the names that exist. */
  constructor(task: string, known: readonly string[], options?: ErrorOptions) {
    super(`Unknown task '${task}': the catalog has ${known.join(", ") || "no tasks"}`, options);
    this.name = "UnknownTaskError";
    this.task = task;
  }
}

/**
 * {@linkcode TaskTimeoutError}.
 *
 * @module
 */

/** An attempt ran past its task's time limit. */
export class TaskTimeoutError extends Error {
  /** The limit that passed, in milliseconds. */
  readonly timeout: number;

  /** Creates a timeout error for a limit of `timeout` milliseconds. */
  constructor(task: string, timeout: number) {
    super(`Task '${task}' did not finish within its time limit of ${timeout} ms`);
    this.name = "TaskTimeoutError";
    this.timeout = timeout;
  }
}

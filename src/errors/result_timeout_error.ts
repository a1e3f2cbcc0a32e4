/**
 * {@linkcode ResultTimeoutError}.
 *
 * @module
 */

/** A task's outcome did not arrive in time (it may still be queued or running). */
export class ResultTimeoutError extends Error {
  /** The task's message id. */
  readonly id: string;

  /** Creates a timeout error for the outcome of task `id`. */
  constructor(id: string, timeoutMs: number) {
    super(`No outcome for task ${id} within ${timeoutMs} ms: it may still be queued or running`);
    this.name = "ResultTimeoutError";
    this.id = id;
  }
}

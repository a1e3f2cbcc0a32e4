/**
 * {@linkcode MissingQueueError}.
 *
 * @module
 */

/** A queue that the broker does not have. */
export class MissingQueueError extends Error {
  /** The queue's name. */
  readonly queue: string;

  /** Creates an error for `queue`; `hint` says what to check. */
  constructor(queue: string, hint: string, options?: ErrorOptions) {
    super(`Queue '${queue}' does not exist on the broker: ${hint}`, options);
    this.name = "MissingQueueError";
    this.queue = queue;
  }
}

/**
 * {@linkcode PublishError}.
 *
 * @module
 */

/**
 * Why a publish was not confirmed: `nacked` (the broker refused it), `unroutable` (it reached no
 * queue and came back), `closed` (the channel closed before the broker answered, or was closed
 * already), `timeout` (no answer in time), `too-large` (its body or headers are over a limit:
 * nothing was sent), `invalid` (amqplib cannot encode its properties: nothing was sent).
 */
export type PublishFailure =
  | "nacked"
  | "unroutable"
  | "closed"
  | "timeout"
  | "too-large"
  | "invalid";

/** The broker did not confirm a message: it was nacked, returned as unroutable, or lost. */
export class PublishError extends Error {
  /** Why the publish failed. */
  readonly reason: PublishFailure;
  /** The message id of the task. */
  readonly id: string;

  /** Creates a publish error for the message `id`. */
  constructor(reason: PublishFailure, id: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PublishError";
    this.reason = reason;
    this.id = id;
  }
}

/**
 * {@linkcode PublishError}.
 *
 * @module
 */

/** Why a publish was not confirmed. */
export type PublishFailure = "nacked" | "unroutable" | "closed" | "timeout";

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

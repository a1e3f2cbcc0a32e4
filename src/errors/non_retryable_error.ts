/**
 * {@linkcode NonRetryableError}.
 *
 * @module
 */

/**
 * Thrown by a handler to fail a task without retries: it goes to the dead-letter queue at once.
 *
 * @example Give up on bad input that a retry cannot fix
 * ```ts
 * import { NonRetryableError } from "./non_retryable_error.ts";
 *
 * function parsePort(text: string): number {
 *   const port = Number(text);
 *   if (!Number.isInteger(port)) throw new NonRetryableError(`not a port: ${text}`);
 *   return port;
 * }
 * parsePort("5672");
 * ```
 */
export class NonRetryableError extends Error {
  /** Creates a non-retryable error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NonRetryableError";
  }
}

/**
 * {@linkcode PermissionError}.
 *
 * @module
 */

/** Deno denied a permission; the message names the flag to add. */
export class PermissionError extends Error {
  /** Creates a permission error naming the flag to add. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PermissionError";
  }
}

/**
 * How the demo fails: errors it explains in words, and the message of any error.
 *
 * @module
 */

/** A failure the demo explains in words; no stack trace needed. */
export class DemoError extends Error {
  /** Creates a demo error with the message to print. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DemoError";
  }
}

/** The message of `err`, or `err` as a string when it is not an `Error`. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

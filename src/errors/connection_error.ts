/**
 * {@linkcode ConnectionError}.
 *
 * @module
 */

/** No broker could be reached, or the connection failed. URLs in the message are redacted. */
export class ConnectionError extends Error {
  /** Whether no broker answered at all (as opposed to one that refused or closed the connection). */
  readonly unreachable: boolean;

  /** Creates a connection error; `unreachable` says that no broker answered. */
  constructor(message: string, options?: ErrorOptions & { unreachable?: boolean }) {
    super(message, options);
    this.name = "ConnectionError";
    this.unreachable = options?.unreachable ?? false;
  }
}

/**
 * How the CLIs end: exit codes, and the one place where an error becomes a message and a code.
 *
 * @module
 */
import {
  ConfigError,
  describeError,
  PermissionError,
  PublishError,
  UnknownTaskError,
  ValidationError,
} from "../errors.ts";

/** Exit code: everything worked. */
export const EXIT_OK = 0;
/** Exit code: the broker failed us (connection, refused or unconfirmed publishes). */
export const EXIT_BROKER = 1;
/** Exit code: bad input or usage. */
export const EXIT_USAGE = 2;

/** Wrong use of a CLI: an unknown flag, a missing argument, a bad value. */
export class UsageError extends Error {
  /** Creates a usage error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** The exit code for an error: 2 for bad input or usage, 1 for anything else. */
export function exitCodeFor(err: unknown): number {
  const usage = err instanceof UsageError || err instanceof ConfigError ||
    err instanceof ValidationError || err instanceof UnknownTaskError ||
    err instanceof PermissionError;
  return usage ? EXIT_USAGE : EXIT_BROKER;
}

/** Prints `error: <message and causes>` (and a hint for usage errors) to stderr; returns the code. */
export function fatal(err: unknown, program: string): number {
  const code = exitCodeFor(err);
  const hint = err instanceof UsageError ? `\nRun '${program} --help' for usage.` : "";
  const text = err instanceof PublishError || code === EXIT_USAGE
    ? (err as Error).message
    : describeError(err);
  console.error(`error: ${text}${hint}`);
  return code;
}

/**
 * How the CLIs end: exit codes, and the one place where an error becomes a message and a code.
 *
 * @module
 */
import { ConfigError } from "../../errors/config_error.ts";
import { ConnectionError } from "../../errors/connection_error.ts";
import { describeError } from "../../errors/describe.ts";
import { MissingQueueError } from "../../errors/missing_queue_error.ts";
import { PermissionError } from "../../errors/permission_error.ts";
import { PublishError } from "../../errors/publish_error.ts";
import { UnknownIdError } from "../../errors/unknown_id_error.ts";
import { UnknownTaskError } from "../../errors/unknown_task_error.ts";
import { ValidationError } from "../../errors/validation_error.ts";

/** Exit code: everything worked. */
export const EXIT_OK = 0;
/** Exit code: the broker failed us (connection, refused or unconfirmed publishes). */
export const EXIT_BROKER = 1;
/** Exit code: bad input or usage (an unknown task id too). */
export const EXIT_USAGE = 2;
/** Exit code: the task has no result: not finished, or it ended without one (dead, cancelled). */
export const EXIT_NO_RESULT = 3;

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
    err instanceof PermissionError || err instanceof MissingQueueError ||
    err instanceof UnknownIdError;
  return usage ? EXIT_USAGE : EXIT_BROKER;
}

/** The CLI's own advice for an error, if it has any, as a sentence of its own. */
function hintFor(err: unknown, program: string): string {
  if (err instanceof UsageError || err instanceof ValidationError) {
    return `\nRun '${program} --help' for usage.`;
  }
  if (err instanceof ConnectionError && err.unreachable) {
    return "\nPoint AMQP_URL or --url at a broker that is running.";
  }
  return "";
}

/**
 * Prints `error: <message and causes>` to stderr, then the CLI's advice (for usage errors, the
 * help of `program`, e.g. `admin.ts dead list`); returns the exit code.
 */
export function fatal(err: unknown, program: string): number {
  const code = exitCodeFor(err);
  const text = err instanceof PublishError || code === EXIT_USAGE
    ? (err as Error).message
    : describeError(err);
  console.error(`error: ${text}${hintFor(err, program)}`);
  return code;
}

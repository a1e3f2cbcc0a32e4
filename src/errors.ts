/**
 * Warren's error classes. Each names what went wrong and keeps the original error as `cause`.
 *
 * @module
 */

/** Options, arguments or environment that cannot work; the message says which and why. */
export class ConfigError extends Error {
  /** Creates a configuration error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigError";
  }
}

/** One problem found in a payload: where it is and what is wrong. */
export interface ValidationIssue {
  /** The path of the field, e.g. `end` or `items.2.name`; empty for the payload itself. */
  readonly path: string;
  /** What is wrong with it. */
  readonly message: string;
}

/** Issues as one line: `end: Too small: expected number to be >=1; start: Required`. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
}

/** A payload that does not match its task's schema. Nothing was published. */
export class ValidationError extends Error {
  /** The task whose schema rejected the payload, if the message named one. */
  readonly task: string | undefined;
  /** Each problem found, with the field it concerns. */
  readonly issues: readonly ValidationIssue[];

  /** Creates a validation error for `task` (if known) from its issues. */
  constructor(
    task: string | undefined,
    issues: readonly ValidationIssue[],
    options?: ErrorOptions,
  ) {
    const what = task === undefined ? "Invalid task message" : `Invalid payload for task '${task}'`;
    super(`${what}: ${formatIssues(issues)}`, options);
    this.name = "ValidationError";
    this.task = task;
    this.issues = issues;
  }
}

/** A task name that the catalog does not hold. */
export class UnknownTaskError extends Error {
  /** The name that was asked for. */
  readonly task: string;

  /** Creates an unknown-task error listing the names that exist. */
  constructor(task: string, known: readonly string[], options?: ErrorOptions) {
    super(`Unknown task '${task}': the catalog has ${known.join(", ") || "no tasks"}`, options);
    this.name = "UnknownTaskError";
    this.task = task;
  }
}

/** Deno denied a permission; the message names the flag to add. */
export class PermissionError extends Error {
  /** Creates a permission error naming the flag to add. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PermissionError";
  }
}

/** No broker could be reached, or the connection failed. URLs in the message are redacted. */
export class ConnectionError extends Error {
  /** Creates a connection error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionError";
  }
}

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

/**
 * Thrown by a handler to fail a task without retries: it goes to the dead-letter queue at once.
 *
 * @example Give up on bad input that a retry cannot fix
 * ```ts
 * import { NonRetryableError } from "./errors.ts";
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

/** An attempt ran past its task's time limit. */
export class TaskTimeoutError extends Error {
  /** The limit that passed, in milliseconds. */
  readonly timeout: number;

  /** Creates a timeout error for a limit of `timeout` milliseconds. */
  constructor(task: string, timeout: number) {
    super(`Task '${task}' did not finish within its time limit of ${timeout} ms`);
    this.name = "TaskTimeoutError";
    this.timeout = timeout;
  }
}

/** The message of an error and of each of its causes, joined: `a: b: c`. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    const text = current instanceof Error ? current.message : String(current);
    if (text && !parts.some((p) => p.includes(text))) parts.push(text);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(": ");
}

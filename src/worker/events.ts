/**
 * What a worker reports about each delivery: one event when a task starts and one per outcome.
 * The logger prints them (one line each, fields always in the same order); metrics and tests
 * listen to them with `Worker.on`.
 *
 * @module
 */
import type { Logger, LogLevel } from "../util/logger.ts";
import type { DeadReason } from "../wire/dead_reasons.ts";

/** A task began an attempt. */
export interface TaskStarted {
  /** The event's name. */
  readonly event: "task.started";
  /** The task's name. */
  readonly task: string;
  /** The message id. */
  readonly id: string;
  /** Which attempt, from 1. */
  readonly attempt: number;
}

/** A task finished; its acknowledgement follows. */
export interface TaskDone {
  /** The event's name. */
  readonly event: "task.done";
  /** The task's name. */
  readonly task: string;
  /** The message id. */
  readonly id: string;
  /** Which attempt, from 1. */
  readonly attempt: number;
  /** Milliseconds from delivery to the end of the attempt (waits for a free thread included). */
  readonly ms: number;
  /** What the handler returned, as it goes on the wire (encoded by the result schema). */
  readonly result: unknown;
}

/** An attempt failed; the task waits in a delay queue for its next attempt. */
export interface TaskFailed {
  /** The event's name. */
  readonly event: "task.failed";
  /** The task's name. */
  readonly task: string;
  /** The message id. */
  readonly id: string;
  /** Which attempt failed, from 1. */
  readonly attempt: number;
  /** Milliseconds from delivery to the end of the attempt (waits for a free thread included). */
  readonly ms: number;
  /** The error's message (and causes). */
  readonly error: string;
  /** When the next attempt comes, in milliseconds. */
  readonly retryIn: number;
}

/** A message went to the dead-letter queue. */
export interface TaskDead {
  /** The event's name. */
  readonly event: "task.dead";
  /** The task's name, when the message named one. */
  readonly task?: string;
  /** The message id. */
  readonly id: string;
  /** Attempts made, when the task ran. */
  readonly attempt?: number;
  /** How long the worker spent on it, in milliseconds. */
  readonly ms: number;
  /** What exactly went wrong. */
  readonly error: string;
  /** Why it was given up. */
  readonly reason: DeadReason;
}

/** A task went back to its queue unfinished (shutdown, lost connection, redelivery count). */
export interface TaskReturned {
  /** The event's name. */
  readonly event: "task.returned";
  /** The task's name, when known. */
  readonly task?: string;
  /** The message id. */
  readonly id: string;
  /** Why. */
  readonly reason: string;
}

/**
 * A task came before its not-before (the broker's clock runs fast, or was stepped): it goes back
 * to the delay levels for the rest of its delay, unrun; no attempt is counted.
 */
export interface TaskEarly {
  /** The event's name. */
  readonly event: "task.early";
  /** The task's name. */
  readonly task: string;
  /** The message id. */
  readonly id: string;
  /** How many milliseconds before its not-before it came: what it waits again. */
  readonly early: number;
}

/** Any event a worker reports about a task. */
export type TaskEvent = TaskStarted | TaskDone | TaskFailed | TaskDead | TaskReturned | TaskEarly;

/** The name of a task event. */
export type TaskEventName = TaskEvent["event"];

/** The order of a task event's fields in its log line, after time, level and event. */
export const FIELD_ORDER = [
  "task",
  "id",
  "attempt",
  "ms",
  "result",
  "error",
  "retryIn",
  "early",
  "reason",
] as const;

const LEVELS: Record<TaskEventName, LogLevel> = {
  "task.started": "debug",
  "task.done": "info",
  "task.returned": "info",
  "task.early": "info",
  "task.failed": "warn",
  "task.dead": "error",
};

/**
 * The level of a task event's log line: debug for starts, info for done, returned and early
 * (sent back to wait), warn for
 * failed attempts, error for dead letters, except that a task dead-lettered because someone
 * cancelled it is no error (it is what was asked): info.
 */
export function taskEventLevel(event: TaskEvent): LogLevel {
  if (event.event === "task.dead" && event.reason === "cancelled") return "info";
  return LEVELS[event.event];
}

/**
 * Logs a task event: starts at debug, done, returned, early and cancelled at info, failed attempts at
 * warn, other dead letters at error, so a logger at level `warn` prints only what needs a look.
 * The fields come in {@linkcode FIELD_ORDER} whatever the event.
 */
export function logTaskEvent(logger: Logger, event: TaskEvent): void {
  const fields: Record<string, unknown> = {};
  const source = event as unknown as Readonly<Record<string, unknown>>;
  for (const key of FIELD_ORDER) {
    if (source[key] !== undefined) fields[key] = source[key];
  }
  logger[taskEventLevel(event)](event.event, fields);
}

/**
 * What a worker reports about each delivery: one event per outcome (and one when a task starts).
 * The logger prints them; metrics and tests listen to them.
 *
 * @module
 */
import type { DeadReason } from "./codec.ts";
import type { Logger } from "./logger.ts";

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
  /** What the handler returned. */
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
  /** Why it was given up. */
  readonly reason: DeadReason;
  /** What exactly went wrong. */
  readonly error: string;
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

/** Any event a worker reports. */
export type TaskEvent = TaskStarted | TaskDone | TaskFailed | TaskDead | TaskReturned;

/**
 * Logs a task event: starts at debug, done and returned at info, failed attempts at warn, dead
 * letters at error. A logger at level `warn` thus prints only what needs a look.
 */
export function logTaskEvent(logger: Logger, event: TaskEvent): void {
  const { event: name, ...fields } = event;
  switch (event.event) {
    case "task.started":
      return logger.debug(name, fields);
    case "task.failed":
      return logger.warn(name, fields);
    case "task.dead":
      return logger.error(name, fields);
    default:
      return logger.info(name, fields);
  }
}

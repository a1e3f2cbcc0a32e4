/**
 * Messages between a worker's main thread and the threads that run CPU-heavy handlers.
 *
 * @module
 */
import type { LogFields, LogLevel } from "../../util/logger.ts";

/** Main → thread: load the handlers exported as `exportName` by `module`. */
export interface InitMessage {
  /** The message type. */
  readonly type: "init";
  /** URL of the module that exports the handlers. */
  readonly module: string;
  /** The export's name. */
  readonly exportName: string;
}

/** Main → thread: run one attempt. */
export interface RunMessage {
  /** The message type. */
  readonly type: "run";
  /** The task's name. */
  readonly task: string;
  /** The parsed payload. */
  readonly payload: Record<string, unknown>;
  /** The task's message id. */
  readonly id: string;
  /** Which attempt, from 1. */
  readonly attempt: number;
}

/** Main → thread: fire the running attempt's signal. */
export interface AbortMessage {
  /** The message type. */
  readonly type: "abort";
  /** Why. */
  readonly reason: string;
}

/** An error as it crosses threads. */
export interface ThreadError {
  /** The error's class name (e.g. NonRetryableError). */
  readonly name: string;
  /** Its message, with causes. */
  readonly message: string;
}

/** Thread → main: the handlers are loaded, or could not be. */
export interface ReadyMessage {
  /** The message type. */
  readonly type: "ready";
  /** Why the handlers could not be loaded. */
  readonly error?: ThreadError;
}

/** Thread → main: the attempt ended. */
export interface DoneMessage {
  /** The message type. */
  readonly type: "done";
  /** Whether the handler resolved. */
  readonly ok: boolean;
  /** What it returned. */
  readonly value?: unknown;
  /** What it threw. */
  readonly error?: ThreadError;
}

/** Thread → main: a log record of the handler. */
export interface LogMessage {
  /** The message type. */
  readonly type: "log";
  /** Its level. */
  readonly level: LogLevel;
  /** Its event. */
  readonly event: string;
  /** Its fields. */
  readonly fields?: LogFields;
}

/** Thread → main: the running handler reported its progress (checked in the thread). */
export interface ProgressMessage {
  /** The message type. */
  readonly type: "progress";
  /** How much is done, from 0 to 1. */
  readonly fraction: number;
  /** What it is doing. */
  readonly note?: string;
}

/** What the main thread sends. */
export type ToThread = InitMessage | RunMessage | AbortMessage;

/** What a thread sends. */
export type FromThread = ReadyMessage | DoneMessage | LogMessage | ProgressMessage;

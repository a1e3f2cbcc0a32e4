/**
 * What a handler receives besides its payload.
 *
 * @module
 */
import type { Logger } from "../util/logger.ts";

/** What a handler receives besides its payload. */
export interface TaskContext {
  /** Fires when the task's time limit passes or the worker must give the task up. */
  readonly signal: AbortSignal;
  /** Which attempt this is, starting at 1. */
  readonly attempt: number;
  /** The message id of the task (stable across retries). */
  readonly id: string;
  /** The task's name. */
  readonly task: string;
  /** A logger whose lines carry the task's name and id. */
  readonly log: Logger;
}

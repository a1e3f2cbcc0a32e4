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
  /**
   * Reports how far the task is: `fraction` from 0 to 1, and what it is doing. Written to the
   * history (when the worker records one) at most once a second; shown by `admin.ts task ID`
   * and by a producer's `--wait`. Throws a `RangeError` for a fraction outside 0 to 1.
   */
  progress(fraction: number, note?: string): void;
}

/**
 * {@linkcode CancelResult}: the state of a task `Producer.cancel` asked to cancel, as the history
 * had it.
 *
 * @module
 */
import type { TaskState } from "../history/timeline.ts";

/** What `Producer.cancel` knows of the task it asked to cancel. */
export interface CancelResult {
  /** The task's id. */
  readonly id: string;
  /**
   * The task's state as the history had it when the request was made: a finished one
   * (`succeeded`, `dead`, `expired`, `cancelled`) means that the request changes nothing.
   * Absent without a history, or when the history has no event of that id.
   */
  readonly state?: TaskState;
  /** Whether the history was there to look in (`history: true`, and `Q.events` exists). */
  readonly checked: boolean;
}

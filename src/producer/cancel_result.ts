/**
 * {@linkcode CancelResult}: what `Producer.cancel` did, and the task's state as the history had
 * it.
 *
 * @module
 */
import type { TaskState } from "../history/timeline.ts";

/** What became of a cancel asked of `Producer.cancel`. */
export interface CancelResult {
  /** The task's id. */
  readonly id: string;
  /**
   * `requested`: the request is in `Q.control`, and workers carry it out; `finished`: the
   * history says the task had finished, so nothing was asked.
   */
  readonly outcome: "requested" | "finished";
  /** The task's state as the history had it; absent without a history, or for a task it lacks. */
  readonly state?: TaskState;
  /** Whether the history was there to check the task against (`history: true`, `Q.events`). */
  readonly checked: boolean;
}

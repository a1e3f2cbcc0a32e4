/**
 * How long a task of the Tasks page has taken: from its first event (enqueued, when the history
 * has it; else the first one read) to its last one once it has finished, or to now while it has
 * not.
 *
 * @module
 */
import { isFinished, type TaskRecord } from "../history/timeline.ts";

/** A task's duration, in milliseconds; `ongoing` while it has not finished. */
export interface TaskDuration {
  /** Milliseconds from its first event to its last (finished) or to now. */
  readonly ms: number;
  /** Whether the task has not finished (the duration still grows). */
  readonly ongoing: boolean;
}

/**
 * The duration of `record` at `now` (ms since the epoch), from its enqueue, else from the first
 * of its events that was read (`firstAt`, or its first kept event); `null` when none is known.
 */
export function taskDuration(
  record: Pick<TaskRecord, "state" | "enqueuedAt" | "updatedAt" | "events"> & {
    readonly firstAt?: string;
  },
  now: number,
): TaskDuration | null {
  const start = Date.parse(record.enqueuedAt ?? record.firstAt ?? record.events[0]?.at ?? "");
  if (Number.isNaN(start)) return null;
  const ongoing = !isFinished(record.state);
  const end = ongoing ? now : Date.parse(record.updatedAt);
  return { ms: Math.max(0, end - start), ongoing };
}

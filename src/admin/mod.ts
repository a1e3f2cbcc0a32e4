/**
 * Operator tools as a library: {@linkcode Admin} reads a work queue's state (over AMQP, or with
 * {@linkcode managementStatus} from the management API), lists and replays its dead letters,
 * and purges; what the `admin.ts` CLI does, for programs.
 *
 * @example Replay the failed `sum` tasks (needs RabbitMQ on localhost)
 * ```ts ignore
 * import { Admin } from "./mod.ts";
 *
 * const admin = await Admin.connect({ queue: "task_queue" });
 * try {
 *   const { replayed } = await admin.replayDead({ task: "sum", reason: "failed" });
 *   console.log(`${replayed} replayed`);
 * } finally {
 *   await admin.close();
 * }
 * ```
 *
 * @module
 */
export {
  Admin,
  type AdminCancelOptions,
  type AdminOptions,
  type AdminQueue,
  type CancelReport,
  type TaskLookup,
} from "./admin.ts";
export type { CancelRequest } from "../wire/control.ts";
export type { FindOptions, TaskList, TaskQuery } from "../history/lookup.ts";
export type { SkippedMessages } from "../history/skipped.ts";
export type { StreamCheck, StreamCheckOptions } from "./stream_check.ts";
export { type FeedCounts, type FeedOptions, type FeedRecord, TaskFeed } from "../history/feed.ts";
export {
  type RunTimes,
  TALLIED_EVENTS,
  type TalliedEvent,
  type TallyRow,
  type TallySummary,
} from "../history/tally.ts";
export type { TaskRecord, TaskState } from "../history/timeline.ts";
export type { WorkflowLookup, WorkflowStep } from "../history/workflow_lookup.ts";
export type { DeadLetter, DeadLetterList, ListOptions } from "./dead_letters.ts";
export { type DeadLetterFilter, describeFilter, matchesFilter } from "./filters.ts";
export type { ReplayOptions, ReplaySummary } from "./replay.ts";
export type { QueueCounts } from "./queues.ts";
export type {
  QueueRole,
  QueueStatus,
  StatusReport,
  StatusSource,
  StreamRetentionArguments,
} from "./status.ts";
export type { FlowStatus, LimitStatus, PartitionStatus } from "./flow_status.ts";
export { ManagementError, type ManagementOptions, managementStatus } from "./management.ts";
export { MissingQueueError } from "../errors/missing_queue_error.ts";
export type { ScheduleRow, SchedulesReport } from "./schedules.ts";

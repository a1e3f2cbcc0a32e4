/**
 * What a task's history events say about it: a pure fold of events, in stream order, into a
 * {@linkcode TaskRecord} (its state, attempts, progress, result or error).
 *
 * An `enqueued` event is written by the producer before the task is published, so it comes
 * first; should one arrive late (another node's stream leader), it fills in the record without
 * taking the task back to `queued`. The same `enqueued` twice (a publish sent again after a
 * lost connection) counts once. A `replayed` event (its dead letter moved back to the work
 * queue) makes a finished task `queued` again, from its first attempt.
 *
 * @module
 */
import type { HistoryEvent } from "../wire/events.ts";

/** Where a task is in its life. */
export type TaskState =
  | "queued"
  | "delayed"
  | "running"
  | "retrying"
  | "succeeded"
  | "dead"
  | "expired"
  | "cancelled";

/** Every task state. */
export const TASK_STATES: readonly TaskState[] = [
  "queued",
  "delayed",
  "running",
  "retrying",
  "succeeded",
  "dead",
  "expired",
  "cancelled",
];

/** The states after which a task runs no more. */
export const FINISHED_STATES: readonly TaskState[] = ["succeeded", "dead", "expired", "cancelled"];

/** What the history says of one task. */
export interface TaskRecord {
  /** The task's id. */
  readonly id: string;
  /** Its name, when an event gave it. */
  readonly task: string | undefined;
  /** Where it is. */
  readonly state: TaskState;
  /** Attempts started. */
  readonly attempts: number;
  /** When it was enqueued (ISO 8601), when the history has that event. */
  readonly enqueuedAt: string | undefined;
  /** The time of its last event. */
  readonly updatedAt: string;
  /** The worker of its last worker event. */
  readonly worker: string | undefined;
  /** Its last progress report in the current attempt. */
  readonly progress: { readonly fraction: number; readonly note?: string } | undefined;
  /** When a delayed task, or the next attempt, may start. */
  readonly notBefore: string | undefined;
  /** When it expires. */
  readonly expires: string | undefined;
  /** What it returned, once succeeded. */
  readonly result?: unknown;
  /** Why it failed last, or was given up. */
  readonly error: string | undefined;
  /** Why it was dead-lettered. */
  readonly reason: string | undefined;
  /** The id of the workflow it is a step of, as its `started` events say. */
  readonly workflow?: string;
  /** Its events, in the order they happened, when kept. */
  readonly events: readonly HistoryEvent[];
}

/** Whether a task in `state` runs no more. */
export function isFinished(state: TaskState): boolean {
  return FINISHED_STATES.includes(state);
}

function blank(event: HistoryEvent): TaskRecord {
  return {
    id: event.id,
    task: event.task,
    state: "queued",
    attempts: 0,
    enqueuedAt: undefined,
    updatedAt: event.at,
    worker: undefined,
    progress: undefined,
    notBefore: undefined,
    expires: undefined,
    error: undefined,
    reason: undefined,
    events: [],
  };
}

/**
 * The record after `event` (the first event of a task when `record` is undefined). `now` tells
 * a delayed task from a queued one; `keep` keeps the events in the record.
 */
export function applyEvent(
  record: TaskRecord | undefined,
  event: HistoryEvent,
  options: { readonly now?: number; readonly keep?: boolean } = {},
): TaskRecord {
  const before = record ?? blank(event);
  const events = options.keep
    ? event.event === "enqueued" ? [event, ...before.events] : [...before.events, event]
    : before.events;
  const base = {
    ...before,
    task: before.task ?? event.task,
    events,
    updatedAt: event.at > before.updatedAt ? event.at : before.updatedAt,
  };
  const worker = "worker" in event ? event.worker : before.worker;
  switch (event.event) {
    case "enqueued": {
      const filled = {
        ...base,
        enqueuedAt: before.enqueuedAt ?? event.at,
        notBefore: event.notBefore ?? before.notBefore,
        expires: event.expires ?? before.expires,
      };
      // It sets the state when nothing has happened yet, or when the id is enqueued again
      // after it finished; a late one only fills in the record.
      const untouched = record === undefined ||
        (record.attempts === 0 && (record.state === "queued" || record.state === "delayed"));
      const again = record !== undefined && isFinished(record.state) &&
        event.at > record.updatedAt;
      if (!untouched && !again) return filled;
      const delayed = event.notBefore !== undefined &&
        Date.parse(event.notBefore) > (options.now ?? Date.now());
      return {
        ...filled,
        state: delayed ? "delayed" : "queued",
        enqueuedAt: again ? event.at : filled.enqueuedAt,
        ...(again ? { attempts: 0, result: undefined, error: undefined, reason: undefined } : {}),
      };
    }
    case "started":
      return {
        ...base,
        state: "running",
        attempts: Math.max(before.attempts, event.attempt),
        worker,
        progress: undefined,
        notBefore: undefined,
        ...(event.workflow === undefined ? {} : { workflow: event.workflow }),
      };
    case "progress":
      return {
        ...base,
        state: isFinished(before.state) ? before.state : "running",
        worker,
        progress: event.note === undefined
          ? { fraction: event.fraction }
          : { fraction: event.fraction, note: event.note },
      };
    case "retried":
      return { ...base, state: "retrying", worker, error: event.error, notBefore: event.next };
    case "returned":
      return { ...base, state: "queued", worker };
    case "succeeded":
      return {
        ...base,
        state: "succeeded",
        attempts: Math.max(before.attempts, event.attempt),
        worker,
        result: event.result,
        error: undefined,
        reason: undefined,
      };
    case "dead":
      return { ...base, state: "dead", worker, error: event.error, reason: event.reason };
    case "expired":
      return { ...base, state: "expired", worker, error: event.error, reason: "expired" };
    case "cancelled":
      return {
        ...base,
        state: "cancelled",
        worker,
        error: `cancelled while ${event.stage}`,
        reason: "cancelled",
      };
    case "replayed":
      // Its dead letter went back to the work queue: it runs again from its first attempt.
      return {
        ...base,
        state: "queued",
        attempts: 0,
        progress: undefined,
        notBefore: undefined,
        result: undefined,
        error: undefined,
        reason: undefined,
      };
  }
}

/**
 * The record of one task from its events in stream order, keeping them; `undefined` for none.
 *
 * @example
 * ```ts
 * import { foldTimeline } from "./timeline.ts";
 *
 * const record = foldTimeline([
 *   { v: 1, event: "enqueued", id: "t1", task: "sum", at: "2026-12-01T10:00:00.000Z" },
 *   { v: 1, event: "started", id: "t1", task: "sum", at: "2026-12-01T10:00:00.010Z", worker: "w1", attempt: 1 },
 * ]);
 * record?.state; // "running"
 * ```
 */
export function foldTimeline(
  events: readonly HistoryEvent[],
  now: number = Date.now(),
): TaskRecord | undefined {
  let record: TaskRecord | undefined;
  for (const event of events) record = applyEvent(record, event, { now, keep: true });
  return record;
}

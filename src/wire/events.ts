/**
 * The task history's event format (a public contract): each message of the stream `Q.events`
 * is one UTF-8 JSON object that says what happened to one task, as
 * `{"v": 1, "event", "id", "task", "at", ...}`. `at` and the other times are ISO 8601 (UTC).
 * The message's `correlation_id` property is the task's id, so a reader may skip other tasks'
 * events without parsing them. A message whose `type` property is `warren.marker` is not an
 * event: readers append one to learn where the stream ends, and skip it.
 *
 * | event       | fields besides `v`, `event`, `id`, `task`, `at`                          |
 * | ----------- | ------------------------------------------------------------------------ |
 * | `enqueued`  | `notBefore` (delayed), `expires`, `priority`, `payload` (when asked)     |
 * | `started`   | `worker`, `attempt`                                                      |
 * | `progress`  | `worker`, `attempt`, `fraction` (0 to 1), `note`                         |
 * | `retried`   | `worker`, `attempt` (the one that failed), `error`, `next` (its time)    |
 * | `succeeded` | `worker`, `attempt`, `ms`, `result`                                      |
 * | `dead`      | `worker`, `reason` (a dead-letter reason), `error`, `attempts`           |
 * | `expired`   | `worker`, `error`                                                        |
 * | `cancelled` | `worker`, `stage` (`queued` or `running`), `dropped`                     |
 * | `returned`  | `worker`, `reason` (back to the queue unfinished: shutdown, redelivery)  |
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { MAX_JSON_DEPTH, parseBoundedJson } from "../util/bounds.ts";
import { stringifyJson } from "../util/json.ts";
import type { DeadReason } from "./dead_reasons.ts";
import type { TaskOutcome } from "./outcome_codec.ts";

/** The version of the event format, the `v` of every event. */
export const EVENT_FORMAT = 1;

/** The `type` property of a marker message (not an event). */
export const MARKER_TYPE = "warren.marker";

/** The `type` property of an event message. */
export const EVENT_TYPE = "warren.event";

/** Every event name, in the order a task's life goes. */
export const HISTORY_EVENTS = [
  "enqueued",
  "started",
  "progress",
  "retried",
  "returned",
  "succeeded",
  "dead",
  "expired",
  "cancelled",
] as const;

/** The name of a history event. */
export type HistoryEventName = typeof HISTORY_EVENTS[number];

/** The events after which a task runs no more (unless its dead letter is replayed). */
export const TERMINAL_EVENTS: readonly HistoryEventName[] = [
  "succeeded",
  "dead",
  "expired",
  "cancelled",
];

/** What every event has. */
export interface EventBase<E extends HistoryEventName> {
  /** The format's version: 1. */
  readonly v: typeof EVENT_FORMAT;
  /** What happened. */
  readonly event: E;
  /** The task's id. */
  readonly id: string;
  /** The task's name, when known. */
  readonly task?: string;
  /** When, ISO 8601. */
  readonly at: string;
}

/** What every event a worker writes has. */
export interface WorkerEvent<E extends HistoryEventName> extends EventBase<E> {
  /** The id of the worker that wrote it. */
  readonly worker: string;
}

/** A producer's broker confirmed the task. */
export interface EnqueuedEvent extends EventBase<"enqueued"> {
  /** When a delayed task may run, ISO 8601. */
  readonly notBefore?: string;
  /** When the task may no longer start, ISO 8601. */
  readonly expires?: string;
  /** Its priority. */
  readonly priority?: number;
  /** Its payload, when the producer records payloads. */
  readonly payload?: Record<string, unknown>;
}

/** A worker began an attempt. */
export interface StartedEvent extends WorkerEvent<"started"> {
  /** Which attempt, from 1. */
  readonly attempt: number;
}

/** A handler reported how far it is. */
export interface ProgressEvent extends WorkerEvent<"progress"> {
  /** Which attempt, from 1. */
  readonly attempt: number;
  /** How much is done, from 0 to 1. */
  readonly fraction: number;
  /** What it is doing. */
  readonly note?: string;
}

/** An attempt failed; another follows at `next`. */
export interface RetriedEvent extends WorkerEvent<"retried"> {
  /** The attempt that failed. */
  readonly attempt: number;
  /** Why. */
  readonly error: string;
  /** When the next attempt may start, ISO 8601. */
  readonly next: string;
}

/** The task went back to its queue unfinished. */
export interface ReturnedEvent extends WorkerEvent<"returned"> {
  /** Why. */
  readonly reason: string;
}

/** The handler finished. */
export interface SucceededEvent extends WorkerEvent<"succeeded"> {
  /** Which attempt, from 1. */
  readonly attempt: number;
  /** Milliseconds from delivery to the end of the attempt. */
  readonly ms: number;
  /** What it returned, in its wire form (absent for `undefined`). */
  readonly result?: unknown;
}

/** The task was dead-lettered (for a reason other than expiry or a cancel). */
export interface DeadEvent extends WorkerEvent<"dead"> {
  /** Why. */
  readonly reason: DeadReason;
  /** The last error. */
  readonly error: string;
  /** Attempts made, when it ran. */
  readonly attempts?: number;
}

/** The task's expiry passed before a worker could start it. */
export interface ExpiredEvent extends WorkerEvent<"expired"> {
  /** By how much. */
  readonly error: string;
}

/** A worker carried out a cancel of the task. */
export interface CancelledEvent extends WorkerEvent<"cancelled"> {
  /** Whether it was waiting (`queued`) or running. */
  readonly stage: "queued" | "running";
  /** Whether it was dropped rather than dead-lettered. */
  readonly dropped?: boolean;
}

/** Any history event. */
export type HistoryEvent =
  | EnqueuedEvent
  | StartedEvent
  | ProgressEvent
  | RetriedEvent
  | ReturnedEvent
  | SucceededEvent
  | DeadEvent
  | ExpiredEvent
  | CancelledEvent;

/** Any history event, as it is built: without `v` and, when it is now, `at`. */
export type NewHistoryEvent = HistoryEvent extends infer E
  ? E extends HistoryEvent ? Omit<E, "v" | "at"> & { readonly at?: string } : never
  : never;

/** An event message's body and properties. */
export interface EncodedEvent {
  /** The JSON body. */
  readonly body: Buffer;
  /** Its properties: `correlationId` (the task's id), `type`, `contentType`. */
  readonly properties: {
    readonly correlationId: string;
    readonly type: typeof EVENT_TYPE;
    readonly contentType: "application/json";
  };
}

/**
 * Encodes an event (stamped now, unless it has its `at`).
 *
 * @example
 * ```ts
 * import { decodeEvent, encodeEvent } from "./events.ts";
 *
 * const { body } = encodeEvent({ event: "started", id: "t1", task: "sum", worker: "w1", attempt: 1 });
 * decodeEvent(body)?.event; // "started"
 * ```
 */
export function encodeEvent(event: NewHistoryEvent): EncodedEvent {
  const { at, ...rest } = event;
  const body = stringifyJson({ v: EVENT_FORMAT, ...rest, at: at ?? new Date().toISOString() });
  return {
    body: Buffer.from(body),
    properties: { correlationId: event.id, type: EVENT_TYPE, contentType: "application/json" },
  };
}

const text = new TextDecoder();

/** Decodes an event message's body; `undefined` when it is not an event of this format. */
export function decodeEvent(body: Uint8Array): HistoryEvent | undefined {
  // Bounded: a payload or result nests at most MAX_JSON_DEPTH levels below its event.
  const value = parseBoundedJson(text.decode(body), MAX_JSON_DEPTH + 2);
  if (typeof value !== "object" || value === null) return undefined;
  const event = value as Partial<Record<string, unknown>>;
  if (
    event.v !== EVENT_FORMAT || typeof event.id !== "string" || typeof event.at !== "string" ||
    !(HISTORY_EVENTS as readonly unknown[]).includes(event.event)
  ) {
    return undefined;
  }
  return value as HistoryEvent;
}

/** Whether the task runs no more after `event`. */
export function isTerminal(event: HistoryEvent): boolean {
  return TERMINAL_EVENTS.includes(event.event);
}

/** The outcome that a terminal event stands for (as a worker's reply would say it). */
export function outcomeOf(event: HistoryEvent): TaskOutcome | undefined {
  const task = event.task === undefined ? {} : { task: event.task };
  switch (event.event) {
    case "succeeded":
      return { id: event.id, task: event.task ?? "", ok: true, result: event.result };
    case "dead":
      return { id: event.id, ...task, ok: false, reason: event.reason, error: event.error };
    case "expired":
      return { id: event.id, ...task, ok: false, reason: "expired", error: event.error };
    case "cancelled":
      return {
        id: event.id,
        ...task,
        ok: false,
        reason: "cancelled",
        error: `cancelled while ${event.stage}`,
      };
    default:
      return undefined;
  }
}

/**
 * The task history's event format (a public contract): each message of the stream `Q.events`
 * is one UTF-8 JSON object that says what happened to one task, as
 * `{"v": 1, "event", "id", "task", "at", ...}`. `at` and the other times are ISO 8601 (UTC).
 * The message's `correlation_id` property is the task's id, so a reader may skip other tasks'
 * events without parsing them. A message whose `type` property is `warren.marker` is not an
 * event: readers append one to learn where the stream ends, and skip it.
 *
 * Several events may share one message (a producer's publish batch, a worker's flush of
 * outcomes): its `type` is then `warren.events` and its body the events, one JSON object a
 * line (newline-delimited JSON; JSON text holds no raw newline), in the order they happened.
 * Its `correlation_id` is the task's id when every event is of one task, and absent otherwise.
 * {@linkcode eventBodies} splits any message into its events' bodies; each is read as above.
 *
 * | event       | fields besides `v`, `event`, `id`, `task`, `at`                          |
 * | ----------- | ------------------------------------------------------------------------ |
 * | `enqueued`  | `notBefore` (delayed), `expires`, `priority`, `payload` (when asked)     |
 * | `started`   | `worker`, `attempt`, `workflow` (a workflow's step: the workflow's id)   |
 * | `progress`  | `worker`, `attempt`, `fraction` (0 to 1), `note`                         |
 * | `retried`   | `worker`, `attempt` (the one that failed), `error`, `next` (its time)    |
 * | `succeeded` | `worker`, `attempt`, `ms`, `result`                                      |
 * | `dead`      | `worker`, `reason` (a dead-letter reason), `error`, `attempts`           |
 * | `expired`   | `worker`, `error`                                                        |
 * | `cancelled` | `worker`, `stage` (`queued` or `running`), `dropped`                     |
 * | `returned`  | `worker`, `reason` (back to the queue unfinished: shutdown, redelivery)  |
 * | `replayed`  | `by`, `reason` (its dead letter's), `queue` (moved back to the work queue)|
 *
 * A reader checks every event before use ({@linkcode readEvent}): at most
 * {@linkcode MAX_EVENT_BYTES} bytes, {@linkcode MAX_EVENT_DEPTH} levels deep, and of the shape
 * above (a field an event should have and lacks is read as "not recorded"; one of the wrong
 * type, or out of its bounds, such as a `workflow` that is empty or over
 * `MAX_WORKFLOW_ID_BYTES` (128) bytes, makes the event unreadable). Readers skip, and count,
 * what they cannot read.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { z } from "../deps/zod.ts";
import { MAX_JSON_DEPTH } from "../util/bounds.ts";
import { stringifyJson } from "../util/json.ts";
import { type JsonProblem, parseBoundedJson } from "./bounded_json.ts";
import type { DeadReason } from "./dead_reasons.ts";
import type { TaskOutcome } from "./outcome_codec.ts";
import { workflowIdSchema } from "./workflow.ts";

/** The version of the event format, the `v` of every event. */
export const EVENT_FORMAT = 1;

/** The `type` property of a marker message (not an event). */
export const MARKER_TYPE = "warren.marker";

/** The `type` property of an event message. */
export const EVENT_TYPE = "warren.event";

/** The `type` property of a message that holds several events, one a line. */
export const EVENTS_TYPE = "warren.events";

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
  "replayed",
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
  /**
   * The id of the workflow the task is a step of (from its `x-warren-workflow` header): 1 to
   * `MAX_WORKFLOW_ID_BYTES` (128) bytes. Absent for a task that is no workflow's step.
   */
  readonly workflow?: string;
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

/** Its dead letter was moved back to the work queue, to run again from its first attempt. */
export interface ReplayedEvent extends EventBase<"replayed"> {
  /** Who replayed it (a host and process). */
  readonly by?: string;
  /** The dead letter's reason. */
  readonly reason?: string;
  /** The work queue it went back to. */
  readonly queue?: string;
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
  | CancelledEvent
  | ReplayedEvent;

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

/** A message of one or more events: its body and properties. */
export interface EncodedEvents {
  /** One JSON event, or several, one a line. */
  readonly body: Buffer;
  /** How many events it holds. */
  readonly count: number;
  /**
   * Its properties: `type` (`warren.event` for one event, `warren.events` for several), and
   * `correlationId` when every event is of one task.
   */
  readonly properties: {
    readonly correlationId?: string;
    readonly type: typeof EVENT_TYPE | typeof EVENTS_TYPE;
    readonly contentType: "application/json" | "application/x-ndjson";
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
  return {
    body: Buffer.from(eventJson(event)),
    properties: { correlationId: event.id, type: EVENT_TYPE, contentType: "application/json" },
  };
}

let lastMs = 0;
let lastIso = "";

/** The time now, ISO 8601: made once a millisecond (the events of a busy turn share it). */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** The JSON text of an event (stamped now, unless it has its `at`). */
export function eventJson(event: NewHistoryEvent, now?: string): string {
  const { at, ...rest } = event;
  const value = { v: EVENT_FORMAT, ...rest, at: at ?? now ?? isoNow() };
  try {
    // Without a replacer, which costs a call per key; a bigint throws and takes the slow way.
    const json = JSON.stringify(value);
    if (!("result" in rest) || !json.includes("{}")) return json;
  } catch {
    // a bigint: see below
  }
  return stringifyJson(value);
}

/**
 * Encodes events already turned into JSON text ({@linkcode eventJson}), each with its task's
 * id, as one message: a single event as `encodeEvent` writes it, several one a line.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { eventBodies, eventJson, encodeEvents } from "./events.ts";
 *
 * const started = { event: "started", id: "t1", task: "sum", worker: "w1", attempt: 1 } as const;
 * const done = { ...started, event: "succeeded", ms: 1, result: 3 } as const;
 * const message = encodeEvents([
 *   { id: "t1", json: eventJson(started) },
 *   { id: "t1", json: eventJson(done) },
 * ]);
 * assertEquals(message.properties.correlationId, "t1"); // both events are of task t1
 * assertEquals(eventBodies({ content: message.body, properties: message.properties }).length, 2);
 * ```
 */
export function encodeEvents(
  events: readonly { readonly id: string; readonly json: string }[],
): EncodedEvents {
  const first = events[0];
  if (first === undefined) throw new RangeError("encodeEvents() needs at least one event");
  const one = events.every((e) => e.id === first.id);
  if (events.length === 1) {
    return {
      body: Buffer.from(first.json),
      count: 1,
      properties: { correlationId: first.id, type: EVENT_TYPE, contentType: "application/json" },
    };
  }
  return {
    body: Buffer.from(events.map((e) => e.json).join("\n")),
    count: events.length,
    properties: {
      ...(one ? { correlationId: first.id } : {}),
      type: EVENTS_TYPE,
      contentType: "application/x-ndjson",
    },
  };
}

/** What {@linkcode eventBodies} reads of a message. */
export interface EventMessage {
  /** Its body. */
  readonly content: Uint8Array;
  /** Its properties (`type`, `correlationId`). */
  readonly properties: { readonly type?: unknown; readonly correlationId?: unknown };
}

const NEWLINE = 0x0a;
const encoder = new TextEncoder();

/**
 * The bodies of the events in a message of `Q.events`, in order: one for a single event, one a
 * line for a `warren.events` message, none for a marker. With `id`, only those that may be of
 * task `id` (a message whose `correlation_id` names another task is skipped, and so are the
 * lines that do not hold the id), so that a lookup parses next to nothing of other tasks. Each
 * body is then read as one event (`decodeEvent`).
 */
export function eventBodies(message: EventMessage, id?: string): Uint8Array[] {
  const { type, correlationId } = message.properties;
  if (type === MARKER_TYPE) return [];
  if (id !== undefined && typeof correlationId === "string" && correlationId !== id) return [];
  const body = message.content;
  if (type !== EVENTS_TYPE) {
    return id === undefined || typeof correlationId === "string" || includes(body, id)
      ? [body]
      : [];
  }
  const needle = id === undefined || typeof correlationId === "string"
    ? undefined
    : encoder.encode(JSON.stringify(id));
  if (needle !== undefined && indexOf(body, needle, 0) < 0) return [];
  const bodies: Uint8Array[] = [];
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(NEWLINE, start);
    if (end < 0) end = body.length;
    const line = body.subarray(start, end);
    if (line.length > 0 && (needle === undefined || indexOf(line, needle, 0) >= 0)) {
      bodies.push(line);
    }
    start = end + 1;
  }
  return bodies;
}

/** Whether `body` holds `id` as a JSON string. */
function includes(body: Uint8Array, id: string): boolean {
  return indexOf(body, encoder.encode(JSON.stringify(id)), 0) >= 0;
}

/** Where `needle` first is in `haystack` from `from`, or -1. */
function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(
    needle,
    from,
  );
}

/** The most bytes of an event that readers read; a longer one is skipped, and counted. */
export const MAX_EVENT_BYTES = 1024 * 1024;

/**
 * The most levels of nesting of an event that readers read: its payload or result may nest
 * `MAX_JSON_DEPTH` (64) levels below it, as writers allow.
 */
export const MAX_EVENT_DEPTH: number = MAX_JSON_DEPTH + 2;

/** Why a reader skipped a message of `Q.events`. */
export type EventProblem = JsonProblem | "not-an-event";

/** What {@linkcode readEvent} made of a message's body. */
export type EventRead =
  | { readonly ok: true; readonly event: HistoryEvent }
  | { readonly ok: false; readonly problem: EventProblem; readonly detail: string };

const NOT_RECORDED = "(not recorded)";
const Time = z.string().max(64).regex(/^\d{4}-\d{2}-\d{2}T/, "not an ISO 8601 time");
const Text = z.string();
const Count = z.number().int().min(0);
const Worker = { worker: Text.default(NOT_RECORDED) };
const Base = {
  v: z.literal(EVENT_FORMAT),
  id: z.string().min(1).max(1024),
  task: Text.optional(),
  at: Time,
};

const EventSchema = z.discriminatedUnion("event", [
  z.object({
    ...Base,
    event: z.literal("enqueued"),
    notBefore: Time.optional(),
    expires: Time.optional(),
    priority: z.number().optional(),
    payload: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({
    ...Base,
    ...Worker,
    event: z.literal("started"),
    attempt: Count.default(0),
    workflow: workflowIdSchema.optional(),
  }),
  z.object({
    ...Base,
    ...Worker,
    event: z.literal("progress"),
    attempt: Count.default(0),
    fraction: z.number().min(0).max(1).default(0),
    note: Text.optional(),
  }),
  z.object({
    ...Base,
    ...Worker,
    event: z.literal("retried"),
    attempt: Count.default(0),
    error: Text.default(NOT_RECORDED),
    next: Time.optional(),
  }),
  z.object({
    ...Base,
    ...Worker,
    event: z.literal("returned"),
    reason: Text.default(NOT_RECORDED),
  }),
  z.object({
    ...Base,
    ...Worker,
    event: z.literal("succeeded"),
    attempt: Count.default(0),
    ms: z.number().min(0).default(0),
    result: z.unknown().optional(),
  }),
  z.object({
    ...Base,
    ...Worker,
    event: z.literal("dead"),
    reason: Text.default(NOT_RECORDED),
    error: Text.default(NOT_RECORDED),
    attempts: Count.optional(),
  }),
  z.object({ ...Base, ...Worker, event: z.literal("expired"), error: Text.default(NOT_RECORDED) }),
  z.object({
    ...Base,
    ...Worker,
    event: z.literal("cancelled"),
    stage: z.enum(["queued", "running"]).default("queued"),
    dropped: z.boolean().optional(),
  }),
  z.object({
    ...Base,
    event: z.literal("replayed"),
    by: Text.optional(),
    reason: Text.optional(),
    queue: Text.optional(),
  }),
]);

/**
 * Reads an event message's body within the bounds ({@linkcode MAX_EVENT_BYTES},
 * {@linkcode MAX_EVENT_DEPTH}) and against the event format; says why when it cannot. A field an
 * event should have and lacks reads as `(not recorded)` (a worker, an error), 0 (an attempt)
 * or, for a retry's `next`, the event's own time. Never throws.
 *
 * @example
 * ```ts
 * import { readEvent } from "./events.ts";
 *
 * const read = readEvent(new TextEncoder().encode('{"v":1,"event":"started","id":"t1","task":5,"at":"2026-12-01T10:00:00Z"}'));
 * read.ok; // false: a task's name is a string
 * ```
 */
export function readEvent(body: Uint8Array): EventRead {
  const json = parseBoundedJson(body, { maxBytes: MAX_EVENT_BYTES, maxDepth: MAX_EVENT_DEPTH });
  if (!json.ok) return json;
  const parsed = EventSchema.safeParse(json.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") || "the event";
    return {
      ok: false,
      problem: "not-an-event",
      detail: `${where}: ${issue?.message ?? "not an event of this format"}`.slice(0, 200),
    };
  }
  const event = parsed.data;
  if (event.event === "retried" && event.next === undefined) {
    return { ok: true, event: { ...event, next: event.at } as HistoryEvent };
  }
  return { ok: true, event: event as HistoryEvent };
}

/**
 * Decodes an event message's body; `undefined` when it is not an event of this format, or not
 * within its bounds (see {@linkcode readEvent}, which says why).
 */
export function decodeEvent(body: Uint8Array): HistoryEvent | undefined {
  const read = readEvent(body);
  return read.ok ? read.event : undefined;
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

/**
 * Cutting the history's long texts (an error, a result, a payload, a task's name) to a bound,
 * with a marker that says so and how long the whole was, so that what a tool prints or sends
 * stays small whatever a task wrote; the whole stays in the stream, for whoever asks for it.
 *
 * @module
 */
import { stringifyJson } from "../util/json.ts";
import type { HistoryEvent } from "../wire/events.ts";
import type { TaskRecord } from "./timeline.ts";

/** The marker that ends a cut text: `…[cut: 16777216 characters in all]`. */
export function cutMarker(length: number): string {
  return `…[cut: ${length} characters in all]`;
}

/**
 * `text` as it is when it holds at most `max` characters; else its first `max` characters and
 * {@linkcode cutMarker} (never half of a surrogate pair).
 *
 * @example
 * ```ts
 * import { clipText } from "./clip.ts";
 *
 * clipText("x".repeat(100), 10); // "xxxxxxxxxx…[cut: 100 characters in all]"
 * ```
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  // A slice of a long string may keep the whole string alive (V8 makes a "sliced string" that
  // points into it): the cut text is copied out, so that keeping it keeps only what it shows.
  return detached(`${text.slice(0, end)}${cutMarker(text.length)}`);
}

/** A copy of `text` that shares no memory with the string it was cut from. */
function detached(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/** Whether a text was cut by {@linkcode clipText}. */
export function wasCut(text: unknown): boolean {
  return typeof text === "string" && /…\[cut: \d+ characters in all\]$/.test(text);
}

/**
 * A JSON value (a result, a payload) as it is when its JSON text holds at most `max`
 * characters; else that text, cut, as a string.
 */
export function clipValue(value: unknown, max: number): unknown {
  if (value === undefined || value === null || typeof value === "number") return value;
  if (typeof value === "boolean") return value;
  if (typeof value === "string") return clipText(value, max);
  const json = stringifyJson(value);
  return json.length <= max ? value : clipText(json, max);
}

/** `text` clipped, and `undefined` kept. */
function clipOptional(text: string | undefined, max: number): string | undefined {
  return text === undefined ? undefined : clipText(text, max);
}

/** A task's name is shown whole up to this many characters. */
export const NAME_MAX = 200;

/**
 * A task's record with its long texts cut to `max` characters (its name to 200), its result to
 * a JSON text of `max` characters, and its events (when kept) cut alike.
 */
export function clipRecord(record: TaskRecord, max: number): TaskRecord {
  const clipped: TaskRecord = {
    ...record,
    task: clipOptional(record.task, NAME_MAX),
    worker: clipOptional(record.worker, NAME_MAX),
    error: clipOptional(record.error, max),
    reason: clipOptional(record.reason, NAME_MAX),
    progress: record.progress === undefined
      ? undefined
      : record.progress.note === undefined
      ? record.progress
      : { fraction: record.progress.fraction, note: clipText(record.progress.note, max) },
    events: record.events.map((event) => clipEvent(event, max)),
  };
  return "result" in record ? { ...clipped, result: clipValue(record.result, max) } : clipped;
}

/**
 * An event with its long texts cut to `max` characters (names to 200), copied whole: a string
 * that `JSON.parse` made may be a slice of the message's text, and keeping it would keep the
 * whole message alive; the copy shares nothing with it.
 */
export function clipEvent(event: HistoryEvent, max: number): HistoryEvent {
  return structuredClone(clipEventFields(event, max));
}

function clipEventFields(event: HistoryEvent, max: number): HistoryEvent {
  const named = {
    ...event,
    ...(event.task === undefined ? {} : { task: clipText(event.task, NAME_MAX) }),
    ...("worker" in event ? { worker: clipText(event.worker, NAME_MAX) } : {}),
  };
  switch (named.event) {
    case "enqueued":
      return named.payload === undefined ? named : {
        ...named,
        payload: clipPayload(named.payload, max),
      };
    case "progress":
      return named.note === undefined ? named : { ...named, note: clipText(named.note, max) };
    case "retried":
    case "dead":
    case "expired":
      return { ...named, error: clipText(named.error, max) };
    case "returned":
      return { ...named, reason: clipText(named.reason, max) };
    case "succeeded":
      return "result" in named ? { ...named, result: clipValue(named.result, max) } : named;
    case "replayed":
      return {
        ...named,
        ...(named.by === undefined ? {} : { by: clipText(named.by, NAME_MAX) }),
        ...(named.reason === undefined ? {} : { reason: clipText(named.reason, NAME_MAX) }),
      };
    default:
      return named;
  }
}

/** A payload whose JSON text is too long becomes `{"$cut": "<its JSON, cut>"}`. */
function clipPayload(payload: Record<string, unknown>, max: number): Record<string, unknown> {
  const json = stringifyJson(payload);
  return json.length <= max ? payload : { $cut: clipText(json, max) };
}

/** Whether any long text of a record was cut by {@linkcode clipRecord}. */
export function recordWasCut(record: TaskRecord): boolean {
  return wasCut(record.error) || wasCut(record.result) || wasCut(record.task) ||
    wasCut(record.progress?.note) ||
    record.events.some((event) =>
      Object.values(event).some(wasCut) ||
      ("payload" in event && event.payload !== undefined && "$cut" in event.payload)
    );
}

/**
 * The history in words, for people: what an event says, a task's state, and the one detail a
 * list shows of a task. The admin CLI prints them; the dashboard's API sends them.
 *
 * @module
 */
import { stringifyJson } from "../util/json.ts";
import type { HistoryEvent } from "../wire/events.ts";
import type { TaskRecord } from "./timeline.ts";

/** A progress report in words: `40% row 400 of 1000`. */
export function progressText(
  progress: { readonly fraction: number; readonly note?: string },
): string {
  return `${Math.round(progress.fraction * 100)}% ${progress.note ?? ""}`.trim();
}

/** Leaves a text as it is: the default of {@linkcode eventDetail}'s `clip`. */
const whole = (text: string, _max: number) => text;

/**
 * What an event says besides its time, name, attempt and worker; `clip` shortens its long
 * parts (an error, a payload) to a most number of characters, for a table.
 */
export function eventDetail(
  event: HistoryEvent,
  clip: (text: string, max: number) => string = whole,
): string {
  switch (event.event) {
    case "enqueued":
      return [
        event.notBefore ? `delayed until ${event.notBefore}` : "",
        event.expires ? `expires ${event.expires}` : "",
        event.priority === undefined ? "" : `priority ${event.priority}`,
        event.payload ? `payload ${clip(stringifyJson(event.payload), 60)}` : "",
      ].filter((part) => part !== "").join(", ");
    case "started":
      return "";
    case "progress":
      return progressText(event);
    case "retried":
      return `${clip(event.error, 80)}; next attempt at ${event.next}`;
    case "returned":
      return clip(event.reason, 100);
    case "succeeded":
      return `in ${event.ms} ms${
        "result" in event ? `: ${clip(stringifyJson(event.result), 60)}` : ""
      }`;
    case "dead":
      return `${event.reason}: ${clip(event.error, 80)}`;
    case "expired":
      return clip(event.error, 100);
    case "cancelled":
      return `while ${event.stage}${event.dropped ? ", dropped" : ", dead-lettered"}`;
    case "replayed":
      return [
        `dead letter${event.reason ? ` (${event.reason})` : ""} moved back to ${
          event.queue ?? "the work queue"
        }`,
        event.by ? `by ${clip(event.by, 60)}` : "",
      ].filter((part) => part !== "").join(" ");
  }
}

/** The state in words: `running (attempt 2, 40% slept 1000 of 2500 ms)`. */
export function describeState(record: TaskRecord): string {
  const attempts = `${record.attempts} attempt${record.attempts === 1 ? "" : "s"}`;
  switch (record.state) {
    case "queued":
      return record.attempts === 0 ? "queued" : `queued again after ${attempts}`;
    case "delayed":
      return `delayed until ${record.notBefore}`;
    case "running": {
      const progress = record.progress ? `, ${progressText(record.progress)}` : "";
      return `running (attempt ${record.attempts} on ${record.worker}${progress})`;
    }
    case "retrying":
      return `waiting to retry at ${record.notBefore} after ${attempts}`;
    case "succeeded":
      return `succeeded after ${attempts}`;
    case "cancelled":
      return `${record.error} (after ${attempts})`;
    case "expired":
      return `expired: ${record.error}`;
    case "dead":
      return `dead after ${attempts} (${record.reason}): ${record.error}`;
  }
}

/** What a list shows of a task: its progress while it runs, else its last error. */
export function recordDetail(record: TaskRecord): string {
  return record.state === "running" && record.progress
    ? progressText(record.progress)
    : record.error ?? "";
}

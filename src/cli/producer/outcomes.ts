/**
 * What the producer CLI prints for each task: its confirm, or with `--wait` its outcome, as a
 * line of text or of JSON; and the counts for the summary.
 *
 * @module
 */
import type { TaskOutcome } from "../../wire/outcome_codec.ts";
import { stringifyJson } from "../../util/json.ts";
import type { Receipt } from "../../producer/publish_window.ts";

/** How lines are printed. */
export type OutputFormat = "text" | "json";

/** The output formats. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["text", "json"];

/** The line for a confirmed task. */
export function enqueuedLine(receipt: Receipt, format: OutputFormat): string {
  return format === "json"
    ? stringifyJson({ event: "task.enqueued", task: receipt.task, id: receipt.id })
    : `enqueued ${receipt.task} ${receipt.id}`;
}

/** The line for a task's outcome. */
export function outcomeLine(outcome: TaskOutcome, format: OutputFormat): string {
  if (format === "json") return stringifyJson(outcome);
  if (outcome.ok) {
    const { result: value } = outcome;
    const result = typeof value === "string" || typeof value === "bigint"
      ? String(value)
      : stringifyJson(value);
    return `done ${outcome.task} ${outcome.id} ${result}`;
  }
  // A task that expired before it started never ran: not a failure of its handler.
  if (outcome.reason === "expired") {
    return `expired ${outcome.task ?? "?"} ${outcome.id} ${outcome.error}`;
  }
  return `failed ${outcome.task ?? "?"} ${outcome.id} ${outcome.reason}: ${outcome.error}`;
}

/** The line for a task whose outcome did not come in time. */
export function timeoutLine(task: string, id: string, format: OutputFormat): string {
  return format === "json"
    ? stringifyJson({ id, task, ok: false, reason: "timeout", error: "no outcome in time" })
    : `timeout ${task} ${id} no outcome in time`;
}

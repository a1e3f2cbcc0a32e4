/**
 * The history as text, for people: one task's record and timeline (`admin.ts task ID`), a list
 * of tasks (`admin.ts tasks`), and a cancel's report (`--json` prints the objects).
 *
 * @module
 */
import type { CancelReport, TaskLookup } from "../../admin/admin.ts";
import { isFinished, type TaskRecord } from "../../history/timeline.ts";
import { stringifyJson } from "../../util/json.ts";
import type { HistoryEvent } from "../../wire/events.ts";
import { oneLine, table } from "./format.ts";

/** A fraction as a percentage: `40%`. */
const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

/** What an event says besides its time, name, attempt and worker. */
export function eventDetail(event: HistoryEvent): string {
  switch (event.event) {
    case "enqueued":
      return [
        event.notBefore ? `delayed until ${event.notBefore}` : "",
        event.expires ? `expires ${event.expires}` : "",
        event.priority === undefined ? "" : `priority ${event.priority}`,
        event.payload ? `payload ${oneLine(stringifyJson(event.payload), 60)}` : "",
      ].filter((part) => part !== "").join(", ");
    case "started":
      return "";
    case "progress":
      return [percent(event.fraction), event.note ?? ""].join(" ").trim();
    case "retried":
      return `${oneLine(event.error, 80)}; next attempt at ${event.next}`;
    case "returned":
      return oneLine(event.reason, 100);
    case "succeeded":
      return `in ${event.ms} ms${
        "result" in event ? `: ${oneLine(stringifyJson(event.result), 60)}` : ""
      }`;
    case "dead":
      return `${event.reason}: ${oneLine(event.error, 80)}`;
    case "expired":
      return oneLine(event.error, 100);
    case "cancelled":
      return `while ${event.stage}${event.dropped ? ", dropped" : ", dead-lettered"}`;
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
      const progress = record.progress
        ? `, ${[percent(record.progress.fraction), record.progress.note ?? ""].join(" ").trim()}`
        : "";
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

/** One task's record and timeline. */
export function formatTask(record: TaskLookup, queue: string): string {
  const rows = record.events.map((event) => [
    event.at,
    event.event,
    "attempt" in event ? String(event.attempt) : "",
    "worker" in event ? event.worker : "",
    eventDetail(event),
  ]);
  const head = [
    `Task ${record.id} (${record.task ?? "?"}) of '${queue}': ${describeState(record)}`,
    ...(record.state === "succeeded" ? [`result: ${stringifyJson(record.result)}`] : []),
    ...(record.cancelRequest && !isFinished(record.state)
      ? [
        `cancel requested at ${record.cancelRequest.at} by ${record.cancelRequest.by}${
          record.cancelRequest.drop ? " (drop)" : ""
        }; the worker that gets (or runs) it carries it out`,
      ]
      : []),
  ];
  const lines = table(
    [
      { title: "TIME" },
      { title: "EVENT" },
      { title: "ATTEMPT", right: true },
      { title: "WORKER" },
      { title: "DETAIL" },
    ],
    rows,
  );
  return [...head, ...lines].join("\n");
}

/** A list of tasks, one line each. */
export function formatTasks(records: readonly TaskRecord[], heading: string): string {
  if (records.length === 0) return `${heading}: none`;
  const rows = records.map((r) => [
    r.id,
    r.task ?? "?",
    r.state,
    String(r.attempts),
    r.enqueuedAt ?? "-",
    r.updatedAt,
    oneLine(
      r.state === "running" && r.progress
        ? [percent(r.progress.fraction), r.progress.note ?? ""].join(" ").trim()
        : r.error ?? "",
      60,
    ),
  ]);
  const lines = table(
    [
      { title: "ID" },
      { title: "TASK" },
      { title: "STATE" },
      { title: "ATTEMPTS", right: true },
      { title: "ENQUEUED" },
      { title: "UPDATED" },
      { title: "DETAIL" },
    ],
    rows,
  );
  return [`${heading}: ${records.length}`, ...lines].join("\n");
}

/** What a cancel did, one line per task. */
export function formatCancels(reports: readonly CancelReport[]): string {
  return reports.map((report) => {
    switch (report.outcome) {
      case "requested":
        return report.checked
          ? `${report.id}: cancel requested (it was ${report.state})`
          : `${report.id}: cancel requested (not checked against the history)`;
      case "finished":
        return `${report.id}: not cancelled: it had already finished (${report.state})`;
      case "unknown":
        return `${report.id}: not cancelled: no task of that id in the history (--unchecked cancels it all the same)`;
    }
  }).join("\n");
}

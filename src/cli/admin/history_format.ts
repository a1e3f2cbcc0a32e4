/**
 * The history as text, for people: one task's record and timeline (`admin.ts task ID`), a list
 * of tasks (`admin.ts tasks`), and a cancel's report (`--json` prints the objects).
 *
 * @module
 */
import type { CancelReport, TaskLookup } from "../../admin/admin.ts";
import { isFinished, type TaskRecord } from "../../history/timeline.ts";
import { stringifyJson } from "../../util/json.ts";
import { describeState, eventDetail, recordDetail } from "../../history/describe.ts";
import { oneLine, table } from "./format.ts";

/** One task's record and timeline. */
export function formatTask(record: TaskLookup, queue: string): string {
  const rows = record.events.map((event) => [
    event.at,
    event.event,
    "attempt" in event ? String(event.attempt) : "",
    "worker" in event ? event.worker : "",
    eventDetail(event, oneLine),
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
    oneLine(recordDetail(r), 60),
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

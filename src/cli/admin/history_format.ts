/**
 * The history as text, for people: one task's record and timeline (`admin.ts task ID`), a list
 * of tasks (`admin.ts tasks`), and a cancel's report (`--json` prints the objects).
 *
 * @module
 */
import type { CancelReport, TaskLookup } from "../../admin/admin.ts";
import { clipRecord, clipText, recordWasCut } from "../../history/clip.ts";
import type { TaskList } from "../../history/lookup.ts";
import { skippedInWords, type SkippedMessages } from "../../history/skipped.ts";
import { isFinished, type TaskRecord } from "../../history/timeline.ts";
import { stringifyJson } from "../../util/json.ts";
import { describeState, eventDetail, recordDetail } from "../../history/describe.ts";
import { oneLine, printable, table } from "./format.ts";

/** The most characters of an error, a result or a payload that `admin.ts task` prints. */
export const TASK_TEXT_MAX = 500;

/** Options of {@linkcode formatTask}. */
export interface FormatTaskOptions {
  /**
   * Print every text whole (escaped all the same), rather than cut to 500 characters.
   * @default {false}
   */
  readonly full?: boolean;
}

/** A line that says what a reader skipped, or none. */
function skippedLines(skipped: SkippedMessages | undefined, what: string): string[] {
  if (skipped === undefined || skipped.count === 0) return [];
  return [
    `note: ${skipped.count} ${what} could not be read and ${
      skipped.count === 1 ? "was" : "were"
    } skipped: ${skippedInWords(skipped)}`,
  ];
}

/**
 * One task's record and timeline. Long texts are cut (with a marker) unless `options.full`;
 * every text is made printable (no terminal control character is printed raw).
 */
export function formatTask(
  whole: TaskLookup,
  queue: string,
  options: FormatTaskOptions = {},
): string {
  const full = options.full ?? false;
  const record = full ? whole : clipRecord(whole, TASK_TEXT_MAX);
  const cut = !full && recordWasCut(record);
  const detail = full ? (text: string) => text : oneLine;
  const rows = record.events.map((event) => [
    event.at,
    event.event,
    "attempt" in event ? String(event.attempt) : "",
    "worker" in event ? event.worker : "",
    full ? printable(eventDetail(event)) : eventDetail(event, detail),
  ]);
  const request = whole.cancelRequest;
  const head = [
    `Task ${record.id} (${record.task ?? "?"}) of '${queue}': ${describeState(record)}`,
    ...(record.state === "succeeded" ? [`result: ${stringifyJson(record.result)}`] : []),
    ...(request && !isFinished(record.state)
      ? [
        `cancel requested at ${request.at} by ${clipText(request.by, 200)}${
          request.drop ? " (drop)" : ""
        }; the worker that gets (or runs) it carries it out`,
      ]
      : []),
  ].map(printable);
  const notes = [
    ...skippedLines(whole.skipped, "event(s) of this task"),
    ...(cut ? [`note: long texts are cut (…[cut: …]): --full prints them whole`] : []),
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
  return [...head, ...lines, ...notes].join("\n");
}

/** A list of tasks, one line each, and what could not be read. */
export function formatTasks(list: TaskList | readonly TaskRecord[], heading: string): string {
  const records = "tasks" in list ? list.tasks : list;
  const notes = skippedLines("tasks" in list ? list.skipped : undefined, "event(s)");
  if (records.length === 0) return [`${printable(heading)}: none`, ...notes].join("\n");
  const rows = records.map((r) => [
    oneLine(r.id, 80),
    oneLine(r.task ?? "?", 60),
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
  const matched = "tasks" in list ? list.matched : records.length;
  const count = matched > records.length
    ? `${records.length} of ${matched} (the latest; --limit shows more)`
    : String(records.length);
  return [`${printable(heading)}: ${count}`, ...lines, ...notes].join("\n");
}

/** What a cancel did, one line per task. */
export function formatCancels(reports: readonly CancelReport[]): string {
  return reports.map((report) => printable(cancelLine(report))).join("\n");
}

function cancelLine(report: CancelReport): string {
  {
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
  }
}

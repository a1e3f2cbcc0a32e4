import { assertEquals, assertStringIncludes } from "@std/assert";
import {
  formatCancels,
  formatTask,
  formatTasks,
} from "../../../../src/cli/admin/history_format.ts";
import { describeState } from "../../../../src/history/describe.ts";
import { foldTimeline } from "../../../../src/history/timeline.ts";
import { NONE_SKIPPED } from "../../../../src/history/skipped.ts";
import type { HistoryEvent } from "../../../../src/wire/events.ts";

const base = { v: 1, id: "t1", task: "sleep", worker: "w1" } as const;
const events: HistoryEvent[] = [
  { v: 1, id: "t1", task: "sleep", event: "enqueued", at: "2026-12-01T12:00:00.000Z" },
  { ...base, event: "started", attempt: 1, at: "2026-12-01T12:00:00.010Z" },
  {
    ...base,
    event: "progress",
    attempt: 1,
    fraction: 0.25,
    note: "slept 1000 of 4000 ms",
    at: "2026-12-01T12:00:01.010Z",
  },
];

Deno.test("formatTask() prints the state, then one line per event", () => {
  const text = formatTask({ ...foldTimeline(events)!, skipped: NONE_SKIPPED }, "jobs");
  assertEquals(text.split("\n"), [
    "Task t1 (sleep) of 'jobs': running (attempt 1 on w1, 25% slept 1000 of 4000 ms)",
    "TIME                      EVENT     ATTEMPT  WORKER  DETAIL",
    "2026-12-01T12:00:00.000Z  enqueued",
    "2026-12-01T12:00:00.010Z  started         1  w1",
    "2026-12-01T12:00:01.010Z  progress        1  w1      25% slept 1000 of 4000 ms",
  ]);
});

Deno.test("describeState() says why a task ended without a result", () => {
  const dead = foldTimeline([...events, {
    ...base,
    event: "dead",
    reason: "failed",
    error: "disk full",
    attempts: 1,
    at: "2026-12-01T12:00:02.000Z",
  }])!;
  assertEquals(describeState(dead), "dead after 1 attempt (failed): disk full");
});

Deno.test("formatTasks() lists tasks, and says when none match", () => {
  assertEquals(formatTasks([], "Tasks of 'jobs'"), "Tasks of 'jobs': none");
  const text = formatTasks([foldTimeline(events)!], "Tasks of 'jobs'");
  assertStringIncludes(text, "Tasks of 'jobs': 1\nID  TASK   STATE    ATTEMPTS");
  assertStringIncludes(text, "25% slept 1000 of 4000 ms");
});

Deno.test("formatCancels() says what became of each cancel", () => {
  assertEquals(
    formatCancels([
      { id: "a", outcome: "requested", state: "queued", checked: true },
      { id: "b", outcome: "finished", state: "succeeded", checked: true },
      { id: "c", outcome: "unknown", checked: true },
      { id: "d", outcome: "requested", checked: false },
    ]).split("\n"),
    [
      "a: cancel requested (it was queued)",
      "b: not cancelled: it had already finished (succeeded)",
      "c: not cancelled: no task of that id in the history (--unchecked cancels it all the same)",
      "d: cancel requested (not checked against the history)",
    ],
  );
});

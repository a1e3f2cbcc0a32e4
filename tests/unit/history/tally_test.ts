import { assert, assertEquals } from "@std/assert";
import {
  EventTally,
  OTHER_TASKS,
  TALLY_NAME_MAX,
  TALLY_TASKS_MAX,
  UNNAMED_TASK,
} from "../../../src/history/tally.ts";
import type { HistoryEvent } from "../../../src/wire/events.ts";

const NOW = Date.parse("2026-12-06T12:00:30.000Z");
const HOUR = 3_600_000;

function at(msAgo: number): string {
  return new Date(NOW - msAgo).toISOString();
}

function succeeded(task: string | undefined, ms: number, ago = 0): HistoryEvent {
  return {
    v: 1,
    event: "succeeded",
    id: "t",
    ...(task === undefined ? {} : { task }),
    at: at(ago),
    worker: "w",
    attempt: 1,
    ms,
  };
}

function enqueued(task: string, ago = 0): HistoryEvent {
  return { v: 1, event: "enqueued", id: "t", task, at: at(ago) };
}

Deno.test("a tally counts each event per task over its window, and drops what grew older", () => {
  const tally = new EventTally({ windowMs: HOUR, began: new Date(NOW - 2 * HOUR) });
  for (let i = 0; i < 3; i++) tally.add(enqueued("sum", 10_000), NOW);
  tally.add(enqueued("tick", 30 * 60_000), NOW);
  tally.add(succeeded("sum", 5, 5_000), NOW);
  tally.add({
    v: 1,
    event: "progress",
    id: "t",
    task: "sum",
    at: at(0),
    worker: "w",
    attempt: 1,
    fraction: 0.5,
  }, NOW);
  tally.add({
    v: 1,
    event: "dead",
    id: "t",
    task: "sum",
    at: at(0),
    worker: "w",
    reason: "failed",
    error: "x",
  }, NOW);
  tally.add(enqueued("sum", 2 * HOUR), NOW);
  const summary = tally.summary(NOW);
  assertEquals(summary.since, "2026-12-06T11:00:00.000Z");
  assertEquals(summary.complete, true);
  assertEquals(summary.total.events, { enqueued: 4, succeeded: 1, dead: 1 });
  assertEquals(summary.byTask.map((row) => [row.task, row.events]), [
    ["sum", { enqueued: 3, succeeded: 1, dead: 1 }],
    ["tick", { enqueued: 1 }],
  ]);
  // Forty minutes on, the tick of thirty minutes before is out of the window.
  const later = tally.summary(NOW + 40 * 60_000);
  assertEquals(later.byTask.map((row) => row.task), ["sum"]);
  assertEquals(tally.summary(NOW + 2 * HOUR).byTask, []);
});

Deno.test("a tally's run times: mean exact, percentiles within 10%, the longest exact", () => {
  const tally = new EventTally({ windowMs: HOUR, began: new Date(0) });
  for (let ms = 1; ms <= 1000; ms++) tally.add(succeeded("work", ms), NOW);
  tally.add(succeeded("fast", 0.2), NOW);
  const rows = new Map(tally.summary(NOW).byTask.map((row) => [row.task, row]));
  const work = rows.get("work")!.runTimes!;
  assertEquals([work.count, work.meanMs, work.maxMs], [1000, 501, 1000]);
  assert(Math.abs(work.p50Ms - 500) <= 50, `p50 ${work.p50Ms}`);
  assert(Math.abs(work.p95Ms - 950) <= 95, `p95 ${work.p95Ms}`);
  assertEquals(rows.get("fast")!.runTimes, {
    count: 1,
    meanMs: 0.2,
    p50Ms: 0.2,
    p95Ms: 0.2,
    maxMs: 0.2,
  });
  assertEquals(tally.summary(NOW).total.runTimes!.count, 1001);
});

Deno.test("a tally opened within its window says that it is not complete", () => {
  const tally = new EventTally({ windowMs: HOUR, began: new Date(NOW - 60_000) });
  tally.add(enqueued("sum"), NOW);
  assertEquals(tally.summary(NOW).complete, false);
  assertEquals(tally.summary(NOW + HOUR).complete, true);
});

Deno.test("a tally is bounded whatever the stream holds: names, their number, times", () => {
  const tally = new EventTally({ windowMs: HOUR, began: new Date(0) });
  // More names than kept in one minute, and in another minute other names again.
  for (let i = 0; i < TALLY_TASKS_MAX + 20; i++) tally.add(enqueued(`a${i}`), NOW);
  for (let i = 0; i < TALLY_TASKS_MAX; i++) tally.add(enqueued(`b${i}`, 120_000), NOW);
  tally.add(enqueued("x".repeat(100_000)), NOW);
  const summary = tally.summary(NOW);
  assertEquals(summary.byTask.length, TALLY_TASKS_MAX);
  assertEquals(summary.byTask.at(-1)!.task, OTHER_TASKS);
  const counted = summary.byTask.reduce((n, row) => n + (row.events.enqueued ?? 0), 0);
  assertEquals(counted, 2 * TALLY_TASKS_MAX + 21, "every event counted, under a name or another");
  assertEquals(summary.total.events.enqueued, 2 * TALLY_TASKS_MAX + 21);
  // A long name is cut; a missing one is counted under "?".
  const named = new EventTally({ windowMs: HOUR, began: new Date(0) });
  named.add(enqueued("y".repeat(5000)), NOW);
  named.add(succeeded(undefined, 3), NOW);
  assertEquals(
    named.summary(NOW).byTask.map((row) => row.task).sort(),
    [UNNAMED_TASK, "y".repeat(TALLY_NAME_MAX)].sort(),
  );
  // A time in the future counts now; a time that is no time, or a run time that is none, not.
  const times = new EventTally({ windowMs: HOUR, began: new Date(0) });
  times.add(enqueued("sum", -10 * HOUR), NOW);
  times.add({ v: 1, event: "enqueued", id: "t", task: "sum", at: "2026-99-99T" }, NOW);
  times.add(succeeded("sum", Number.POSITIVE_INFINITY), NOW);
  times.add(succeeded("sum", 1e300), NOW);
  const summary2 = times.summary(NOW);
  assertEquals(summary2.total.events, { enqueued: 1, succeeded: 2 });
  assertEquals(summary2.total.runTimes!.count, 1);
  assertEquals(times.summary(NOW + 2 * HOUR).total.events, {});
});

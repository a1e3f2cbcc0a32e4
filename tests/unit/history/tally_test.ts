import { assert, assertEquals } from "@std/assert";
import { assertThrows } from "@std/assert";
import {
  EventTally,
  OTHER_TASKS,
  SUMMARY_ROWS_MAX,
  TALLY_NAME_MAX,
  TALLY_NEW_TASKS_MAX,
  TALLY_TASKS_MAX,
  UNNAMED_TASK,
} from "../../../src/history/tally.ts";
import { clipText } from "../../../src/history/clip.ts";
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
  assertEquals(summary.events.slice(0, 3), ["enqueued", "started", "retried"], "progress is not");
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

Deno.test("a tally's run times: mean exact, percentiles within 10% and within the extremes", () => {
  const tally = new EventTally({ windowMs: HOUR, began: new Date(0) });
  for (let ms = 1; ms <= 1000; ms++) tally.add(succeeded("work", ms), NOW);
  tally.add(succeeded("fast", 0.2), NOW);
  for (let i = 0; i < 99; i++) tally.add(succeeded("quick", 0.3), NOW);
  tally.add(succeeded("quick", 2), NOW);
  for (let i = 0; i < 50; i++) tally.add(succeeded("zero", 0), NOW);
  for (let i = 0; i < 50; i++) tally.add(succeeded("zero", 5), NOW);
  const rows = new Map(tally.summary(NOW).byTask.map((row) => [row.task, row]));
  const work = rows.get("work")!.runTimes!;
  assertEquals([work.count, work.meanMs, work.minMs, work.maxMs], [1000, 501, 1, 1000]);
  assert(Math.abs(work.p50Ms - 500) <= 50, `p50 ${work.p50Ms}`);
  assert(Math.abs(work.p95Ms - 950) <= 95, `p95 ${work.p95Ms}`);
  assertEquals(rows.get("fast")!.runTimes, {
    count: 1,
    meanMs: 0.2,
    p50Ms: 0.2,
    p95Ms: 0.2,
    minMs: 0.2,
    maxMs: 0.2,
  });
  // Below a millisecond too: 0.3 ms within 10%.
  const quick = rows.get("quick")!.runTimes!;
  assert(Math.abs(quick.p50Ms - 0.3) <= 0.03, `p50 ${quick.p50Ms}`);
  assert(Math.abs(quick.p95Ms - 0.3) <= 0.03, `p95 ${quick.p95Ms}`);
  assertEquals(rows.get("zero")!.runTimes!.p50Ms, 0);
  assertEquals(tally.summary(NOW).total.runTimes!.count, 1201);
  // Huge run times (valid JSON) count as 2^40 ms: the mean stays a number.
  const huge = new EventTally({ windowMs: HOUR, began: new Date(0) });
  huge.add(succeeded("sum", 1e308), NOW);
  huge.add(succeeded("sum", 1e308), NOW);
  assertEquals(huge.summary(NOW).total.runTimes!.meanMs, 2 ** 40);
});

Deno.test("a tally's run times stay right as minutes leave the window", () => {
  const tally = new EventTally({ windowMs: HOUR, began: new Date(0) });
  tally.add(succeeded("sum", 900, 59 * 60_000), NOW);
  tally.add(succeeded("sum", 2, 0), NOW);
  tally.add(succeeded("sum", 4, 0), NOW);
  assertEquals(tally.summary(NOW).total.runTimes!.maxMs, 900);
  const later = tally.summary(NOW + 2 * 60_000).byTask[0]!.runTimes!;
  assertEquals([later.count, later.meanMs, later.minMs, later.maxMs], [2, 3, 2, 4]);
  assertEquals(tally.summary(NOW + 2 * 60_000).total.runTimes!.maxMs, 4);
});

Deno.test("a tally opened within its window says that it is not complete", () => {
  const tally = new EventTally({ windowMs: HOUR, began: new Date(NOW - 60_000) });
  tally.add(enqueued("sum"), NOW);
  assertEquals(tally.summary(NOW).complete, false);
  assertEquals(tally.summary(NOW + HOUR).complete, true);
});

Deno.test("a tally is bounded whatever the stream holds, and says which rows may miss events", () => {
  const tally = new EventTally({ windowMs: HOUR, began: new Date(0) });
  // A task that runs all along, then a flood of new names each minute: the task keeps its row.
  for (let minute = 10; minute >= 0; minute--) {
    tally.add(enqueued("sum", minute * 60_000), NOW);
    for (let i = 0; i < TALLY_TASKS_MAX + 20; i++) {
      tally.add(enqueued(`m${minute}x${i}`, minute * 60_000), NOW);
    }
    tally.add(enqueued("sum", minute * 60_000), NOW);
  }
  const summary = tally.summary(NOW);
  assertEquals(summary.byTask.length, SUMMARY_ROWS_MAX);
  assertEquals(summary.byTask[0]!.task, OTHER_TASKS, "the most events");
  const sum = summary.byTask.find((row) => row.task === "sum")!;
  assertEquals(sum.events.enqueued, 22);
  assertEquals(sum.partial, undefined, "counted apart in every minute");
  const counted = summary.byTask.reduce((n, row) => n + (row.events.enqueued ?? 0), 0);
  assertEquals(
    counted,
    11 * (TALLY_TASKS_MAX + 22),
    "every event counted, under a name or another",
  );
  assertEquals(summary.total.events.enqueued, 11 * (TALLY_TASKS_MAX + 22));
  // In a minute, new names past the maximum go to the others; a row that may miss some says so.
  const crowded = new EventTally({ windowMs: HOUR, began: new Date(0) });
  for (let i = 0; i <= TALLY_NEW_TASKS_MAX; i++) crowded.add(enqueued(`n${i}`), NOW);
  crowded.add(enqueued("late", 60_000), NOW);
  const rows = new Map(crowded.summary(NOW).byTask.map((row) => [row.task, row]));
  // n100 went to the others in its minute; with 102 rows, the summary folds two more in.
  assertEquals(rows.size, SUMMARY_ROWS_MAX);
  assertEquals(rows.get(OTHER_TASKS)!.events.enqueued, 3);
  assertEquals(rows.get("late")!.partial, true);
  assertEquals(rows.get("n0")!.partial, undefined);
  // A long name is cut as the feed cuts it; a missing one is counted under "?".
  const named = new EventTally({ windowMs: HOUR, began: new Date(0) });
  named.add(enqueued("y".repeat(5000)), NOW);
  named.add(succeeded(undefined, 3), NOW);
  named.add(enqueued(clipText("z".repeat(5000), 200)), NOW);
  assertEquals(
    named.summary(NOW).byTask.map((row) => row.task).sort(),
    [UNNAMED_TASK, clipText("y".repeat(5000), 200), clipText("z".repeat(5000), 200)].sort(),
  );
  assert(named.summary(NOW).byTask.every((row) => row.task.length <= TALLY_NAME_MAX));
  // A time in the future counts now; a time that is no time not.
  const times = new EventTally({ windowMs: HOUR, began: new Date(0) });
  times.add(enqueued("sum", -10 * HOUR), NOW);
  times.add({ v: 1, event: "enqueued", id: "t", task: "sum", at: "2026-99-99T" }, NOW);
  assertEquals(times.summary(NOW).total.events, { enqueued: 1 });
  assertEquals(times.summary(NOW + 2 * HOUR).total.events, {});
  // A window out of bounds is refused.
  for (const windowMs of [0, 1000, Number.POSITIVE_INFINITY, Number.NaN, 2 * 86_400_000]) {
    assertThrows(() => new EventTally({ windowMs }), RangeError, "from 60000");
  }
});

import { assertEquals } from "@std/assert";
import { nextFireOf } from "../../../../src/admin/schedules.ts";
import { formatSchedules } from "../../../../src/cli/admin/schedules.ts";

Deno.test("formatSchedules() shows the active scheduler and a row per schedule", () => {
  const text = formatSchedules({
    queue: "task_queue",
    active: true,
    leader: "scheduler-41",
    leaderSince: "2026-12-01T10:00:00.000Z",
    written: "2026-12-01T10:05:00.000Z",
    schedules: [
      {
        name: "nightly-report",
        task: "sum",
        timing: "cron 0 2 * * * (Europe/Berlin)",
        missed: "once",
        lastFire: null,
        nextFire: "2026-12-02T01:00:00.000Z",
      },
      {
        name: "tick",
        task: "sleep",
        timing: "every 1s",
        missed: "skip",
        lastFire: "2026-12-01T10:05:00.000Z",
        nextFire: "2026-12-01T10:05:01.000Z",
      },
    ],
  });
  const lines = text.split("\n");
  assertEquals(
    lines[0],
    "task_queue: active scheduler: scheduler-41 (leading since 2026-12-01T10:00:00.000Z)",
  );
  assertEquals(lines[1]!.split(/\s{2,}/), [
    "SCHEDULE",
    "TASK",
    "WHEN",
    "MISSED",
    "LAST FIRE",
    "NEXT FIRE",
  ]);
  assertEquals(lines[2]!.split(/\s{2,}/), [
    "nightly-report",
    "sum",
    "cron 0 2 * * * (Europe/Berlin)",
    "once",
    "-",
    "2026-12-02T01:00:00.000Z",
  ]);
  assertEquals(lines.length, 4);
});

Deno.test("formatSchedules() says when no scheduler runs", () => {
  const none = { queue: "q", active: false, leaderSince: null, schedules: [] };
  assertEquals(
    formatSchedules({ ...none, leader: null, written: null }),
    "q: no scheduler is active, and none has run on this queue; no schedules",
  );
  assertEquals(
    formatSchedules({ ...none, leader: "s1", written: "2026-12-01T10:05:00.000Z" }),
    "q: no scheduler is active (the last one was s1, state written 2026-12-01T10:05:00.000Z); no schedules",
  );
});

Deno.test("nextFireOf() reads a snapshot's timing", () => {
  const after = Date.parse("2026-12-01T10:00:00.500Z");
  assertEquals(nextFireOf({ task: "t", every: 1_000, missed: "skip" }, after), after + 500);
  assertEquals(
    nextFireOf({ task: "t", cron: "0 2 * * *", tz: "Europe/Berlin", missed: "skip" }, after),
    Date.parse("2026-12-02T01:00:00Z"),
  );
  assertEquals(nextFireOf({ task: "t", cron: "not cron", missed: "skip" }, after), undefined);
});

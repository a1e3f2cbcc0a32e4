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
    handover: null,
    schedules: [
      {
        name: "nightly-report",
        task: "sum",
        timing: "cron 0 2 * * * (Europe/Berlin)",
        missed: "once",
        lastFire: null,
        nextFire: "2026-12-02T01:00:00.000Z",
        refused: null,
      },
      {
        name: "tick",
        task: "sleep",
        timing: "every 1s",
        missed: "skip",
        lastFire: "2026-12-01T10:05:00.000Z",
        nextFire: "2026-12-01T10:05:01.000Z",
        refused: null,
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
  const none = { queue: "q", active: false, leaderSince: null, schedules: [], handover: null };
  assertEquals(
    formatSchedules({ ...none, leader: null, written: null }),
    "q: no scheduler is active, and none has run on this queue; no schedules",
  );
  assertEquals(
    formatSchedules({ ...none, leader: "s1", written: "2026-12-01T10:05:00.000Z" }),
    "q: no scheduler is active (the last one was s1, state written 2026-12-01T10:05:00.000Z); no schedules",
  );
});

Deno.test("formatSchedules() shows a handover and a fire the broker refuses", () => {
  const text = formatSchedules({
    queue: "q",
    active: false,
    leader: "r1",
    leaderSince: "2026-12-01T10:00:00.000Z",
    written: "2026-12-01T10:05:00.000Z",
    handover: { by: "r1", at: "2026-12-01T10:05:00.000Z" },
    schedules: [{
      name: "tick",
      task: "sleep",
      timing: "every 1s",
      missed: "skip",
      lastFire: "2026-12-01T10:04:58.000Z",
      nextFire: "2026-12-01T10:05:01.000Z",
      refused: {
        id: "tick@2026-12-01T10:04:59.000Z",
        reason: "unroutable",
        attempts: 3,
        since: "2026-12-01T10:04:59.004Z",
      },
    }],
  });
  const lines = text.split("\n");
  assertEquals(
    lines[0],
    "q: no scheduler is active (r1 handed the lead over at 2026-12-01T10:05:00.000Z)",
  );
  assertEquals(
    lines.at(-1),
    "refused: tick@2026-12-01T10:04:59.000Z (unroutable), tried 3 times since 2026-12-01T10:04:59.004Z; the scheduler tries again",
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

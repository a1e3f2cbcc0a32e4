import { assertEquals } from "@std/assert";
import { catalog } from "../../../tasks/mod.ts";
import {
  catchUp,
  firesBetween,
  gapKind,
  MAX_BACKLOG,
  MAX_RETRY_MS,
  retryDelay,
} from "../../../src/scheduler/fire_plan.ts";
import { resolveSchedule } from "../../../src/scheduler/schedule.ts";

const every = (missed: "skip" | "once") =>
  resolveSchedule(
    catalog,
    { name: "tick", task: "sleep", payload: { ms: 1 }, every: 1_000, missed },
    "tick",
  );
const cron = (missed: "skip" | "once") =>
  resolveSchedule(
    catalog,
    { name: "sec", task: "sleep", payload: { ms: 1 }, cron: "* * * * * *", missed },
    "sec",
  );
const T = Date.parse("2026-01-15T12:00:00Z");

Deno.test("a gap is a handover only when the state records one within the window", () => {
  assertEquals(gapKind(undefined, T, 30_000), "outage");
  assertEquals(gapKind(T - 5_000, T, 30_000), "handover");
  assertEquals(gapKind(T - 30_000, T, 30_000), "handover");
  assertEquals(gapKind(T - 30_001, T, 30_000), "outage");
  assertEquals(gapKind(T + 3_600_000, T, 30_000), "outage", "a handover from the future");
});

Deno.test("firesBetween() gives the fires of a span oldest first, the latest when capped", async (t) => {
  for (const schedule of [every("skip"), cron("skip")]) {
    await t.step(schedule.name, () => {
      assertEquals(firesBetween(schedule, T, T + 3_500), {
        times: [T + 1_000, T + 2_000, T + 3_000],
        skipped: 0,
      });
      assertEquals(firesBetween(schedule, T + 500, T + 999), { times: [], skipped: 0 });
      assertEquals(firesBetween(schedule, T, T + 1_000), { times: [T + 1_000], skipped: 0 });
      assertEquals(firesBetween(schedule, T, T + 5_000, 2), {
        times: [T + 4_000, T + 5_000],
        skipped: 3,
      });
    });
  }
});

Deno.test("after a handover every fire since the last one is made, whatever 'missed' says", async (t) => {
  for (const schedule of [every("skip"), every("once"), cron("skip")]) {
    await t.step(`${schedule.name} missed: ${schedule.missed}`, () => {
      assertEquals(catchUp(schedule, T, T + 2_040, "handover"), {
        fires: [T + 1_000, T + 2_000],
      });
      assertEquals(catchUp(schedule, T, T + 900, "handover"), { fires: [] });
    });
  }
});

Deno.test("a handover gap longer than the backlog makes the latest fires and reports the rest", () => {
  const plan = catchUp(every("skip"), T, T + (MAX_BACKLOG + 5) * 1_000, "handover");
  assertEquals(plan.fires.length, MAX_BACKLOG);
  assertEquals(plan.fires[0], T + 6_000);
  assertEquals(plan.missed, { count: 5, latest: T + 5_000 });
});

Deno.test("after an outage 'skip' makes no fire and 'once' the latest", () => {
  assertEquals(catchUp(every("skip"), T, T + 3_500, "outage"), {
    fires: [],
    missed: { count: 3, latest: T + 3_000 },
  });
  assertEquals(catchUp(every("once"), T, T + 3_500, "outage"), {
    fires: [T + 3_000],
    missed: { count: 3, latest: T + 3_000 },
  });
  assertEquals(catchUp(every("once"), T, T + 500, "outage"), { fires: [] });
});

Deno.test("a schedule that never fired has nothing to catch up", () => {
  assertEquals(catchUp(every("once"), undefined, T, "handover"), { fires: [] });
  assertEquals(catchUp(every("once"), undefined, T, "outage"), { fires: [] });
});

Deno.test("a refused fire is tried again after 0.5 s, doubling, at most 30 s", () => {
  assertEquals([1, 2, 3, 4, 5, 6, 7, 8].map(retryDelay), [
    500,
    1_000,
    2_000,
    4_000,
    8_000,
    16_000,
    30_000,
    30_000,
  ]);
  assertEquals(retryDelay(1_000_000), MAX_RETRY_MS);
});

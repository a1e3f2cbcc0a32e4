import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { z } from "zod";
import { defineCatalog, defineTask } from "../../../mod.ts";
import { ConfigError } from "../../../src/errors/config_error.ts";
import {
  describeTiming,
  fireId,
  missedFires,
  nextFire,
  type ResolvedSchedule,
  resolveSchedule,
  resolveSchedules,
  type Schedule,
} from "../../../src/scheduler/schedule.ts";

const catalog = defineCatalog(
  defineTask({ name: "report", schema: z.object({ day: z.string().default("today") }) }),
  defineTask({ name: "sum", schema: z.object({ start: z.int(), end: z.int() }) }),
);

function cron(expr: string, tz?: string): ResolvedSchedule {
  return resolveSchedule(catalog, {
    name: "s",
    task: "report",
    cron: expr,
    ...(tz === undefined ? {} : { tz }),
  }, "s");
}

/** Every fire of `schedule` in `(from, to)`, as ISO strings. */
function firesBetween(schedule: ResolvedSchedule, from: string, to: string): string[] {
  const fires: string[] = [];
  const end = Date.parse(to);
  for (let t = nextFire(schedule, Date.parse(from)); t !== undefined && t < end;) {
    fires.push(new Date(t).toISOString());
    t = nextFire(schedule, t);
  }
  return fires;
}

Deno.test("a 5-field cron fires on its minutes, in UTC by default", () => {
  assertEquals(firesBetween(cron("0 2 * * *"), "2026-01-01T00:00:00Z", "2026-01-03T12:00:00Z"), [
    "2026-01-01T02:00:00.000Z",
    "2026-01-02T02:00:00.000Z",
    "2026-01-03T02:00:00.000Z",
  ]);
});

Deno.test("a 6-field cron has seconds first", () => {
  assertEquals(
    firesBetween(cron("*/15 * * * * *"), "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z"),
    ["2026-01-01T00:00:15.000Z", "2026-01-01T00:00:30.000Z", "2026-01-01T00:00:45.000Z"],
  );
});

Deno.test("a cron fires in its time zone, winter and summer", () => {
  const nightly = cron("0 2 * * *", "Europe/Berlin");
  assertEquals(
    nextFire(nightly, Date.parse("2026-01-15T12:00:00Z")),
    Date.parse("2026-01-16T01:00Z"),
  );
  assertEquals(
    nextFire(nightly, Date.parse("2026-07-15T12:00:00Z")),
    Date.parse("2026-07-16T00:00Z"),
  );
  const weekdays = cron("0 9 * * 1-5", "America/New_York");
  assertEquals(
    firesBetween(weekdays, "2026-03-06T00:00:00Z", "2026-03-11T00:00:00Z"),
    // Friday at 09:00 EST, the weekend skipped, then 09:00 EDT once clocks went forward.
    ["2026-03-06T14:00:00.000Z", "2026-03-09T13:00:00.000Z", "2026-03-10T13:00:00.000Z"],
  );
});

Deno.test("a daily fire in the hour that spring skips happens once, an hour later", () => {
  // Berlin went from 02:00 CET to 03:00 CEST on 2026-03-29: 02:30 did not exist that day.
  assertEquals(
    firesBetween(cron("30 2 * * *", "Europe/Berlin"), "2026-03-28T00:00Z", "2026-03-31T00:00Z"),
    ["2026-03-28T01:30:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"],
  );
});

Deno.test("a daily fire in the hour that autumn repeats happens once", () => {
  // Berlin went from 03:00 CEST back to 02:00 CET on 2026-10-25: 02:30 happened twice.
  assertEquals(
    firesBetween(cron("30 2 * * *", "Europe/Berlin"), "2026-10-24T00:00Z", "2026-10-27T00:00Z"),
    ["2026-10-24T00:30:00.000Z", "2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"],
  );
});

Deno.test("an hourly cron fires every hour of the 23- and the 25-hour days", () => {
  const hourly = cron("0 * * * *", "Europe/Berlin");
  // From local midnight (excluded) to the next local midnight (excluded).
  assertEquals(firesBetween(hourly, "2026-03-28T23:00Z", "2026-03-29T22:00Z").length, 22);
  const autumn = firesBetween(hourly, "2026-10-24T22:00Z", "2026-10-25T23:00Z");
  assertEquals(autumn.length, 24);
  assertEquals(autumn.slice(0, 3), [
    "2026-10-24T23:00:00.000Z",
    "2026-10-25T00:00:00.000Z",
    "2026-10-25T01:00:00.000Z",
  ]);
});

Deno.test("an interval fires on its multiples since the epoch, strictly after the moment", () => {
  const tick = resolveSchedule(catalog, { name: "tick", task: "report", every: 10_000 }, "tick");
  assertEquals(nextFire(tick, 1_000), 10_000);
  assertEquals(nextFire(tick, 10_000), 20_000);
  assertEquals(nextFire(tick, 19_999), 20_000);
  assertEquals(describeTiming(tick), "every 10s");
  assertEquals(
    describeTiming(cron("0 2 * * *", "Europe/Berlin")),
    "cron 0 2 * * * (Europe/Berlin)",
  );
});

Deno.test("missedFires() gives the latest fire of a span and how many it holds", () => {
  const tick = resolveSchedule(catalog, { name: "tick", task: "report", every: 1_000 }, "tick");
  assertEquals(missedFires(tick, 10_000, 10_999), undefined);
  assertEquals(missedFires(tick, 10_000, 11_000), { latest: 11_000, count: 1 });
  assertEquals(missedFires(tick, 10_000, 13_500), { latest: 13_000, count: 3 });
  const nightly = cron("0 2 * * *", "Europe/Berlin");
  assertEquals(
    missedFires(nightly, Date.parse("2026-01-01T01:00Z"), Date.parse("2026-01-04T00:00Z")),
    { latest: Date.parse("2026-01-03T01:00Z"), count: 2 },
  );
  assertEquals(
    missedFires(nightly, Date.parse("2026-01-01T01:00Z"), Date.parse("2026-01-02T00:59Z")),
    undefined,
  );
});

Deno.test("a fire's id is the schedule's name and the fire time in ISO 8601 UTC", () => {
  assertEquals(
    fireId("nightly-report", Date.parse("2026-01-16T01:00Z")),
    "nightly-report@2026-01-16T01:00:00.000Z",
  );
});

Deno.test("resolveSchedule() parses the payload with the task's schema", () => {
  const resolved = resolveSchedule(catalog, { name: "r", task: "report", every: 1_000 }, "r");
  assertEquals(resolved.payload, { day: "today" });
  assertEquals(resolved.missed, "skip");
});

Deno.test("resolveSchedule() names the schedule and the field of each mistake", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ name: "", task: "report", every: 1_000 }, "name: must be 1 to 100"],
    [{ name: "has space", task: "report", every: 1_000 }, "name: must be"],
    [
      { name: "n", task: "nope", every: 1_000 },
      `task: must be a task of the catalog (report, sum): got "nope"`,
    ],
    [{ name: "n", task: "sum", payload: { start: 1 }, every: 1_000 }, "payload: "],
    [
      { name: "n", task: "report", every: 1_000, missed: "all" },
      `missed: must be one of skip, once: got "all"`,
    ],
    [{ name: "n", task: "report" }, "cron: give either 'cron' or 'every'"],
    [{ name: "n", task: "report", cron: "* * * * *", every: 1_000 }, "cron: give either"],
    [
      { name: "n", task: "report", cron: "61 * * * *" },
      "cron: CronPattern: Invalid value for minute: 61",
    ],
    [
      { name: "n", task: "report", cron: "* * *" },
      "cron: CronPattern: invalid configuration format",
    ],
    [{ name: "n", task: "report", cron: 5 }, "cron: must be a string"],
    [
      { name: "n", task: "report", cron: "0 2 * * *", tz: "Mars/Olympus" },
      `tz: unknown time zone "Mars/Olympus"`,
    ],
    [{ name: "n", task: "report", every: 1_000, tz: "UTC" }, "tz: goes with 'cron' only"],
    [
      { name: "n", task: "report", every: 500 },
      "every: must be a whole number of seconds, 1 s or more: got 500 ms",
    ],
    [{ name: "n", task: "report", every: 1_500 }, "every: must be a whole number of seconds"],
    [{ name: "n", task: "report", every: "1s" }, "every: must be a whole number of seconds"],
  ];
  for (const [schedule, message] of cases) {
    const err = assertThrows(
      () =>
        resolveSchedule(
          catalog,
          schedule as Parameters<typeof resolveSchedule>[1],
          'schedule 3 ("n")',
        ),
      ConfigError,
    );
    assertEquals(err.message.startsWith("Cannot use schedule 3 ("), true, err.message);
    assertEquals(err.message.includes(message), true, `${err.message} should say ${message}`);
  }
});

Deno.test("resolveSchedules() refuses a name used twice", () => {
  const schedules: Schedule<typeof catalog>[] = [
    { name: "a", task: "report", payload: {}, every: 1_000 },
    { name: "a", task: "sum", payload: { start: 1, end: 2 }, cron: "0 * * * *" },
  ];
  assertThrows(
    () => resolveSchedules(catalog, schedules),
    ConfigError,
    "Cannot use schedule 2: name: 'a' is used twice",
  );
});

Deno.test("a schedule's payload is typed by its task", () => {
  const ok: Schedule<typeof catalog> = {
    name: "s",
    task: "sum",
    payload: { start: 1, end: 2 },
    every: 1_000,
  };
  const bad: Schedule<typeof catalog> = {
    name: "s",
    task: "sum",
    // @ts-expect-error: sum's payload needs end
    payload: { start: 1 },
    every: 1_000,
  };
  const unknown: Schedule<typeof catalog> = {
    name: "s",
    // @ts-expect-error: no such task in the catalog
    task: "nope",
    payload: {},
    every: 1_000,
  };
  assertEquals([ok, bad, unknown].map((s) => s.task), ["sum", "sum", "nope"]);
});

Deno.test("resolveSchedule() refuses a payload whose fires could not be published", () => {
  const big = defineCatalog(defineTask({ name: "echo", schema: z.object({ text: z.string() }) }));
  const err = assertThrows(
    () =>
      resolveSchedule(
        big,
        {
          name: "huge",
          task: "echo",
          payload: { text: "x".repeat(17 * 1024 * 1024) },
          every: 1_000,
        },
        "schedule 1",
      ),
    ConfigError,
  );
  assertStringIncludes(
    err.message,
    "Cannot use schedule 1: payload: its fires cannot be published",
  );
});

import { assertEquals } from "@std/assert";
import { catalog } from "../../../tasks/mod.ts";
import { resolveSchedules } from "../../../src/scheduler/schedule.ts";
import {
  decodeSnapshot,
  lastFiresOf,
  snapshotMessage,
  snapshotOf,
} from "../../../src/scheduler/state.ts";

const schedules = resolveSchedules(catalog, [
  {
    name: "nightly",
    task: "sum",
    payload: { start: 1, end: 10 },
    cron: "0 2 * * *",
    tz: "Europe/Berlin",
    missed: "once",
  },
  { name: "tick", task: "sleep", payload: { ms: 1 }, every: 1_000 },
]);

Deno.test("a snapshot records each schedule and its last fire, and reads back", () => {
  const fired = Date.parse("2026-01-16T01:00:00Z");
  const snapshot = snapshotOf(schedules, new Map([["nightly", fired]]), {
    id: "scheduler-1",
    since: Date.parse("2026-01-15T00:00:00Z"),
  });
  assertEquals(snapshot.version, 1);
  assertEquals(snapshot.leader, "scheduler-1");
  assertEquals(snapshot.leaderSince, "2026-01-15T00:00:00.000Z");
  assertEquals(snapshot.schedules, {
    nightly: {
      task: "sum",
      cron: "0 2 * * *",
      tz: "Europe/Berlin",
      missed: "once",
      lastFire: "2026-01-16T01:00:00.000Z",
    },
    tick: { task: "sleep", every: 1_000, missed: "skip" },
  });
  const { body, properties } = snapshotMessage(snapshot);
  assertEquals(properties.persistent, true);
  const read = decodeSnapshot(body);
  assertEquals(read, snapshot);
  assertEquals(lastFiresOf(read), new Map([["nightly", fired]]));
});

Deno.test("anything but a version 1 snapshot reads as none", () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  for (const text of ["", "{", "[]", `{"version": 2, "schedules": {}}`, `{"version": 1}`]) {
    assertEquals(decodeSnapshot(encode(text)), undefined, text);
  }
  assertEquals(lastFiresOf(undefined), new Map());
  assertEquals(
    lastFiresOf({
      version: 1,
      leader: "x",
      leaderSince: "",
      written: "",
      schedules: { a: { task: "sleep", every: 1_000, missed: "skip", lastFire: "not a time" } },
    }),
    new Map(),
  );
});

import { assertEquals } from "@std/assert";
import { catalog } from "../../../tasks/mod.ts";
import { resolveSchedules } from "../../../src/scheduler/schedule.ts";
import {
  decodeSnapshot,
  handoverOf,
  lastFiresOf,
  MAX_SNAPSHOT_BYTES,
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

Deno.test("a handover snapshot says who handed over and when, and each refused fire", () => {
  const fired = Date.parse("2026-01-16T01:00:00Z");
  const refused = {
    id: "tick@2026-01-16T01:00:01.000Z",
    reason: "unroutable",
    attempts: 2,
    since: "2026-01-16T01:00:01.010Z",
  };
  const snapshot = snapshotOf(schedules, new Map([["tick", fired]]), { id: "r1", since: 0 }, {
    handover: { by: "r1", at: "2026-01-16T01:00:01.500Z" },
    refused: new Map([["tick", refused]]),
  });
  const read = decodeSnapshot(snapshotMessage(snapshot).body);
  assertEquals(read?.handover, { by: "r1", at: "2026-01-16T01:00:01.500Z" });
  assertEquals(handoverOf(read), Date.parse("2026-01-16T01:00:01.500Z"));
  assertEquals(read?.schedules.tick?.refused, refused);
  assertEquals(read?.schedules.nightly?.refused, undefined);
  assertEquals(handoverOf(snapshotOf(schedules, new Map(), { id: "r1", since: 0 })), undefined);
});

Deno.test("a snapshot with a malformed handover reads without it; hostile records read as no fire", () => {
  const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
  const base = { version: 1, leader: "x", leaderSince: "", written: "", schedules: {} };
  for (const handover of [5, null, { by: 5, at: "now" }, { by: "x" }]) {
    const read = decodeSnapshot(encode({ ...base, handover }));
    assertEquals(read?.handover, undefined, JSON.stringify(handover));
    assertEquals(handoverOf(read), undefined);
  }
  assertEquals(handoverOf({ ...base, version: 1, handover: { by: "x", at: "never" } }), undefined);
  const hostile = decodeSnapshot(
    encode({ ...base, schedules: { a: null, b: 5, c: { lastFire: 7 } } }),
  );
  assertEquals(lastFiresOf(hostile), new Map());
  assertEquals(decodeSnapshot(new Uint8Array(MAX_SNAPSHOT_BYTES + 1)), undefined);
});

import { assertEquals } from "@std/assert";
import { taskDuration } from "../../../src/dashboard/duration.ts";

const base = { events: [], enqueuedAt: "2026-12-05T10:00:00.000Z" } as const;
const now = Date.parse("2026-12-05T10:05:00.000Z");

Deno.test("taskDuration() of a finished task runs from enqueued to its last event", () => {
  assertEquals(
    taskDuration({ ...base, state: "succeeded", updatedAt: "2026-12-05T10:00:01.500Z" }, now),
    { ms: 1_500, ongoing: false },
  );
});

Deno.test("taskDuration() of a running task runs to now, and says it goes on", () => {
  assertEquals(
    taskDuration({ ...base, state: "running", updatedAt: "2026-12-05T10:00:01.000Z" }, now),
    { ms: 300_000, ongoing: true },
  );
});

Deno.test("taskDuration() starts at the first event when the enqueue is not in the history", () => {
  const events = [{
    v: 1,
    event: "started",
    id: "a",
    task: "sleep",
    at: "2026-12-05T10:00:02.000Z",
    worker: "w",
    attempt: 1,
  }] as const;
  assertEquals(
    taskDuration({
      state: "cancelled",
      enqueuedAt: undefined,
      updatedAt: "2026-12-05T10:00:03.000Z",
      events: events as never,
    }, now),
    { ms: 1_000, ongoing: false },
  );
  assertEquals(
    taskDuration({
      state: "succeeded",
      enqueuedAt: undefined,
      firstAt: "2026-12-05T10:00:04.000Z",
      updatedAt: "2026-12-05T10:00:04.250Z",
      events: [],
    }, now),
    { ms: 250, ongoing: false },
  );
  assertEquals(
    taskDuration({ state: "queued", enqueuedAt: undefined, updatedAt: "x", events: [] }, now),
    null,
  );
});

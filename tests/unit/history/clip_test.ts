import { assert, assertEquals } from "@std/assert";
import {
  clipRecord,
  clipText,
  clipValue,
  recordWasCut,
  wasCut,
} from "../../../src/history/clip.ts";
import { foldTimeline } from "../../../src/history/timeline.ts";
import type { HistoryEvent } from "../../../src/wire/events.ts";

Deno.test("clipText() keeps a short text and cuts a long one with a marker that gives its length", () => {
  assertEquals(clipText("short", 10), "short");
  assertEquals(clipText("x".repeat(100), 10), "xxxxxxxxxx…[cut: 100 characters in all]");
  assert(wasCut(clipText("y".repeat(50), 5)));
  // Never half of a surrogate pair.
  assertEquals(clipText("a😀b", 2), "a…[cut: 4 characters in all]");
});

Deno.test("clipValue() cuts a long result to its JSON text, and keeps small ones as they are", () => {
  assertEquals(clipValue({ a: 1 }, 100), { a: 1 });
  assertEquals(clipValue(42, 1), 42);
  const cut = clipValue({ rows: "z".repeat(5000) }, 100);
  assertEquals(typeof cut, "string");
  assert((cut as string).startsWith('{"rows":"zzz'));
  assert(wasCut(cut));
});

Deno.test("clipRecord() bounds every long text of a record and its events", () => {
  const at = "2026-12-01T12:00:00.000Z";
  const events: HistoryEvent[] = [
    {
      v: 1,
      event: "enqueued",
      id: "t1",
      task: "n".repeat(70_000),
      at,
      payload: { p: "p".repeat(9000) },
    },
    {
      v: 1,
      event: "dead",
      id: "t1",
      at,
      worker: "w",
      reason: "failed",
      error: "e".repeat(16_000_000),
    },
  ];
  const record = clipRecord(foldTimeline(events)!, 500);
  assert(record.error!.length < 600);
  assert(record.task!.length < 300);
  assert(JSON.stringify(record).length < 3000, `${JSON.stringify(record).length} characters`);
  assert(recordWasCut(record));
  assertEquals(
    recordWasCut(clipRecord(
      foldTimeline(
        events.slice(0, 0).concat([
          { v: 1, event: "enqueued", id: "t2", task: "sum", at },
        ]),
      )!,
      500,
    )),
    false,
  );
});

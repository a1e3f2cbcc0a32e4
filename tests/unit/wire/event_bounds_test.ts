/**
 * Reading history events that anyone who may publish a task can write: each is checked against
 * the format, a size bound and a depth bound before use, and a field it lacks is read as "not
 * recorded" rather than breaking the tools.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import {
  decodeEvent,
  MAX_EVENT_BYTES,
  MAX_EVENT_DEPTH,
  readEvent,
} from "../../../src/wire/events.ts";
import { decodeReplayNote, encodeReplayNote } from "../../../src/wire/control.ts";

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const AT = "2026-12-01T12:00:00.000Z";

Deno.test("readEvent() refuses an event whose task name is not a string, saying where", () => {
  const read = readEvent(bytes({ v: 1, event: "started", id: "t1", task: 5, at: AT }));
  assertEquals(read.ok, false);
  if (!read.ok) {
    assertEquals(read.problem, "not-an-event");
    assertEquals(read.detail.startsWith("task:"), true, read.detail);
  }
});

Deno.test("readEvent() reads a retry without its error or next time as not recorded", () => {
  const read = readEvent(bytes({ v: 1, event: "retried", id: "t1", at: AT, attempt: 1 }));
  assertEquals(read.ok, true);
  if (read.ok && read.event.event === "retried") {
    assertEquals([read.event.error, read.event.next, read.event.worker], [
      "(not recorded)",
      AT,
      "(not recorded)",
    ]);
  }
});

Deno.test("readEvent() refuses a payload nested 20,000 deep without a stack overflow", () => {
  const payload = `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`;
  const body = `{"v":1,"event":"enqueued","id":"t1","at":"${AT}","payload":${payload}}`;
  const read = readEvent(new TextEncoder().encode(body));
  assertEquals(read.ok ? "ok" : read.problem, "too-deep");
  const fits = `{"a":`.repeat(MAX_EVENT_DEPTH - 2) + "1" + "}".repeat(MAX_EVENT_DEPTH - 2);
  const shallow = `{"v":1,"event":"enqueued","id":"t1","at":"${AT}","payload":${fits}}`;
  assertEquals(readEvent(new TextEncoder().encode(shallow)).ok, true);
});

Deno.test("readEvent() refuses an event over 1 MiB (a 16 MB error)", () => {
  const huge = bytes({
    v: 1,
    event: "dead",
    id: "t1",
    at: AT,
    worker: "w",
    reason: "failed",
    error: "x".repeat(16 * 1024 * 1024),
  });
  assertEquals(
    readEvent(huge).ok ? "ok" : (readEvent(huge) as { problem: string }).problem,
    "too-large",
  );
  assertEquals(MAX_EVENT_BYTES, 1024 * 1024);
});

Deno.test("readEvent() refuses times that are not ISO 8601 and values of the wrong type", () => {
  for (
    const event of [
      { v: 1, event: "started", id: "t1", at: "yesterday" },
      { v: 1, event: "started", id: "t1", at: AT, attempt: "2" },
      { v: 1, event: "progress", id: "t1", at: AT, fraction: 7 },
      { v: 1, event: "enqueued", id: "t1", at: AT, payload: [1, 2] },
      { v: 1, event: "succeeded", id: "", at: AT },
    ]
  ) {
    assertEquals(decodeEvent(bytes(event)), undefined, JSON.stringify(event));
  }
});

Deno.test("readEvent() reads a replayed event, and the control stream's replay note round-trips", () => {
  const read = readEvent(
    bytes({
      v: 1,
      event: "replayed",
      id: "t1",
      task: "sum",
      at: AT,
      by: "ops",
      reason: "cancelled",
    }),
  );
  assertEquals(read.ok && read.event.event, "replayed");
  const note = decodeReplayNote(encodeReplayNote("t1", { by: "ops", at: AT }));
  assertEquals(note, { v: 1, op: "replay", id: "t1", at: AT, by: "ops" });
  assertEquals(
    decodeReplayNote(bytes({ v: 1, op: "cancel", id: "t1", at: AT, by: "x" })),
    undefined,
  );
  assertEquals(decodeReplayNote(new Uint8Array(5000).fill(32)), undefined);
});

Deno.test("readEvent() reads a started event's workflow, and refuses one out of its bounds", () => {
  const started = { v: 1, event: "started", id: "wf1.0", task: "split", at: AT, attempt: 1 };
  const read = readEvent(bytes({ ...started, worker: "w1", workflow: "wf1" }));
  assertEquals(read.ok && read.event.event === "started" && read.event.workflow, "wf1");
  // 128 bytes is the bound, in bytes: 64 two-byte characters pass, 65 do not.
  const widest = "é".repeat(64);
  const atBound = readEvent(bytes({ ...started, workflow: widest }));
  assertEquals(atBound.ok && atBound.event.event === "started" && atBound.event.workflow, widest);
  for (
    const workflow of ["", "é".repeat(65), "w".repeat(129), "w".repeat(1_000_000), 7, null, {
      id: "wf1",
    }]
  ) {
    const refused = readEvent(bytes({ ...started, workflow }));
    assertEquals(refused.ok, false, JSON.stringify(workflow).slice(0, 40));
    if (!refused.ok) {
      assertEquals(refused.problem, "not-an-event");
      assertEquals(refused.detail.startsWith("workflow:"), true, refused.detail);
    }
  }
  // Without it, a started event is read as before.
  const plain = readEvent(bytes(started));
  assertEquals(plain.ok && plain.event.event === "started" && "workflow" in plain.event, false);
});

import { assertEquals } from "@std/assert";
import { decodeCancel, encodeCancel } from "../../../src/wire/control.ts";
import {
  decodeEvent,
  encodeEvent,
  EVENT_TYPE,
  isTerminal,
  outcomeOf,
} from "../../../src/wire/events.ts";

const text = new TextEncoder();

Deno.test("encodeEvent() writes the documented JSON, with the task id as correlation id", () => {
  const { body, properties } = encodeEvent({
    event: "retried",
    id: "t1",
    task: "sum",
    worker: "w1",
    attempt: 1,
    error: "boom",
    next: "2026-12-01T12:00:05.000Z",
    at: "2026-12-01T12:00:00.000Z",
  });
  assertEquals(JSON.parse(body.toString()), {
    v: 1,
    event: "retried",
    id: "t1",
    task: "sum",
    worker: "w1",
    attempt: 1,
    error: "boom",
    next: "2026-12-01T12:00:05.000Z",
    at: "2026-12-01T12:00:00.000Z",
  });
  assertEquals(properties, {
    correlationId: "t1",
    type: EVENT_TYPE,
    contentType: "application/json",
  });
  // Stamped now when it has no time of its own.
  const stamped = decodeEvent(encodeEvent({ event: "enqueued", id: "t2", task: "sum" }).body);
  assertEquals(typeof stamped?.at, "string");
});

Deno.test("decodeEvent() refuses what is not an event of this format", () => {
  for (
    const body of [
      "not json",
      "[]",
      `{"v":2,"event":"started","id":"t","at":"x"}`,
      `{"v":1,"event":"exploded","id":"t","at":"x"}`,
      `{"v":1,"event":"started","at":"x"}`,
    ]
  ) {
    assertEquals(decodeEvent(text.encode(body)), undefined, body);
  }
});

Deno.test("outcomeOf() turns a terminal event into the outcome a reply would give", () => {
  const base = {
    v: 1,
    id: "t1",
    task: "sum",
    at: "2026-12-01T12:00:00.000Z",
    worker: "w",
  } as const;
  const succeeded = { ...base, event: "succeeded", attempt: 1, ms: 3, result: 55 } as const;
  assertEquals(outcomeOf(succeeded), { id: "t1", task: "sum", ok: true, result: 55 });
  const cancelled = { ...base, event: "cancelled", stage: "running" } as const;
  assertEquals(outcomeOf(cancelled), {
    id: "t1",
    task: "sum",
    ok: false,
    reason: "cancelled",
    error: "cancelled while running",
  });
  const started = { ...base, event: "started", attempt: 1 } as const;
  assertEquals([isTerminal(succeeded), isTerminal(started), outcomeOf(started)], [
    true,
    false,
    undefined,
  ]);
});

Deno.test("encodeCancel() and decodeCancel() carry a cancel request", () => {
  const request = decodeCancel(encodeCancel("t1", { by: "ops:7", drop: true }));
  assertEquals([request?.op, request?.id, request?.by, request?.drop], [
    "cancel",
    "t1",
    "ops:7",
    true,
  ]);
  assertEquals(decodeCancel(text.encode(`{"v":1,"op":"pause","id":"t1","at":"x"}`)), undefined);
});

import { assertEquals, assertThrows } from "@std/assert";
import { Buffer } from "node:buffer";
import {
  decodeEvent,
  encodeEvent,
  encodeEvents,
  EVENT_TYPE,
  eventBodies,
  eventJson,
  EVENTS_TYPE,
  type HistoryEvent,
  MARKER_TYPE,
  type NewHistoryEvent,
} from "../../../src/wire/events.ts";

const AT = "2026-12-01T12:00:00.000Z";

function started(id: string): NewHistoryEvent {
  return { event: "started", id, task: "sum", worker: "w1", attempt: 1, at: AT };
}

function batch(events: readonly NewHistoryEvent[]) {
  const encoded = encodeEvents(events.map((event) => ({ id: event.id, json: eventJson(event) })));
  return { content: encoded.body, properties: encoded.properties, count: encoded.count };
}

function read(message: Parameters<typeof eventBodies>[0], id?: string): HistoryEvent[] {
  return eventBodies(message, id).map((body) => decodeEvent(body)!);
}

Deno.test("encodeEvents() writes one event exactly as encodeEvent() does", () => {
  const one = batch([started("t1")]);
  const single = encodeEvent(started("t1"));
  assertEquals(one.content.toString(), single.body.toString());
  assertEquals(one.properties, single.properties);
  assertEquals(one.count, 1);
});

Deno.test("encodeEvents() writes several events one a line, in order, with their task's id when they share it", () => {
  const events: NewHistoryEvent[] = [
    started("t1"),
    { event: "succeeded", id: "t1", task: "sum", worker: "w1", attempt: 1, ms: 1, at: AT },
  ];
  const message = batch(events);
  assertEquals(message.properties.type, EVENTS_TYPE);
  assertEquals(message.properties.correlationId, "t1");
  assertEquals(message.content.toString().split("\n").length, 2);
  assertEquals(read(message).map((e) => e.event), ["started", "succeeded"]);
});

Deno.test("encodeEvents() gives a batch of several tasks no correlation id", () => {
  const message = batch([started("t1"), started("t2")]);
  assertEquals(message.properties.correlationId, undefined);
  assertEquals(read(message).map((e) => e.id), ["t1", "t2"]);
});

Deno.test("encodeEvents() refuses an empty batch", () => {
  assertThrows(() => encodeEvents([]), RangeError);
});

Deno.test("a newline in a text stays escaped: a batch line is always one whole event", () => {
  const message = batch([
    { event: "retried", id: "t1", worker: "w1\nx", attempt: 1, error: "a\nb", next: AT, at: AT },
    started("t2"),
  ]);
  const events = read(message);
  assertEquals(events.length, 2);
  assertEquals(events[0]?.event === "retried" && events[0].error, "a\nb");
});

Deno.test("eventBodies() with an id gives only the events that may be that task's", async (t) => {
  const message = batch([started("t1"), started("t2"), started("t3")]);
  await t.step("in a batch of several tasks", () => {
    assertEquals(read(message, "t2").map((e) => e.id), ["t2"]);
    assertEquals(read(message, "t9"), []);
  });
  await t.step("a message whose correlation id names another task is skipped unread", () => {
    const other = batch([started("t1"), started("t1")]);
    assertEquals(eventBodies(other, "t2"), []);
    const single = encodeEvent(started("t1"));
    assertEquals(eventBodies({ content: single.body, properties: single.properties }, "t2"), []);
  });
  await t.step("an id that is part of another is not taken for it", () => {
    assertEquals(read(batch([started("t10"), started("t1")]), "t1").map((e) => e.id), ["t1"]);
  });
});

Deno.test("eventBodies() reads old single-event messages, and skips markers", () => {
  const body = Buffer.from(JSON.stringify({ v: 1, event: "started", id: "t1", at: AT }));
  assertEquals(
    read({ content: body, properties: { type: EVENT_TYPE, correlationId: "t1" } })
      .map((e) => e.event),
    ["started"],
  );
  // A foreign writer's event, without properties, and spread over lines: still one event.
  const spread = Buffer.from(JSON.stringify({ v: 1, event: "started", id: "t1", at: AT }, null, 2));
  assertEquals(read({ content: spread, properties: {} }).length, 1);
  assertEquals(eventBodies({ content: body, properties: { type: MARKER_TYPE } }), []);
});

Deno.test("eventBodies() leaves an unreadable line to its reader, and reads the others", () => {
  const content = Buffer.from(
    `${eventJson(started("t1"))}\nnot json\n\n${eventJson(started("t2"))}`,
  );
  const bodies = eventBodies({ content, properties: { type: EVENTS_TYPE } });
  assertEquals(bodies.map((body) => decodeEvent(body)?.id), ["t1", undefined, "t2"]);
});

Deno.test("a started event's workflow goes through encodeEvent(), a batch and eventBodies() unchanged", () => {
  const step = {
    event: "started",
    id: "wf1.1.4",
    task: "sum",
    worker: "w1",
    attempt: 1,
    workflow: "wf1",
    at: AT,
  } as const;
  const expected: HistoryEvent = { v: 1, ...step };
  const next: HistoryEvent = { ...expected, id: "wf1.1.5" };
  assertEquals(decodeEvent(encodeEvent(step).body), expected);
  assertEquals(JSON.parse(eventJson(step)).workflow, "wf1");
  const message = batch([step, { ...step, id: "wf1.1.5" }, started("t9")]);
  assertEquals(read(message), [expected, next, { v: 1, ...started("t9") } as HistoryEvent]);
  assertEquals(read(message, "wf1.1.5"), [next]);
});

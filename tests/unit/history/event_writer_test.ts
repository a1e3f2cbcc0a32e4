import { assertEquals, assertRejects } from "@std/assert";
import type { Buffer } from "node:buffer";
import { EventWriter } from "../../../src/history/event_writer.ts";
import type { NewHistoryEvent } from "../../../src/wire/events.ts";

interface Sent {
  readonly lines: string[];
  readonly correlationId: string | undefined;
}

function recorder(refuse = false) {
  const sent: Sent[] = [];
  const publish = (body: Buffer, properties: { readonly correlationId?: string }) => {
    sent.push({
      lines: body.toString().split("\n").map((line) => {
        const event = JSON.parse(line) as { event: string; id: string };
        return `${event.event} ${event.id}`;
      }),
      correlationId: properties.correlationId,
    });
    return refuse ? Promise.reject(new Error("refused")) : Promise.resolve();
  };
  return { sent, publish };
}

function started(id: string): NewHistoryEvent {
  return { event: "started", id, task: "sum", worker: "w1", attempt: 1 };
}

function succeeded(id: string): NewHistoryEvent {
  return { event: "succeeded", id, task: "sum", worker: "w1", attempt: 1, ms: 1 };
}

Deno.test("EventWriter writes the events of one turn in one message, in order", async () => {
  const { sent, publish } = recorder();
  const writer = new EventWriter(publish);
  await Promise.all([writer.write(succeeded("t1")), writer.write(succeeded("t2"))]);
  assertEquals(sent, [{ lines: ["succeeded t1", "succeeded t2"], correlationId: undefined }]);
});

Deno.test("EventWriter folds a lazy start into its outcome's message when the task ends in time", async () => {
  const { sent, publish } = recorder();
  const writer = new EventWriter(publish, { lingerMs: 60_000 });
  writer.write(started("t1"), { lazy: true });
  await writer.write(succeeded("t1"));
  assertEquals(sent, [{ lines: ["started t1", "succeeded t1"], correlationId: "t1" }]);
});

Deno.test("EventWriter writes a lazy start alone once its linger is over", async () => {
  const { sent, publish } = recorder();
  const writer = new EventWriter(publish, { lingerMs: 1 });
  await writer.write(started("t1"), { lazy: true });
  assertEquals(sent, [{ lines: ["started t1"], correlationId: "t1" }]);
  assertEquals(writer.waiting, 0);
});

Deno.test("EventWriter splits batches at its bounds, an event over them alone", async () => {
  const { sent, publish } = recorder();
  const writer = new EventWriter(publish, { maxBatchEvents: 2, maxBatchBytes: 100_000 });
  await Promise.all(["t1", "t2", "t3"].map((id) => writer.write(succeeded(id))));
  assertEquals(sent.map((s) => s.lines.length), [2, 1]);
  const small = recorder();
  const bytes = new EventWriter(small.publish, { maxBatchBytes: 150 });
  await Promise.all(["t1", "t2", "t3"].map((id) => bytes.write(succeeded(id))));
  assertEquals(small.sent.map((s) => s.lines.length), [1, 1, 1]);
});

Deno.test("EventWriter rejects every event of a refused message", async () => {
  const { publish } = recorder(true);
  const writer = new EventWriter(publish);
  const first = writer.write(succeeded("t1"));
  const second = writer.write(succeeded("t2"));
  await assertRejects(() => first, Error, "refused");
  await assertRejects(() => second, Error, "refused");
});

Deno.test("EventWriter.abandon() rejects what waits, and sends nothing", async () => {
  const { sent, publish } = recorder();
  const writer = new EventWriter(publish, { lingerMs: 60_000 });
  const waiting = writer.write(started("t1"), { lazy: true });
  writer.abandon(new Error("session gone"));
  await assertRejects(() => waiting, Error, "session gone");
  assertEquals(sent, []);
});

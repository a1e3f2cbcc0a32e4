import { assertEquals } from "@std/assert";
import { WAKE_TTL_MS, wakeQueueOptions, wakeSender } from "../../../src/scheduler/election.ts";

Deno.test("a wake note names who handed over; anything else names nobody", () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  assertEquals(wakeSender(encode(`{"by":"r1","at":"2026-01-01T00:00:00.000Z"}`)), "r1");
  for (const text of ["", "{", "null", "[]", `{"by":5}`, JSON.stringify({ by: "x".repeat(201) })]) {
    assertEquals(wakeSender(encode(text)), undefined, text);
  }
  assertEquals(wakeSender(new Uint8Array(2_000)), undefined);
});

Deno.test("the wake queue holds one short-lived note at most", () => {
  assertEquals(wakeQueueOptions(), {
    durable: true,
    arguments: { "x-message-ttl": WAKE_TTL_MS, "x-max-length": 1, "x-overflow": "drop-head" },
  });
});

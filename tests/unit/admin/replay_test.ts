import { assertEquals } from "@std/assert";
import type { DeadLetter } from "../../../src/admin/dead_letters.ts";
import { matchesFilter } from "../../../src/admin/filters.ts";
import { replayProperties, RESET_HEADERS } from "../../../src/admin/replay.ts";
import { DELIVERY_COUNT_HEADER, HEADERS } from "../../../src/wire/headers.ts";

Deno.test("replayProperties() resets attempts, failures and expiry, stamps the replay, and keeps everything else", () => {
  const properties = replayProperties(
    {
      properties: {
        messageId: "task-7",
        type: "sum",
        timestamp: 1_700_000_000,
        appId: "warren",
        contentType: "application/json",
        correlationId: "corr",
        deliveryMode: 2,
        headers: {
          [HEADERS.attempts]: 4,
          [HEADERS.redeliveries]: 1,
          [HEADERS.reason]: "failed",
          [HEADERS.expires]: 1_700_000_600_000,
          [HEADERS.error]: "boom",
          [HEADERS.firstFailure]: "2025-01-01T00:00:00.000Z",
          [HEADERS.lastFailure]: "2025-01-01T00:01:00.000Z",
          [HEADERS.worker]: "host-1",
          [HEADERS.queue]: "task_queue",
          [DELIVERY_COUNT_HEADER]: 2,
          "x-death": [{ queue: "q" }],
          "x-custom": "kept",
        },
      },
    } as never,
    "task-7",
    "2026-12-01T12:00:00.000Z",
  );
  assertEquals(properties, {
    persistent: true,
    messageId: "task-7",
    type: "sum",
    timestamp: 1_700_000_000,
    appId: "warren",
    contentType: "application/json",
    correlationId: "corr",
    headers: {
      [HEADERS.worker]: "host-1",
      [HEADERS.queue]: "task_queue",
      "x-custom": "kept",
      // A cancel made before this time does not apply to the copy.
      [HEADERS.replayed]: "2026-12-01T12:00:00.000Z",
    },
  });
  for (const name of RESET_HEADERS) assertEquals(properties.headers?.[name], undefined, name);
});

Deno.test("matchesFilter() requires every given field to match", () => {
  const letter: DeadLetter = {
    id: "a",
    task: "sum",
    reason: "failed",
    attempts: 4,
    error: "boom",
    when: null,
    worker: null,
    from: null,
    body: "{}",
  };
  assertEquals(matchesFilter(letter, {}), true);
  assertEquals(matchesFilter(letter, { task: "sum" }), true);
  assertEquals(matchesFilter(letter, { task: "primes" }), false);
  assertEquals(matchesFilter(letter, { id: "a", reason: "failed" }), true);
  assertEquals(matchesFilter(letter, { id: "a", reason: "invalid-payload" }), false);
  assertEquals(matchesFilter({ ...letter, task: null }, { task: "sum" }), false);
});

import { Buffer } from "node:buffer";
import { assertEquals, assertMatch } from "@std/assert";
import { type DeadMessage, describeDeadLetter } from "../../../src/admin/dead_letters.ts";
import { HEADERS } from "../../../src/wire/headers.ts";

const message = (
  body: string | Uint8Array,
  properties: DeadMessage["properties"] = {},
): DeadMessage => ({
  content: typeof body === "string" ? Buffer.from(body) : body,
  properties,
});

Deno.test("describeDeadLetter() reads Warren's dead-letter headers", () => {
  const letter = describeDeadLetter(message('{"task":"sum","start":1,"end":2}', {
    messageId: "m-1",
    type: "sum",
    timestamp: 1_700_000_000,
    headers: {
      [HEADERS.reason]: "failed",
      [HEADERS.attempts]: 4,
      [HEADERS.error]: "boom",
      [HEADERS.lastFailure]: "2025-01-02T03:04:05.000Z",
      [HEADERS.firstFailure]: "2025-01-02T03:00:00.000Z",
      [HEADERS.worker]: "host-12",
      [HEADERS.queue]: "task_queue",
    },
  }));
  assertEquals(letter, {
    id: "m-1",
    task: "sum",
    reason: "failed",
    attempts: 4,
    error: "boom",
    when: "2025-01-02T03:04:05.000Z",
    worker: "host-12",
    from: "task_queue",
    body: '{"task":"sum","start":1,"end":2}',
  });
});

Deno.test("describeDeadLetter() copes with messages that carry little or nothing", async (t) => {
  await t.step("no properties: id is a digest of the body, task from the body", () => {
    const letter = describeDeadLetter(message('{"task":"primes","limit":10}'));
    assertMatch(letter.id, /^sha256:[0-9a-f]{24}$/);
    assertEquals(letter.task, "primes");
    assertEquals([letter.reason, letter.error, letter.when, letter.worker], [
      null,
      null,
      null,
      null,
    ]);
    assertEquals(letter.attempts, 0);
  });

  await t.step("a body that is not JSON: task from the type property", () => {
    const letter = describeDeadLetter(message("sum 1 10", { messageId: "x", type: "sum" }));
    assertEquals(letter.task, "sum");
    assertEquals(letter.body, "sum 1 10");
  });

  await t.step("no task anywhere", () => {
    assertEquals(describeDeadLetter(message("[1,2]", { messageId: "y" })).task, null);
  });

  await t.step("when falls back to the timestamp property (seconds)", () => {
    const letter = describeDeadLetter(message("{}", { messageId: "z", timestamp: 1_700_000_000 }));
    assertEquals(letter.when, "2023-11-14T22:13:20.000Z");
  });

  await t.step("invalid UTF-8 is shown with replacement characters", () => {
    const letter = describeDeadLetter(message(new Uint8Array([0x7b, 0xff, 0x7d])));
    assertEquals(letter.body, "{\ufffd}");
  });

  await t.step("a malformed attempts header counts as 0", () => {
    const letter = describeDeadLetter(message("{}", { headers: { [HEADERS.attempts]: "many" } }));
    assertEquals(letter.attempts, 0);
  });
});

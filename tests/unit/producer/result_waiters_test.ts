/**
 * `ResultWaiters` holds a waiter for each `{ result: true }` publish only as long as it may be
 * asked for: one never awaited is dropped after its time, one awaited is kept until it ends.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { Buffer } from "node:buffer";
import type { Message } from "../../../src/deps/amqplib.ts";
import { ResultTimeoutError } from "../../../src/errors/result_timeout_error.ts";
import { ResultWaiters } from "../../../src/producer/result_waiters.ts";
import { encodeOutcome } from "../../../src/wire/outcome_codec.ts";

function reply(id: string): Message {
  return {
    content: encodeOutcome({ id, task: "sum", ok: true, result: 3 }),
    properties: { correlationId: id },
    fields: {},
  } as unknown as Message;
}

/** Polls `condition` until it holds or `ms` pass. */
async function until(condition: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("ResultWaiters drops a waiter nobody awaits after keepMs, replied or not", async () => {
  const waiters = new ResultWaiters(30);
  for (let i = 0; i < 1_000; i++) waiters.expect(`t${i}`);
  waiters.onReply(reply("t1"));
  assertEquals(waiters.size, 1_000);
  await until(() => waiters.size === 0);
  assertEquals(waiters.wait("t1", 100), undefined);
});

Deno.test("ResultWaiters keeps an awaited waiter until its outcome or its timeout", async () => {
  const waiters = new ResultWaiters(10);
  waiters.expect("a");
  waiters.expect("b");
  const a = waiters.wait("a", 5_000)!;
  const b = waiters.wait("b", 50)!;
  await new Promise((resolve) => setTimeout(resolve, 30)); // past keepMs: both awaited, kept
  waiters.onReply(reply("a"));
  assertEquals((await a).ok, true);
  await assertRejects(() => b, ResultTimeoutError);
  assertEquals(waiters.size, 0);
});

Deno.test("ResultWaiters gives a reply that came before result() was called", async () => {
  const waiters = new ResultWaiters(5_000);
  waiters.expect("early");
  waiters.onReply(reply("early"));
  assertEquals(await waiters.wait("early", 100), { id: "early", task: "sum", ok: true, result: 3 });
  waiters.clear();
  assertEquals(waiters.size, 0);
  assertEquals(Buffer.isBuffer(reply("x").content), true);
});

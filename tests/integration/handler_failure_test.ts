import { assert, assertEquals, assertLessOrEqual, assertStringIncludes } from "@std/assert";
import { z } from "zod";
import { retryDelay } from "../../src/util/backoff.ts";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { defineHandlers } from "../../src/task/handlers.ts";
import { HEADERS } from "../../src/wire/headers.ts";
import { NonRetryableError } from "../../src/errors/non_retryable_error.ts";
import { TaskTimeoutError } from "../../src/errors/task_timeout_error.ts";
import type { TaskEvent } from "../../src/worker/events.ts";
import { Producer } from "../../src/producer/producer.ts";
import { Worker } from "../../src/worker/worker.ts";
import { delay } from "../../tasks/handlers/sleep.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { drainQueue, queueDepth, stringHeader, until } from "../_helpers/probe.ts";

const TIMEOUT_MS = 100;

const explode = defineTask({ name: "explode", schema: z.object({ n: z.int() }) });
const refuse = defineTask({ name: "refuse", schema: z.object({ n: z.int() }) });
const stall = defineTask({
  name: "stall",
  schema: z.object({ ms: z.int() }),
  result: z.int(),
  timeout: TIMEOUT_MS,
});

const catalog = defineCatalog(explode, refuse, stall);
const handlers = defineHandlers(catalog, {
  explode: ({ n }) => {
    throw new Error(`boom ${n}: the disk is full`);
  },
  refuse: ({ n }) => {
    throw new NonRetryableError(`record ${n} can never be imported`);
  },
  stall: async ({ ms }, { signal }) => {
    await delay(ms, signal);
    return ms;
  },
});

const BACKOFF = { base: 50, max: 50 } as const;
/** Every delay the jitter can pick for the first retry. */
const RETRY_DELAYS = [
  ...new Set([0, 0.2, 0.4, 0.6, 0.8, 0.999].map((r) => retryDelay(1, BACKOFF, () => r))),
];

Deno.test("a failing handler is retried through a delay queue, then dead-lettered", async (t) => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  const workerId = `failure-test-${queue}`;
  const worker = await Worker.start(handlers, {
    url: TEST_URL,
    queue,
    retries: 1,
    backoff: BACKOFF,
    id: workerId,
  });
  const events: TaskEvent[] = [];
  worker.on("*", (event) => events.push(event));
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue });
  const outcome = async (id: string) => {
    await until(
      () => events.some((e) => e.id === id && (e.event === "task.dead" || e.event === "task.done")),
      `the outcome of ${id}`,
    );
    return events.filter((e) => e.id === id);
  };
  const deadLetter = async (id: string) => {
    const letters = await drainQueue(client, `${queue}.dead`);
    assertEquals(letters.map((m) => m.properties.messageId), [id]);
    return letters[0]!;
  };

  try {
    await t.step("an error uses up the retries: failed once, then dead as 'failed'", async () => {
      const { id } = await producer.enqueue("explode", { n: 7 });
      const seen = await outcome(id);
      assertEquals(seen.map((e) => e.event), [
        "task.started",
        "task.failed",
        "task.started",
        "task.dead",
      ]);
      const failed = seen[1];
      assert(failed?.event === "task.failed");
      assertEquals(failed.attempt, 1);
      assertStringIncludes(failed.error, "boom 7: the disk is full");
      assert(RETRY_DELAYS.includes(failed.retryIn), `retryIn ${failed.retryIn}`);
      // The retry waited in the first delay level (under 100 ms), which is now empty again.
      assertEquals(await queueDepth(client, `${queue}.wait.0`), 0);
      assertEquals(await queueDepth(client, `${queue}.wait.1`), undefined, "no higher level");
      const dead = seen[3];
      assert(dead?.event === "task.dead");
      assertEquals([dead.reason, dead.attempt], ["failed", 2]);

      const letter = await deadLetter(id);
      assertEquals(stringHeader(letter, HEADERS.reason), "failed");
      assertEquals(letter.properties.headers?.[HEADERS.attempts], 2);
      assertStringIncludes(stringHeader(letter, HEADERS.error), "boom 7: the disk is full");
      assertEquals(stringHeader(letter, HEADERS.worker), workerId);
      assertEquals(stringHeader(letter, HEADERS.queue), queue);
      const first = Date.parse(stringHeader(letter, HEADERS.firstFailure));
      const last = Date.parse(stringHeader(letter, HEADERS.lastFailure));
      assert(first < last, "the first failure is kept from the first attempt");
      assertEquals(JSON.parse(letter.content.toString()), { task: "explode", n: 7 });
      assertEquals(letter.properties.type, explode.version, "the contract's version, kept");
    });

    await t.step("a NonRetryableError goes straight to dead as 'non-retryable'", async () => {
      const { id } = await producer.enqueue("refuse", { n: 3 });
      const seen = await outcome(id);
      assertEquals(seen.map((e) => e.event), ["task.started", "task.dead"]);
      const dead = seen[1];
      assert(dead?.event === "task.dead");
      assertEquals([dead.reason, dead.attempt], ["non-retryable", 1]);

      const letter = await deadLetter(id);
      assertEquals(stringHeader(letter, HEADERS.reason), "non-retryable");
      assertEquals(letter.properties.headers?.[HEADERS.attempts], 1);
      assertStringIncludes(stringHeader(letter, HEADERS.error), "record 3 can never be imported");
    });

    await t.step("a handler past its time limit fails with a TaskTimeoutError", async () => {
      const { id } = await producer.enqueue("stall", { ms: 60_000 });
      const seen = await outcome(id);
      assertEquals(seen.map((e) => e.event), [
        "task.started",
        "task.failed",
        "task.started",
        "task.dead",
      ]);
      const timeout = new TaskTimeoutError("stall", TIMEOUT_MS).message;
      const failed = seen[1];
      assert(failed?.event === "task.failed");
      assertStringIncludes(failed.error, timeout);
      assert(failed.ms >= TIMEOUT_MS - 1, `failed after ${failed.ms} ms`);
      assertLessOrEqual(failed.ms, 5_000);
      const dead = seen[3];
      assert(dead?.event === "task.dead");
      assertEquals(dead.reason, "failed");

      const letter = await deadLetter(id);
      assertEquals(stringHeader(letter, HEADERS.reason), "failed");
      assertStringIncludes(stringHeader(letter, HEADERS.error), timeout);
    });

    await t.step("no task was ever acknowledged as done", () => {
      assertEquals(events.filter((e) => e.event === "task.done"), []);
    });
  } finally {
    await producer.close();
    await worker.close();
  }
  await worker.closed;
});

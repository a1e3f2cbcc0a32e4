/**
 * The broker's consumer timeout, and any broker-sent cancel, on each broker: RabbitMQ 3.10 and
 * 4.0 close the channel of a consumer that holds a delivery too long, whatever the queue type;
 * RabbitMQ 4.3 enforces it in quorum queues only (per consumer: Warren's worker asks for its
 * `consumerTimeout` with `x-consumer-timeout`), and cancels the consumer (`basic.cancel`) rather
 * than closing the channel, taking the delivery back without counting it in `x-delivery-count`.
 * Whatever the broker does, the worker consumes again, and a task that always outlives the
 * timeout ends in `Q.dead` after `maxRedeliveries` runs instead of looping.
 *
 * The timeout runs on a PRIVATE node (`consumer_timeout = 2000`; RabbitMQ 3.10 and 4.0 check
 * it at each channel tick, every 500 ms here instead of 60 s).
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { z } from "zod";
import { brokerFeatures } from "../../src/broker/features.ts";
import { Producer } from "../../src/producer/producer.ts";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { defineHandlers } from "../../src/task/handlers.ts";
import { prepareTask } from "../../src/task/prepare.ts";
import { createLogger } from "../../src/util/logger.ts";
import { HEADERS } from "../../src/wire/headers.ts";
import type { TaskEvent } from "../../src/worker/events.ts";
import { Worker } from "../../src/worker/worker.ts";
import { catalog } from "../../tasks/mod.ts";
import { brokerVersion, rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { WorkerProcess } from "../_helpers/cli.ts";
import { drainQueue, until } from "../_helpers/probe.ts";
import { rabbitmqInstalled, startRabbitNode } from "../_helpers/rabbit_node.ts";
import { deleteFlowQueues } from "../_helpers/flow.ts";

const installed = await rabbitmqInstalled();
if (!installed) {
  // deno-lint-ignore no-console
  console.warn("consumer_timeout_test: rabbitmq-server is not installed; skipping the timeouts");
}

/** Milliseconds the broker lets a delivery stay unacknowledged on the private node. */
const CONSUMER_TIMEOUT_MS = 2_000;
/** How long the stuck task blocks its worker: well past the timeout and a channel tick. */
const STUCK_MS = 4_000;

/** A task whose handler blocks the event loop (a CPU-bound handler on the main thread). */
const stuck = defineTask({
  name: "stuck",
  schema: z.object({ ms: z.int().min(0).max(60_000) }),
  timeout: 1_000,
  retries: 0,
});
const quick = defineTask({ name: "quick", schema: z.object({}), timeout: 1_000 });
const timeoutCatalog = defineCatalog(stuck, quick);
const timeoutHandlers = defineHandlers(timeoutCatalog, {
  stuck: ({ ms }) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      // Busy: neither acks nor heartbeats go out, as with a heavy handler on the main thread.
    }
  },
  quick: () => {},
});

Deno.test("a worker whose consumer the broker cancels (its queue deleted) consumes again", async () => {
  const queue = uniqueQueue("warren_cancelled");
  await using client = await rawClient();
  client.track(queue);
  await using worker = new WorkerProcess(["--queue", queue]);
  await worker.started();
  await client.channel.deleteQueue(queue);
  await worker.waitFor(
    (lines) => lines.some((l) => l.event === "worker.resumed"),
    "the worker to declare its queue again and consume",
  );
  assertEquals(worker.events("consumer.cancelled").length, 1);
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue });
  try {
    const { id } = await producer.enqueue("sum", { start: 1, end: 3 });
    await worker.waitFor(
      (lines) => lines.some((l) => l.event === "task.done" && l.id === id),
      "the task enqueued after the cancel to be done",
    );
  } finally {
    await producer.close();
  }
});

Deno.test({
  name:
    "a task that outlives the broker's consumer timeout ends in Q.dead after --max-redeliveries runs, and the worker goes on",
  ignore: !installed,
  async fn(t) {
    await using node = await startRabbitNode({
      prefix: "warren-timeout",
      config: [`consumer_timeout = ${CONSUMER_TIMEOUT_MS}`],
      advancedConfig: "[{rabbit, [{channel_tick_interval, 500}]}].",
    });
    const features = brokerFeatures(await brokerVersion(node.url));
    for (const queueType of ["classic", "quorum"] as const) {
      await t.step(queueType, async () => {
        const queue = uniqueQueue(`warren_timeout_${queueType}`);
        await using client = await rawClient(node.url);
        client.track(queue);
        const events: TaskEvent[] = [];
        const options = { url: node.url, queue, queueType };
        const worker = await Worker.start(timeoutHandlers, {
          ...options,
          maxRedeliveries: 2,
          consumerTimeout: CONSUMER_TIMEOUT_MS,
          onEvent: (event) => events.push(event),
        });
        const producer = await Producer.connect(timeoutCatalog, options);
        try {
          const { id } = await producer.enqueue("stuck", { ms: STUCK_MS });
          const mine = (name: TaskEvent["event"]) =>
            events.filter((e) => e.event === name && "id" in e && e.id === id);
          // RabbitMQ 4.3 enforces no consumer timeout on a classic queue: the task just runs.
          const enforced = queueType === "quorum" || !features.quorumConsumerTimeout;
          await until(
            () => mine(enforced ? "task.dead" : "task.done").length > 0,
            enforced ? "the stuck task to be dead-lettered" : "the stuck task to be done",
            60_000,
          );
          if (enforced) {
            assertEquals(mine("task.started").length, 2, "one run, and one after the timeout");
            const [letter] = await drainQueue(client, `${queue}.dead`);
            assert(letter, "a dead letter");
            assertEquals(letter.properties.messageId, id);
            assertEquals(letter.properties.headers?.[HEADERS.reason], "worker-died");
            assert(worker.reconnects >= 2, `reconnects: ${worker.reconnects}`);
          } else {
            assertEquals(mine("task.started").length, 1);
            assertEquals(worker.reconnects, 0);
          }
          // Consuming again: a task enqueued now is done.
          const next = await producer.enqueue("quick", {});
          await until(
            () => events.some((e) => e.event === "task.done" && "id" in e && e.id === next.id),
            "a task enqueued after the timeouts to be done",
          );
        } finally {
          await producer.close();
          await worker.close();
        }
      });
    }
  },
});

/** A rate-limited task: its worker holds a token, and one worker the refill baton, unacked. */
const limited = defineTask({
  name: "limited",
  schema: z.object({ n: z.int() }),
  timeout: 500,
  rateLimit: { perSecond: 20, burst: 5 },
});
const limitedCatalog = defineCatalog(limited);
const limitedHandlers = defineHandlers(limitedCatalog, { limited: ({ n }) => n });

Deno.test({
  name:
    "a rate limit's held token and baton outlast the broker's consumer timeout: handed back in time, no channel closed",
  ignore: !installed,
  async fn() {
    await using node = await startRabbitNode({
      prefix: "warren-timeout-flow",
      config: [`consumer_timeout = ${CONSUMER_TIMEOUT_MS}`],
      advancedConfig: "[{rabbit, [{channel_tick_interval, 500}]}].",
    });
    const queue = uniqueQueue("warren_timeout_flow");
    await using client = await rawClient(node.url);
    client.track(queue);
    const lines: { event?: string; id?: string }[] = [];
    const logger = createLogger({
      format: "json",
      level: "debug",
      write: (text) => {
        for (const line of text.split("\n").filter((l) => l !== "")) lines.push(JSON.parse(line));
      },
    });
    const count = (event: string) => lines.filter((l) => l.event === event).length;
    const worker = await Worker.start(limitedHandlers, {
      url: node.url,
      queue,
      logger,
      history: false,
      cancels: false,
      consumerTimeout: CONSUMER_TIMEOUT_MS,
    });
    const producer = await Producer.connect(limitedCatalog, {
      url: node.url,
      queue,
      history: false,
    });
    try {
      // Idle, the worker holds a token and the baton: each goes back before the timeout.
      await until(
        () => count("ratelimit.token_renewed") >= 3 && count("ratelimit.baton_renewed") >= 3,
        "the held token and baton handed back three times each",
        30_000,
      );
      const tasks = Array.from(
        { length: 5 },
        (_, n) => prepareTask(limitedCatalog, "limited", { n }),
      );
      const ids = tasks.map((task) => task.id);
      assertEquals((await producer.publishAll(tasks)).failed, []);
      await until(
        () => ids.every((id) => lines.some((l) => l.event === "task.done" && l.id === id)),
        "the 5 limited tasks done",
        15_000,
      );
      assertEquals(count("channel.error"), 0, "no channel was closed by the consumer timeout");
      assertEquals(count("connection.lost"), 0);
    } finally {
      await producer.close();
      await worker.close();
      await deleteFlowQueues(client, queue, { limited: ["limited"] });
    }
  },
});

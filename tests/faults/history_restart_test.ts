/**
 * History and cancels across a restart of a private RabbitMQ node: no event and no cancel is
 * lost, a cancel made before the restart reaches a worker started after it, and a result whose
 * reply was lost with the connection is read from the history.
 */
import { assert, assertEquals } from "@std/assert";
import { z } from "zod";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { defineHandlers } from "../../src/task/handlers.ts";
import { Producer } from "../../src/producer/producer.ts";
import { Worker } from "../../src/worker/worker.ts";
import type { TaskEvent } from "../../src/worker/events.ts";
import { delay } from "../../tasks/handlers/sleep.ts";
import { uniqueQueue } from "../_helpers/broker.ts";
import { byTask, readHistory, steps } from "../_helpers/history.ts";
import { until } from "../_helpers/probe.ts";
import { rabbitmqInstalled, startRabbitNode } from "../_helpers/rabbit_node.ts";

const nap = defineTask({
  name: "nap",
  schema: z.object({ ms: z.int() }),
  result: z.object({ napped: z.int() }),
  timeout: 60_000,
});
const catalog = defineCatalog(nap);
const handlers = defineHandlers(catalog, {
  nap: async ({ ms }, { signal }) => {
    await delay(ms, signal);
    return { napped: ms };
  },
});

/** How long the task runs across the restart. */
const LONG_MS = 25_000;

const installed = await rabbitmqInstalled();
if (!installed) {
  // deno-lint-ignore no-console
  console.warn("history_restart_test: rabbitmq-server is not installed; skipping the restart test");
}

Deno.test({
  name: "a restart of the broker loses no history event and no cancel, nor a result",
  ignore: !installed,
  fn: async () => {
    await using node = await startRabbitNode({ prefix: "warren-history" });
    const queue = uniqueQueue("warren_history_restart");
    const options = { url: node.url, queue, queueType: "quorum", history: true } as const;
    const events: TaskEvent[] = [];
    const onEvent = (event: TaskEvent) => void events.push(event);
    const first = await Worker.start(handlers, { ...options, prefetch: 5, id: "before", onEvent });
    const producer = await Producer.connect(catalog, { ...options, results: true });
    let second: Worker<typeof catalog> | undefined;
    try {
      const quick = await Promise.all(
        Array.from({ length: 200 }, () => producer.enqueue("nap", { ms: 20 })),
      );
      // Long enough to outlast a graceful stop on a loaded machine (over 7 s seen here).
      const long = await producer.enqueue("nap", { ms: LONG_MS }, { result: true });
      const delayed = await producer.enqueue("nap", { ms: 10 }, { delay: 6_000 });
      await producer.cancel(delayed.id);
      await until(
        () => events.some((e) => e.event === "task.started" && e.id === long.id),
        "the long task to start",
      );

      await node.stop();
      assert(
        !events.some((e) => e.event === "task.done" && e.id === long.id),
        `the long task ran ${LONG_MS} ms, and was done before the broker stopped: nothing was tested`,
      );
      await node.start();
      // A worker started after the restart reads the cancel made before it.
      second = await Worker.start(handlers, { ...options, id: "after", onEvent });

      // The reply to the long task was addressed to a channel that the restart closed.
      const outcome = await producer.result(long, { timeout: 60_000 });
      assertEquals(outcome.ok && outcome.result, { napped: LONG_MS });
      await until(
        () => events.some((e) => e.event === "task.dead" && e.id === delayed.id),
        "the cancelled delayed task to be dead-lettered",
        30_000,
      );
      await until(
        () => quick.every(({ id }) => events.some((e) => e.event === "task.done" && e.id === id)),
        "every quick task to be done",
        30_000,
      );
      assert(!events.some((e) => e.event === "task.started" && e.id === delayed.id));
      const done = new Set(events.filter((e) => e.event === "task.done").map((e) => e.id));

      const history = byTask(await readHistory(queue, node.url));
      const lost: string[] = [];
      for (const { id } of [...quick, long]) {
        const list = steps(history.get(id) ?? []);
        if (list[0] !== "enqueued" || !list.at(-1)?.startsWith("succeeded")) {
          lost.push(`${id}: ${list.join(", ")}`);
        }
      }
      assertEquals(lost, []);
      // deno-lint-ignore no-console
      console.log(`  the long task across the restart: ${steps(history.get(long.id)!).join(", ")}`);
      assertEquals(steps(history.get(delayed.id)!), ["enqueued", "cancelled"]);
      // Every outcome a worker reported is in the history.
      for (const id of done) assert(history.get(id)?.some((e) => e.event === "succeeded"), id);
    } finally {
      await producer.close();
      await Promise.all([first.close(), second?.close()]);
    }
  },
});

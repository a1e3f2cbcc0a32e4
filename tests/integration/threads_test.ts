import { assertEquals, assertMatch } from "@std/assert";
import type { TaskEvent } from "../../src/worker/events.ts";
import { Producer } from "../../src/producer/producer.ts";
import { Worker } from "../../src/worker/worker.ts";
import { catalog, handlers } from "../fixtures/cpu_catalog.ts";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { until } from "../_helpers/probe.ts";

const module = new URL("../fixtures/cpu_catalog.ts", import.meta.url);

Deno.test("a worker with threads runs cpu tasks in a thread and the others on the main thread", async () => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  const worker = await Worker.start(handlers, { queue, prefetch: 2, threads: { size: 2, module } });
  const producer = await Producer.connect(catalog, { queue, results: true });
  try {
    const threaded = await producer.enqueue("where", {}, { result: true });
    const main = await producer.enqueue("where-main", {}, { result: true });
    const failing = await producer.enqueue("fail", {}, { result: true });
    assertEquals(await producer.result(threaded, { timeout: 10_000 }), {
      id: threaded.id,
      task: "where",
      ok: true,
      result: "warren handler",
    });
    assertEquals(await producer.result(main, { timeout: 10_000 }), {
      id: main.id,
      task: "where-main",
      ok: true,
      result: "main",
    });
    assertEquals(await producer.result(failing, { timeout: 10_000 }), {
      id: failing.id,
      task: "fail",
      ok: false,
      reason: "non-retryable",
      error: "refused in a thread",
    });
  } finally {
    await producer.close();
    await worker.close();
  }
});

Deno.test("a cpu handler that never yields is stopped at its time limit by replacing its thread", async () => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  const events: TaskEvent[] = [];
  const worker = await Worker.start(handlers, {
    queue,
    prefetch: 1,
    threads: { size: 1, module },
    onEvent: (event) => events.push(event),
  });
  const producer = await Producer.connect(catalog, { queue, results: true });
  try {
    const spin = await producer.enqueue("spin", {});
    const after = await producer.enqueue("where", {}, { result: true });
    const outcome = await producer.result(after, { timeout: 20_000 });
    assertEquals(outcome, { id: after.id, task: "where", ok: true, result: "warren handler" });
    await until(() => events.some((e) => e.event === "task.dead" && e.id === spin.id), "spin dead");
    const dead = events.find((e) => e.event === "task.dead" && e.id === spin.id);
    assertMatch(
      dead?.event === "task.dead" ? dead.error : "",
      /did not finish within its time limit of 300 ms/,
    );
    assertEquals(worker.consuming, true, "the main thread stayed responsive");
  } finally {
    await producer.close();
    await worker.close();
  }
});

/**
 * Cancels on a real broker: queued, delayed and running tasks across three workers, a task
 * cancelled before any worker was started, a drop, a thread's task that ignores its signal, and
 * the admin CLI's answers for finished and unknown tasks.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { z } from "zod";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { defineHandlers } from "../../src/task/handlers.ts";
import { Producer } from "../../src/producer/producer.ts";
import { Worker } from "../../src/worker/worker.ts";
import type { TaskEvent } from "../../src/worker/events.ts";
import { HEADERS } from "../../src/wire/headers.ts";
import { delay } from "../../tasks/handlers/sleep.ts";
import { catalog as cpuCatalog, handlers as cpuHandlers } from "../fixtures/cpu_catalog.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { runCli } from "../_helpers/cli.ts";
import { byTask, readHistory, steps } from "../_helpers/history.ts";
import { drainQueue, stringHeader, until } from "../_helpers/probe.ts";

/** When each cancelled handler saw its signal fire (`performance.now()`), by task id. */
const aborted = new Map<string, number>();

const block = defineTask({
  name: "block",
  schema: z.object({ ms: z.int() }),
  result: z.int(),
  timeout: 120_000,
});
const catalog = defineCatalog(block);
const handlers = defineHandlers(catalog, {
  block: async ({ ms }, { signal, id }) => {
    signal.addEventListener("abort", () => aborted.set(id, performance.now()), { once: true });
    await delay(ms, signal);
    return ms;
  },
});

/** The task events of some workers, and a wait for one that matches. */
function recorder() {
  const events: TaskEvent[] = [];
  return {
    events,
    onEvent: (event: TaskEvent) => void events.push(event),
    seen: (event: TaskEvent["event"], id: string) =>
      until(() => events.some((e) => e.event === event && e.id === id), `${event} of ${id}`),
  };
}

/** The `p`th percentile of `values`. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

Deno.test("cancels stop queued, delayed and running tasks across 3 workers, and reach a worker started later", async (t) => {
  const queue = uniqueQueue("warren_cancel");
  await using client = await rawClient();
  client.track(queue);
  const options = { url: TEST_URL, queue, history: true } as const;
  const record = recorder();
  const workers = await Promise.all(
    [1, 2, 3].map((i) =>
      Worker.start(handlers, { ...options, id: `cancel-${i}`, onEvent: record.onEvent })
    ),
  );
  const producer = await Producer.connect(catalog, options);
  const ids: Record<string, string> = {};
  try {
    const running = await Promise.all(
      [1, 2, 3].map(() => producer.enqueue("block", { ms: 60_000 })),
    );
    for (const { id } of running) await record.seen("task.started", id);
    ids.queued = (await producer.enqueue("block", { ms: 10 })).id;
    ids.dropped = (await producer.enqueue("block", { ms: 10 })).id;
    ids.delayed = (await producer.enqueue("block", { ms: 10 }, { delay: 1_500 })).id;

    await t.step("queued and delayed tasks are never run", async () => {
      await producer.cancel(ids.queued!);
      await producer.cancel(ids.dropped!, { drop: true });
      await producer.cancel(ids.delayed!);
      // Free the workers: cancel the running tasks, each timed from the request to the abort.
      const latencies: number[] = [];
      for (const { id } of running) {
        const asked = performance.now();
        await producer.cancel(id);
        await until(() => aborted.has(id), `the abort of ${id}`);
        latencies.push(aborted.get(id)! - asked);
      }
      // deno-lint-ignore no-console
      console.log(
        `  cancel of a running task, request to abort: ${
          latencies.map((ms) => ms.toFixed(1)).join(", ")
        } ms (p50 ${percentile(latencies, 50).toFixed(1)})`,
      );
      for (const id of [ids.queued!, ids.dropped!, ids.delayed!]) {
        await record.seen("task.dead", id);
        assert(!record.events.some((e) => e.event === "task.started" && e.id === id), id);
      }
    });

    await t.step("the dead letters and the history say what was cancelled, and how", async () => {
      const dead = await drainQueue(client, `${queue}.dead`);
      const reasons = dead.map((m) => [m.properties.messageId, stringHeader(m, HEADERS.reason)]);
      assertEquals(
        reasons.map(([id]) => id).sort(),
        [...running.map((r) => r.id), ids.queued!, ids.delayed!].sort(),
      );
      assert(reasons.every(([, reason]) => reason === "cancelled"));
      const history = byTask(await readHistory(queue));
      assertEquals(steps(history.get(ids.queued!)!), ["enqueued", "cancelled"]);
      assertEquals(steps(history.get(ids.delayed!)!), ["enqueued", "cancelled"]);
      const dropped = history.get(ids.dropped!)!.at(-1)!;
      assertEquals(dropped.event === "cancelled" && [dropped.stage, dropped.dropped], [
        "queued",
        true,
      ]);
      for (const { id } of running) {
        const last = history.get(id)!.at(-1)!;
        assertEquals(last.event === "cancelled" && last.stage, "running");
      }
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
  }

  await t.step("a worker started after the cancel does not run the task", async () => {
    const { id } = await producer.enqueue("block", { ms: 10 });
    await producer.cancel(id);
    const late = recorder();
    const worker = await Worker.start(handlers, { ...options, onEvent: late.onEvent });
    try {
      await late.seen("task.dead", id);
      const event = late.events.find((e) => e.id === id);
      assertEquals(event?.event === "task.dead" && event.reason, "cancelled");
      assert(!late.events.some((e) => e.event === "task.started"));
    } finally {
      await worker.close();
      await producer.close();
    }
  });

  await t.step(
    "admin.ts cancel says which tasks had finished, and which it does not know",
    async () => {
      const finished = await runCli("admin.ts", ["cancel", ids.queued!, "--queue", queue]);
      assertEquals(finished.code, 3, finished.stderr);
      assertStringIncludes(finished.stdout, "not cancelled: it had already finished (cancelled)");
      const unknown = await runCli("admin.ts", ["cancel", "no-such-task", "--queue", queue]);
      assertEquals(unknown.code, 2);
      assertStringIncludes(unknown.stdout, "no-such-task: not cancelled: no task of that id");
      const unchecked = await runCli("admin.ts", [
        "cancel",
        "no-such-task",
        "--unchecked",
        "--queue",
        queue,
        "--json",
      ]);
      assertEquals(unchecked.code, 0, unchecked.stderr);
      assertEquals(JSON.parse(unchecked.stdout), [
        { id: "no-such-task", outcome: "requested", checked: false },
      ]);
    },
  );
});

Deno.test("a cancelled task on a worker thread that ignores its signal is ended", async () => {
  const queue = uniqueQueue("warren_cancel_thread");
  await using client = await rawClient();
  client.track(queue);
  const record = recorder();
  const module = new URL("../fixtures/cpu_catalog.ts", import.meta.url);
  const worker = await Worker.start(cpuHandlers, {
    url: TEST_URL,
    queue,
    threads: { size: 1, module },
    onEvent: record.onEvent,
  });
  const producer = await Producer.connect(cpuCatalog, { url: TEST_URL, queue });
  try {
    const { id } = await producer.enqueue("hog", {});
    await record.seen("task.started", id);
    const asked = performance.now();
    await producer.cancel(id);
    await record.seen("task.dead", id);
    const ms = performance.now() - asked;
    // deno-lint-ignore no-console
    console.log(
      `  a thread's task that ignores its signal ended ${ms.toFixed(0)} ms after the cancel`,
    );
    const dead = record.events.find((e) => e.event === "task.dead" && e.id === id);
    assertEquals(dead?.event === "task.dead" && dead.reason, "cancelled");
  } finally {
    await producer.close();
    await worker.close();
  }
});

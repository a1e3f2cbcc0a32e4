/**
 * Expiry and priorities on a real broker: a task not started before its expiry never runs
 * (dead-lettered as expired, counted, and reported so by --wait), and on a busy worker at
 * prefetch 1, ten high-priority tasks enqueued after a hundred low ones run before them.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { brokerFeatures } from "../../src/broker/features.ts";
import { ConfigError } from "../../src/errors/config_error.ts";
import { Producer } from "../../src/producer/producer.ts";
import type { TaskEvent } from "../../src/worker/events.ts";
import { Worker } from "../../src/worker/worker.ts";
import { handlers } from "../../tasks/handlers/mod.ts";
import { catalog } from "../../tasks/mod.ts";
import { brokerVersion, rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { runCli, WorkerProcess } from "../_helpers/cli.ts";
import { drainQueue, queueDepth, until } from "../_helpers/probe.ts";

/** Resolves after `ms`: a wait for time itself to pass (an expiry), not for an event. */
const elapse = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("a task not started before it expires is dead-lettered as expired, never run", async (t) => {
  const queue = uniqueQueue("warren_expiry");
  await using client = await rawClient();
  client.track(queue);

  await t.step("the worker dead-letters the stale task and runs the fresh one", async () => {
    const producer = await Producer.connect(catalog, { url: TEST_URL, queue });
    const stale = await producer.enqueue("sum", { start: 1, end: 2 }, { expires: 200 });
    const fresh = await producer.enqueue("sum", { start: 1, end: 3 }, {
      expires: new Date(Date.now() + 3_600_000),
    });
    await producer.close();
    await elapse(400); // the stale one's expiry passes while no worker runs
    const events: TaskEvent[] = [];
    const worker = await Worker.start(handlers, {
      url: TEST_URL,
      queue,
      onEvent: (event) => events.push(event),
    });
    try {
      const outcomes = () =>
        events.filter((e) => e.event === "task.dead" || e.event === "task.done");
      await until(() => outcomes().length === 2, "both outcomes");
    } finally {
      await worker.close();
    }
    const dead = events.find((e) => e.event === "task.dead");
    assert(dead?.event === "task.dead");
    assertEquals([dead.id, dead.reason], [stale.id, "expired"]);
    assertEquals(events.filter((e) => e.event === "task.started").map((e) => e.id), [fresh.id]);
    const [letter] = await drainQueue(client, `${queue}.dead`);
    assertEquals(letter?.properties.headers?.["x-warren-reason"], "expired");
  });

  await t.step("producer --wait reports an expired task as such and exits 1", async () => {
    const waiting = runCli("producer.ts", [
      "sum",
      "--start",
      "1",
      "--end",
      "2",
      "--expires",
      "300ms",
      "--wait",
      "--timeout",
      "30s",
      "--queue",
      queue,
    ]);
    // The expiry counts from the enqueue, which comes after the producer's own start (over a
    // second on a loaded machine): wait for the task to be in the queue, then for its expiry.
    await until(async () => await queueDepth(client, queue) === 1, "the task in the queue", 30_000);
    await elapse(600); // the worker starts once the task's expiry has passed
    await using worker = new WorkerProcess(["--queue", queue]);
    const result = await waiting;
    assertEquals(result.code, 1, result.stderr);
    assertMatch(
      result.stdout,
      /^expired sum \S+ expired at \S+, \d+ ms before a worker could start it$/m,
    );
    assertStringIncludes(result.stderr, "1 expired before they started");
    await worker.waitForEvents("task.dead", 1);
    assertEquals(worker.events("task.dead")[0]?.reason, "expired");
  });

  await t.step("an expiry before the task may start is refused at once", async () => {
    const producer = await Producer.connect(catalog, { url: TEST_URL, queue });
    try {
      await assertRejects(
        () => producer.enqueue("sum", { start: 1, end: 2 }, { delay: 5_000, expires: 1_000 }),
        ConfigError,
        "before it may start",
      );
    } finally {
      await producer.close();
    }
  });
});

Deno.test("priorities: a busy worker runs 10 high tasks ahead of 100 low ones queued first", async (t) => {
  for (const queueType of ["classic", "quorum"] as const) {
    await t.step(queueType, async () => {
      const queue = uniqueQueue(`warren_priority_${queueType}`);
      await using client = await rawClient();
      client.track(queue);
      const version = String(client.connection.connection.serverProperties.version);
      const maxPriority = queueType === "classic" ? { maxPriority: 10 } : {};
      const options = { url: TEST_URL, queue, queueType, ...maxPriority };
      if (queueType === "quorum" && version.startsWith("3.")) {
        // RabbitMQ 3.x quorum queues have no priorities: refused, never ignored.
        const producer = await Producer.connect(catalog, options);
        try {
          await assertRejects(
            () => producer.enqueue("sleep", { ms: 1 }, { priority: 9 }),
            ConfigError,
            "has no priorities on RabbitMQ 3.",
          );
        } finally {
          await producer.close();
        }
        return;
      }
      const started: string[] = [];
      const worker = await Worker.start(handlers, {
        ...options,
        prefetch: 1,
        onEvent: (e) => e.event === "task.started" && started.push(e.id),
      });
      const producer = await Producer.connect(catalog, options);
      try {
        // Busy until every task is queued, however long the confirms take: then cancelled.
        const busy = await producer.enqueue("sleep", { ms: 60_000 });
        await until(() => started.includes(busy.id), "the worker to be busy");
        await Promise.all(
          Array.from({ length: 100 }, () => producer.enqueue("sleep", { ms: 1 }, { priority: 1 })),
        );
        const high = await Promise.all(
          Array.from({ length: 10 }, () => producer.enqueue("sleep", { ms: 1 }, { priority: 9 })),
        );
        await producer.cancel(busy.id);
        await until(() => started.length === 111, "every task to start", 30_000);
        const highIds = new Set(high.map((r) => r.id));
        // A classic queue, and a quorum queue on RabbitMQ 4.3 (32 levels), deliver the high
        // ones strictly first. A quorum queue on RabbitMQ 4.0 to 4.2 has two levels and, so that
        // normal tasks never starve, delivers up to 2 high ones per normal one: the 10 high ones
        // then go among the first 15.
        const levels = brokerFeatures(version).quorumPriorityLevels;
        const within = queueType === "classic" || levels === 32 ? 10 : 15;
        const positions = started.flatMap((id, i) => highIds.has(id) ? [i] : []);
        assertEquals(positions.length, 10);
        assert(
          positions.every((i) => i >= 1 && i <= within),
          `high ones at ${positions.join(",")}`,
        );
        assertEquals(started.filter((id) => !highIds.has(id)).length, 101);
      } finally {
        await producer.close();
        await worker.close();
      }
    });
  }
});

const features = brokerFeatures(await brokerVersion());
const strictQuorum = features.quorumPriorityLevels === 32;
if (!strictQuorum) {
  // deno-lint-ignore no-console
  console.warn(
    `expiry_priority_test: RabbitMQ ${features.version} has no 32-level quorum queues (4.3 and later); skipping their test`,
  );
}

Deno.test({
  name:
    "priorities: a quorum queue on RabbitMQ 4.3 runs tasks strictly by priority, 0 to 31, and refuses 32",
  ignore: !strictQuorum,
  fn: async () => {
    const queue = uniqueQueue("warren_priority_strict");
    await using client = await rawClient();
    client.track(queue);
    const options = { url: TEST_URL, queue, queueType: "quorum" as const };
    const started: string[] = [];
    const worker = await Worker.start(handlers, {
      ...options,
      prefetch: 1,
      onEvent: (e) => e.event === "task.started" && started.push(e.id),
    });
    const producer = await Producer.connect(catalog, options);
    try {
      await assertRejects(
        () => producer.enqueue("sleep", { ms: 1 }, { priority: 32 }),
        ConfigError,
        "the queue's highest priority is 31",
      );
      // Busy until every task is queued, however long the confirms take: then cancelled.
      const busy = await producer.enqueue("sleep", { ms: 60_000 });
      await until(() => started.includes(busy.id), "the worker to be busy");
      // Enqueued out of order while the worker is busy; a task without a priority counts as 4.
      const priorities = [3, 31, 0, undefined, 20, 9, 1, 5];
      const ids = new Map<string, number | undefined>();
      for (const priority of priorities) {
        const receipt = await producer.enqueue(
          "sleep",
          { ms: 1 },
          priority === undefined ? {} : { priority },
        );
        ids.set(receipt.id, priority);
      }
      await producer.cancel(busy.id);
      await until(() => started.length === 1 + priorities.length, "every task to start");
      assertEquals(started.slice(1).map((id) => ids.get(id)), [31, 20, 9, 5, undefined, 3, 1, 0]);
    } finally {
      await producer.close();
      await worker.close();
    }
  },
});

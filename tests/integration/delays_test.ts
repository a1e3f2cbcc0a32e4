/**
 * Delayed tasks on a real broker: they arrive within the 100 ms precision of the delay levels
 * and never early, on classic and quorum queues; a time in the past runs now; 10,000 tasks
 * with random delays of 0 to 30 s all arrive, none early, none lost, across a restart of their
 * (private) broker node; and tasks left in the queues of the first delay levels still arrive.
 * (tests/faults/delays_restart_test.ts crashes the broker while tasks wait.)
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals, assertGreaterOrEqual, assertLessOrEqual } from "@std/assert";
import { z } from "zod";
import { BrokerConnection } from "../../src/broker/connection.ts";
import { DELAY_LEVELS, DELAY_UNIT_MS, DelayLevels, delayRoute } from "../../src/broker/delays.ts";
import { queueNames, type QueueType } from "../../src/broker/topology.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { Producer } from "../../src/producer/producer.ts";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { defineHandlers } from "../../src/task/handlers.ts";
import { Worker } from "../../src/worker/worker.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { queueDepth, until } from "../_helpers/probe.ts";
import { rabbitmqInstalled, startRabbitNode } from "../_helpers/rabbit_node.ts";

const catalog = defineCatalog(defineTask({ name: "mark", schema: z.object({}) }));

/** A worker that records when each task id first started (epoch ms). */
async function recordingWorker(url: string, queue: string, queueType: QueueType) {
  const started = new Map<string, number>();
  let runs = 0;
  const handlers = defineHandlers(catalog, {
    mark: (_payload, { id }) => {
      runs++;
      if (!started.has(id)) started.set(id, Date.now());
      return null;
    },
  });
  const worker = await Worker.start(handlers, { url, queue, queueType, prefetch: 100 });
  return { worker, started, runs: () => runs };
}

/** The p-th quantile of `values`. */
function quantile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/**
 * How late tasks delayed 1 s, 5 s, 65 s and 0, and one at a time in the past, start on a work
 * queue of type `queueType` (negative: early), in ms.
 */
async function lateness(queueType: "classic" | "quorum"): Promise<number[]> {
  const queue = uniqueQueue(`warren_delay_${queueType}`);
  await using client = await rawClient();
  client.track(queue);
  const { worker, started } = await recordingWorker(TEST_URL, queue, queueType);
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue, queueType });
  try {
    // The first delayed task of a queue creates the levels it goes through, and waits until
    // they are safe (2 s: NEW_QUORUM_QUEUE_HOLD_MS): that once, it is up to 2 s late. A task
    // of its own creates them here (it runs too, and is not measured).
    await producer.enqueue("mark", {}, { delay: 65_000 });
    const due = new Map<string, number>();
    for (const delay of [1_000, 5_000, 65_000, 0]) {
      const before = Date.now();
      const { id } = await producer.enqueue("mark", {}, { delay });
      due.set(id, before + delay);
    }
    // A time in the past runs now.
    const before = Date.now();
    const past = await producer.enqueue("mark", {}, { at: new Date(before - 60_000) });
    due.set(past.id, before);
    await until(
      () => [...due.keys()].every((id) => started.has(id)),
      `every delayed task to start (${queueType})`,
      90_000,
    );
    return [...due].map(([id, at]) => started.get(id)! - at);
  } finally {
    await producer.close();
    await worker.close();
  }
}

// Both queue types side by side: each waits about 65 s for its longest delay.
Deno.test("delays of 1 s, 5 s and 65 s arrive in time and never early (classic and quorum)", async () => {
  const types = ["classic", "quorum"] as const;
  const measured = await Promise.all(types.map(lateness));
  for (const [i, queueType] of types.entries()) {
    // deno-lint-ignore no-console
    console.log(
      `  ${queueType}: lateness of 1 s, 5 s, 65 s, 0, past: ${measured[i]!.join(", ")} ms`,
    );
    for (const late of measured[i]!) {
      assertGreaterOrEqual(late, 0, `never early (${queueType})`);
      assertLessOrEqual(late, 1_000, `within the precision (${queueType})`);
    }
  }
});

const installed = await rabbitmqInstalled();
if (!installed) {
  // deno-lint-ignore no-console
  console.warn("delays_test: rabbitmq-server is not installed; skipping the restart test");
}

// On a quorum work queue (the levels are quorum queues on both types). The node reads compose's
// advanced.config: on default settings a booting RabbitMQ 3.x/4.0 may hold tasks due at its boot
// for 3 minutes (see the README's "Delays and broker restarts").
Deno.test({
  name: "10,000 tasks with random delays of 0 to 30 s all arrive, none early, across a restart",
  ignore: !installed,
  fn: async () => {
    const advancedConfig = await Deno.readTextFile(
      new URL("../../compose/advanced.config", import.meta.url),
    );
    await using node = await startRabbitNode({ prefix: "warren-delays", advancedConfig });
    const queue = uniqueQueue("warren_delay_restart");
    const { worker, started, runs } = await recordingWorker(node.url, queue, "quorum");
    const due = new Map<string, number>();
    const producer = await Producer.connect(catalog, { url: node.url, queue, queueType: "quorum" });
    try {
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < 10_000; i++) {
        const delay = Math.floor(Math.random() * 30_000);
        const at = Date.now() + delay;
        pending.push(producer.enqueue("mark", {}, { delay }).then(({ id }) => due.set(id, at)));
      }
      await Promise.all(pending);
    } finally {
      await producer.close();
    }
    const beforeRestart = started.size;
    await node.stop();
    await node.start();
    try {
      await until(() => started.size === due.size, "all 10,000 tasks to start", 120_000, 100);
    } catch (err) {
      // Where are the others? The queues' depths say.
      const depths: string[] = [];
      for (
        const name of [
          queue,
          `${queue}.dead`,
          ...Array.from({ length: 16 }, (_, k) => `${queue}.wait.${k}`),
        ]
      ) {
        depths.push(
          `${name}: ${await node.ctl("list_queues", "name", "messages", "--quiet").then((out) =>
            out.split("\n").find((l) => l.startsWith(name + "\t")) ?? "-"
          )}`,
        );
      }
      throw new Error(
        `${(err as Error).message}; ${started.size} of ${due.size} started; ${depths.join("; ")}`,
      );
    }
    const lateness = [...due].map(([id, at]) => started.get(id)! - at);
    const early = lateness.filter((late) => late < 0).length;
    // deno-lint-ignore no-console
    console.log(
      `  10,000 delayed tasks: ${beforeRestart} started before the restart; lateness p50 ${
        quantile(lateness, 0.5)
      } ms, p99 ${quantile(lateness, 0.99)} ms, max ${
        Math.max(...lateness)
      } ms (the restart's downtime included); early ${early}; runs ${runs()} (duplicates ${
        runs() - due.size
      })`,
    );
    assertEquals(early, 0, "never early");
    assertEquals([...due.keys()].filter((id) => !started.has(id)), [], "none lost");
    assert(beforeRestart < due.size, "some were still waiting when the node restarted");
    await worker.close();
  },
});

Deno.test("delayed publishes made while the levels are being declared share one declaration", async () => {
  const queue = uniqueQueue("warren_delay_levels");
  await using client = await rawClient();
  client.track(queue);
  await client.channel.assertQueue(queue, { durable: true });
  const connection = await BrokerConnection.open(
    { urls: [TEST_URL], name: "delay levels test", logger: silentLogger },
    async () => {},
  );
  try {
    const link = connection.link!;
    let channels = 0;
    const open = link.channel.bind(link);
    link.channel = (options) => {
      channels++;
      return open(options);
    };
    const names = queueNames(queue);
    // The levels up to 15 (1 h and more) created; then what one declaration of them opens.
    await new DelayLevels(names, "classic", silentLogger).ensure(link, 15);
    channels = 0;
    await new DelayLevels(names, "classic", silentLogger).ensure(link, 15);
    const once = channels;
    // A producer's window of publishes delayed by an hour or so, all at once.
    channels = 0;
    const levels = new DelayLevels(names, "classic", silentLogger);
    await Promise.all(Array.from({ length: 300 }, () => levels.ensure(link, 15)));
    assertEquals(levels.declaredOn(link), 15);
    assertEquals(channels, once, "one declaration for all, not one per call");
    const waiting = await client.channel.checkQueue(queueNames(queue).wait(15));
    assertEquals(waiting.messageCount, 0);
  } finally {
    await connection.close();
  }
});

/** A binding pattern of the levels: word `k` fixed to `bit`, every other one `*`. */
function levelPattern(k: number, bit: "0" | "1"): string {
  return Array.from({ length: DELAY_LEVELS }, (_, i) => DELAY_LEVELS - 1 - i === k ? bit : "*")
    .join(".");
}

Deno.test("tasks waiting in the first delay levels' classic queues still arrive, never early, once the quorum levels replace them", async () => {
  const queue = uniqueQueue("warren_delay_migrate");
  const names = queueNames(queue);
  await using client = await rawClient();
  client.track(queue);
  const ch = client.channel;
  // The first delay levels, 0 to 6, as they were declared: classic queues named Q.delay.<k>.
  await ch.assertQueue(queue, { durable: true });
  for (let k = 0; k <= 6; k++) {
    await ch.assertExchange(names.delay(k), "topic", { durable: true });
    await ch.assertQueue(names.delay(k), {
      durable: true,
      arguments: {
        "x-message-ttl": 2 ** k * DELAY_UNIT_MS,
        ...(k === 0
          ? { "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue }
          : { "x-dead-letter-exchange": names.delay(k - 1) }),
      },
    });
    await ch.bindQueue(names.delay(k), names.delay(k), levelPattern(k, "1"));
    if (k === 0) await ch.bindQueue(queue, names.delay(0), levelPattern(0, "0"));
    else await ch.bindExchange(names.delay(k - 1), names.delay(k), levelPattern(k, "0"));
  }
  // Tasks published into them (as an older producer did): 10 s, through levels 6, 5 and 2.
  const old = delayRoute(names, 10_000);
  const due = new Map<string, number>();
  const publishOld = (id: string) => {
    due.set(id, Date.now() + 10_000);
    ch.publish(old.exchange, old.routingKey, Buffer.from(`{"task":"mark"}`), {
      persistent: true,
      messageId: id,
    });
  };
  for (let i = 0; i < 3; i++) publishOld(`old-${i}`);
  await until(async () => await queueDepth(client, names.delay(6)) === 3, "3 in the old level 6");
  const { worker, started } = await recordingWorker(TEST_URL, queue, "classic");
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue });
  try {
    const before = Date.now();
    const { id } = await producer.enqueue("mark", {}, { delay: 10_000 });
    due.set(id, before + 10_000);
    // The new levels are quorum queues Q.wait.<k>; the old ones are unbound: a task an older
    // producer publishes now waits in the new level.
    assertEquals(await queueDepth(client, names.wait(6)), 1);
    publishOld("old-late");
    await until(
      async () => await queueDepth(client, names.wait(6)) === 2,
      "the old route to reach the new level",
    );
    assertEquals(await queueDepth(client, names.delay(6)), 3, "the old level gets nothing new");
    await until(() => started.size === due.size, "the old and new delayed tasks to start", 30_000);
    for (const [task, at] of due) {
      const late = started.get(task)! - at;
      // An older producer's task carries no not-before (x-warren-not-before): the worker cannot
      // check it, and it is as punctual as the broker's clock, which may run up to about 1%
      // fast while it catches up with a stepped OS clock. The new producer's task is checked.
      const allowed = task.startsWith("old-") ? 10_000 * 0.02 : 0;
      assertGreaterOrEqual(late, -allowed, `${task} is never early: it started ${-late} ms early`);
    }
    assertEquals(await queueDepth(client, names.delay(6)), 0, "the old level emptied itself");
  } finally {
    await producer.close();
    await worker.close();
  }
});

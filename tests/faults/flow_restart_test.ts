/**
 * Flow control across a restart of a private RabbitMQ node: keyed tasks keep one at a time and
 * their order and none is lost, and the rate limit's refiller comes back (its baton is a
 * persistent message), so limited tasks run on. (A crash, SIGKILL, is not tested here yet: see
 * the README's "Flow control".)
 */
import { assertEquals } from "@std/assert";
import { z } from "zod";
import { Producer } from "../../src/producer/producer.ts";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { defineHandlers } from "../../src/task/handlers.ts";
import { prepareTask } from "../../src/task/prepare.ts";
import { silentLogger } from "../../src/util/logger.ts";
import type { TaskEvent } from "../../src/worker/events.ts";
import { Worker } from "../../src/worker/worker.ts";
import { delay } from "../../tasks/handlers/sleep.ts";
import { uniqueQueue } from "../_helpers/broker.ts";
import { type KeyedRun, keyViolations } from "../_helpers/flow.ts";
import { until } from "../_helpers/probe.ts";
import { rabbitmqInstalled, startRabbitNode } from "../_helpers/rabbit_node.ts";

const op = defineTask({
  name: "op",
  schema: z.object({ k: z.string(), seq: z.int(), ms: z.int() }),
  key: "k",
});
const tick = defineTask({
  name: "tick",
  schema: z.object({ n: z.int() }),
  rateLimit: { perSecond: 50, burst: 10 },
});
const catalog = defineCatalog(op, tick);
const runs: { key: string; seq: number; start: number; end?: number }[] = [];
const handlers = defineHandlers(catalog, {
  op: async ({ k, seq, ms }, { signal }) => {
    const run: { key: string; seq: number; start: number; end?: number } = {
      key: k,
      seq,
      start: Date.now(),
    };
    runs.push(run);
    try {
      await delay(ms, signal);
    } finally {
      run.end = Date.now();
    }
  },
  tick: ({ n }) => n,
});

const installed = await rabbitmqInstalled();
if (!installed) {
  // deno-lint-ignore no-console
  console.warn("flow_restart_test: rabbitmq-server is not installed; skipping the crash test");
}

Deno.test({
  name:
    "a restart of the broker breaks no key's order, loses no keyed task, and the rate limit's refiller comes back",
  ignore: !installed,
  fn: async () => {
    await using node = await startRabbitNode({ prefix: "warren-flow" });
    const queue = uniqueQueue("warren_flow_restart");
    const options = { url: node.url, queue, history: false } as const;
    const events: TaskEvent[] = [];
    const workers = await Promise.all([0, 1].map((i) =>
      Worker.start(handlers, {
        ...options,
        id: `w${i}`,
        cancels: false,
        logger: silentLogger,
        onEvent: (e) => void events.push(e),
      })
    ));
    const producer = await Producer.connect(catalog, { ...options, logger: silentLogger });
    const keys = 8;
    const perKey = 25;
    try {
      const messages = [];
      for (let seq = 0; seq < perKey; seq++) {
        for (let k = 0; k < keys; k++) {
          messages.push(prepareTask(catalog, "op", { k: `k${k}`, seq, ms: 30 }));
        }
      }
      assertEquals((await producer.publishAll(messages)).failed, []);
      const done = (task: string) =>
        events.filter((e) => e.event === "task.done" && e.task === task);
      await until(
        () => done("op").length >= (keys * perKey) / 3,
        "a third of the keyed tasks done",
      );

      await node.stop();
      await node.start();

      await until(
        () => new Set(done("op").map((e) => e.id)).size >= keys * perKey,
        "every keyed task done after the crash",
        90_000,
      );
      const expected = new Map(Array.from({ length: keys }, (_, k) => [`k${k}`, perKey]));
      assertEquals(keyViolations(runs as KeyedRun[], expected), []);

      const ticks = Array.from({ length: 30 }, (_, n) => prepareTask(catalog, "tick", { n }));
      assertEquals((await producer.publishAll(ticks)).failed, []);
      await until(
        () => done("tick").length >= 30,
        "the limited tasks done after the crash",
        60_000,
      );
    } finally {
      await producer.close();
      await Promise.all(workers.map((w) => w.close()));
    }
  },
});

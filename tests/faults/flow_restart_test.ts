/**
 * Flow control across a restart of a private RabbitMQ node, graceful (`rabbitmqctl shutdown`)
 * and a crash (`kill -9`): keyed tasks keep one at a time and their order and none is lost, and
 * the rate limit's refiller comes back (its baton is a persistent message, put back by the first
 * worker that finds its queue empty), so limited tasks run on. After a crash a task that ran may
 * run again (its ack was lost with the node): that is a run again of the same task, at its key's
 * head, not a break of its order.
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
import { keyViolations } from "../_helpers/flow.ts";
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
/** One run of `op`, as its handler saw it. */
type Run = { key: string; seq: number; start: number; end: number | undefined; killed?: boolean };

/** Handlers that note every run of `op` in `runs`. */
function handlersInto(runs: Run[]) {
  return defineHandlers(catalog, {
    op: async ({ k, seq, ms }, { signal }) => {
      const run: Run = { key: k, seq, start: Date.now(), end: undefined };
      runs.push(run);
      try {
        await delay(ms, signal);
      } finally {
        run.end = Date.now();
        // Cut by the lost connection: it runs again, and only that run finishes it.
        run.killed = signal.aborted;
      }
    },
    tick: ({ n }) => n,
  });
}

const installed = await rabbitmqInstalled();
if (!installed) {
  // deno-lint-ignore no-console
  console.warn("flow_restart_test: rabbitmq-server is not installed; skipping the crash test");
}

for (const how of ["stop", "kill"] as const) {
  Deno.test({
    name: `${
      how === "stop" ? "a restart" : "a crash (kill -9)"
    } of the broker breaks no key's order, loses no keyed task, and the rate limit's refiller comes back`,
    ignore: !installed,
    fn: () => restartCase(how),
  });
}

/** Keyed and limited tasks across a restart of the node, stopped as `how` says. */
async function restartCase(how: "stop" | "kill"): Promise<void> {
  await using node = await startRabbitNode({ prefix: "warren-flow" });
  const queue = uniqueQueue("warren_flow_restart");
  const options = { url: node.url, queue, history: false } as const;
  const events: TaskEvent[] = [];
  const runs: Run[] = [];
  const workers = await Promise.all([0, 1].map((i) =>
    Worker.start(handlersInto(runs), {
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
    const done = (task: string) => events.filter((e) => e.event === "task.done" && e.task === task);
    await until(
      () => done("op").length >= (keys * perKey) / 3,
      "a third of the keyed tasks done",
    );

    await (how === "stop" ? node.stop() : node.kill());
    await node.start();

    await until(
      () => new Set(done("op").map((e) => e.id)).size >= keys * perKey,
      `every keyed task done after the ${how}`,
      90_000,
    );
    const expected = new Map(Array.from({ length: keys }, (_, k) => [`k${k}`, perKey]));
    assertEquals(keyViolations(runs, expected), []);

    const ticks = Array.from({ length: 30 }, (_, n) => prepareTask(catalog, "tick", { n }));
    assertEquals((await producer.publishAll(ticks)).failed, []);
    await until(
      () => done("tick").length >= 30,
      `the limited tasks done after the ${how}`,
      60_000,
    );
  } finally {
    await producer.close();
    await Promise.all(workers.map((w) => w.close()));
  }
}

/**
 * Workflow figures on the local RabbitMQ (`deno task bench:workflow`, or `deno run --allow-all
 * bench/workflow.ts [--members 1000] [--chain 50] [--joins 10,1000,10000] [--prefetch 50]`):
 *
 * - **fan-out overhead**: one worker in this process runs `--members` `sum` tasks enqueued alone
 *   (one `publishAll`), then the same tasks as one workflow (`split`, a `sum` per range, `total`):
 *   wall time of each, and the difference per member;
 * - **chain overhead**: `--chain` steps as one workflow (`inc` after `inc`, prefetch 1: one
 *   runs when the one before has ended), against the same number of `inc` tasks enqueued alone
 *   (one `publishAll`, prefetch 1): wall time of each, and the difference per step;
 * - **join latency**: for each of `--joins`, a fan-out of that many members, and the time from
 *   the last member's handler returning to the callback started (`task.started`).
 *
 * Both sides run on the same machine and broker, one after the other in this run: compare them
 * to each other, not to figures taken elsewhere.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { BENCH_URL, BrokerAdmin, uniqueQueue } from "./broker.ts";
import { Producer } from "../src/producer/producer.ts";
import { defineCatalog } from "../src/task/catalog.ts";
import { defineTask } from "../src/task/contract.ts";
import { defineHandlers } from "../src/task/handlers.ts";
import { prepareTask } from "../src/task/prepare.ts";
import { silentLogger } from "../src/util/logger.ts";
import type { TaskEvent } from "../src/worker/events.ts";
import { Worker } from "../src/worker/worker.ts";
import { type AnyWorkflow, defineWorkflow, type Workflow } from "../src/workflow/definition.ts";

/** A task event, and when it was heard (`performance.now()`). */
type Heard = TaskEvent & { readonly time: number };

const range = z.object({ from: z.int(), to: z.int() });
const catalog = defineCatalog(
  defineTask({ name: "split", schema: z.object({ n: z.int() }), result: z.array(range) }),
  defineTask({ name: "sum", schema: range, result: z.int() }),
  defineTask({ name: "total", schema: z.object({ sums: z.array(z.int()) }), result: z.int() }),
  defineTask({ name: "inc", schema: z.object({ x: z.int() }), result: z.object({ x: z.int() }) }),
);
/** When the last `sum` handler returned (`performance.now()`): the workers run in this process. */
let lastSumReturned = 0;
const handlers = defineHandlers(catalog, {
  split: ({ n }) => Array.from({ length: n }, (_, i) => ({ from: i * 10 + 1, to: i * 10 + 10 })),
  sum: ({ from, to }) => {
    lastSumReturned = performance.now();
    return ((from + to) * (to - from + 1)) / 2;
  },
  total: ({ sums }) => sums.reduce((a, b) => a + b, 0),
  inc: ({ x }) => ({ x: x + 1 }),
});
const fanOut = defineWorkflow(catalog, "fan-out").start("split").each("sum")
  .join("total", (sums) => ({ sums }));

function chainOf(steps: number): Workflow<typeof catalog, { x: number }, { x: number }> {
  let flow = defineWorkflow(catalog, "chain").start("inc");
  for (let i = 1; i < steps; i++) flow = flow.then("inc");
  return flow;
}

/** Runs `body` with one worker (given `workflows`) and a producer on a fresh queue. */
async function withQueue<T>(
  prefetch: number,
  workflows: readonly AnyWorkflow[],
  body: (producer: Producer<typeof catalog>, events: Heard[]) => Promise<T>,
): Promise<T> {
  const queue = uniqueQueue("workflow");
  const events: Heard[] = [];
  const worker = await Worker.start(handlers, {
    url: BENCH_URL,
    queue,
    prefetch,
    workflows,
    logger: silentLogger,
    onEvent: (event) => void events.push({ ...event, time: performance.now() }),
  });
  const producer = await Producer.connect(catalog, { url: BENCH_URL, queue, logger: silentLogger });
  try {
    return await body(producer, events);
  } finally {
    await producer.close();
    await worker.close();
    await using admin = await BrokerAdmin.connect();
    await admin.deleteWorkQueue(queue);
  }
}

/** Resolves once `count` events of `event` were heard, polling every 5 ms. */
async function heard(events: Heard[], event: TaskEvent["event"], count: number): Promise<void> {
  const deadline = Date.now() + 600_000;
  while (events.filter((e) => e.event === event).length < count) {
    if (Date.now() > deadline) throw new Error(`no ${count} ${event} within 600 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const { values } = parseArgs({
  options: {
    members: { type: "string", default: "1000" },
    chain: { type: "string", default: "50" },
    joins: { type: "string", default: "10,1000,10000" },
    prefetch: { type: "string", default: "50" },
  },
});
const members = Number(values.members);
const chain = Number(values.chain);
const prefetch = Number(values.prefetch);
const joins = values.joins.split(",").map(Number);
const workflows = [fanOut, chainOf(chain)];

const alone = await withQueue(prefetch, workflows, async (producer, events) => {
  const started = performance.now();
  const messages = Array.from(
    { length: members },
    (_, i) => prepareTask(catalog, "sum", { from: i * 10 + 1, to: i * 10 + 10 }),
  );
  await producer.publishAll(messages);
  await heard(events, "task.done", members);
  return performance.now() - started;
});
const asWorkflow = await withQueue(prefetch, workflows, async (producer) => {
  const started = performance.now();
  const run = await producer.start(fanOut, { n: members });
  const outcome = await producer.result(run, { timeout: 600_000 });
  if (!outcome.ok) throw new Error(`the fan-out failed: ${outcome.error}`);
  return performance.now() - started;
});
const chainAlone = await withQueue(1, workflows, async (producer, events) => {
  const started = performance.now();
  await producer.publishAll(
    Array.from({ length: chain }, (_, x) => prepareTask(catalog, "inc", { x })),
  );
  await heard(events, "task.done", chain);
  return performance.now() - started;
});
const chainFlow = await withQueue(1, workflows, async (producer) => {
  const started = performance.now();
  const run = await producer.start(chainOf(chain), { x: 0 });
  const outcome = await producer.result(run, { timeout: 600_000 });
  if (!(outcome.ok && outcome.result.x === chain)) throw new Error("the chain failed");
  return performance.now() - started;
});
const latencies: Array<[number, number]> = [];
for (const n of joins) {
  const latency = await withQueue(prefetch, workflows, async (producer, events) => {
    const run = await producer.start(fanOut, { n }, { id: `join-${n}` });
    await producer.result(run, { timeout: 600_000 });
    const callback = events.find((e) => e.event === "task.started" && e.id === `join-${n}`);
    if (!callback) throw new Error(`the callback of the join of ${n} never started`);
    return callback.time - lastSumReturned;
  });
  latencies.push([n, latency]);
}

const ms = (x: number) => `${x.toFixed(0)} ms`;
console.log(`RabbitMQ at ${BENCH_URL}; one worker in this process, prefetch ${prefetch}`);
console.log(
  `fan-out of ${members}: alone ${ms(alone)}, as a workflow ${ms(asWorkflow)} (${
    (asWorkflow / alone).toFixed(2)
  }x), ${((asWorkflow - alone) / members).toFixed(3)} ms more per member`,
);
console.log(
  `chain of ${chain} (prefetch 1): the tasks alone ${ms(chainAlone)}, as a workflow ${
    ms(chainFlow)
  } (${(chainFlow / chainAlone).toFixed(2)}x), ${
    ((chainFlow - chainAlone) / chain).toFixed(2)
  } ms per step`,
);
for (const [n, latency] of latencies) {
  console.log(
    `join of ${n}: last member's handler returned to callback started ${latency.toFixed(1)} ms`,
  );
}

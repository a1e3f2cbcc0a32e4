/**
 * Flow control on the shared broker, with workers in this process: a rate limit holds across
 * workers while other tasks flow past, a key's tasks never overlap and keep their order (retries
 * included), and a key with a backlog does not hold back another key.
 */
import { assert, assertEquals, assertLessOrEqual } from "@std/assert";
import { z } from "zod";
import { partitionOf } from "../../src/flow/partitions.ts";
import { Producer } from "../../src/producer/producer.ts";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { defineHandlers } from "../../src/task/handlers.ts";
import { prepareTask } from "../../src/task/prepare.ts";
import { EVENT_TEXT_BYTES, utf8Bytes } from "../../src/util/bounds.ts";
import { silentLogger } from "../../src/util/logger.ts";
import type { TaskEvent } from "../../src/worker/events.ts";
import { Worker } from "../../src/worker/worker.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { deleteFlowQueues, type KeyedRun, keyViolations } from "../_helpers/flow.ts";
import { until } from "../_helpers/probe.ts";

const RATE = 10;
const BURST = 5;

const ping = defineTask({
  name: "ping",
  schema: z.object({ n: z.int() }),
  rateLimit: { perSecond: RATE, burst: BURST },
});
const plain = defineTask({ name: "plain", schema: z.object({ n: z.int() }) });
const op = defineTask({
  name: "op",
  schema: z.object({
    k: z.string(),
    seq: z.int(),
    ms: z.int(),
    fail: z.boolean().default(false),
    huge: z.boolean().default(false),
  }),
  key: "k",
  retries: 2,
  backoff: { base: 50, max: 100 },
});
const catalog = defineCatalog(ping, plain, op);

/** What the handlers saw, in this process. */
const runs: { key: string; seq: number; start: number; end?: number }[] = [];

const handlers = defineHandlers(catalog, {
  ping: ({ n }) => n,
  plain: ({ n }) => n,
  op: async ({ k, seq, ms, fail, huge }, context) => {
    const run: { key: string; seq: number; start: number; end?: number } = {
      key: k,
      seq,
      start: Date.now(),
    };
    runs.push(run);
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
      if (fail && context.attempt === 1) {
        throw new Error(huge ? "x".repeat(1_000_000) : `seq ${seq} fails its first attempt`);
      }
    } finally {
      run.end = Date.now();
    }
  },
});

async function startWorkers(queue: string, count: number, events: (TaskEvent & { at: number })[]) {
  return await Promise.all(
    Array.from({ length: count }, (_, i) =>
      Worker.start(handlers, {
        url: TEST_URL,
        queue,
        id: `flow-${i}`,
        prefetch: 4,
        logger: silentLogger,
        cancels: false,
        history: false,
        onEvent: (event) => events.push({ ...event, at: Date.now() }),
      })),
  );
}

Deno.test("a rate limit holds across two workers, and other tasks flow past the limited backlog", async () => {
  const queue = uniqueQueue("warren_flow_rate");
  await using client = await rawClient();
  client.track(queue);
  const events: (TaskEvent & { at: number })[] = [];
  const workers = await startWorkers(queue, 2, events);
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue, history: false });
  try {
    const limited = 40;
    const summary = await producer.publishAll([
      ...Array.from({ length: limited }, (_, n) => prepareTask(catalog, "ping", { n })),
      ...Array.from({ length: 5 }, (_, n) => prepareTask(catalog, "plain", { n })),
    ]);
    assertEquals(summary.failed, []);
    const done = (task: string) => events.filter((e) => e.event === "task.done" && e.task === task);
    // The worker that refills the limit reads what waits (for its metrics); the other, nothing.
    await until(
      () => workers.some((w) => w.limits.some((l) => l.task === "ping" && l.waiting > 0)),
      "the refilling worker reads the limited backlog",
      10_000,
    );
    assertEquals(workers.filter((w) => w.limits.length > 0).length, 1);
    await until(() => done("ping").length >= limited, `${limited} limited tasks done`, 30_000);
    // The plain tasks did not wait behind the limited backlog.
    const lastPlain = Math.max(...done("plain").map((e) => e.at));
    const lastPing = Math.max(...done("ping").map((e) => e.at));
    assertEquals(done("plain").length, 5);
    assert(lastPlain < lastPing, "the plain tasks finished before the limited backlog");
    // In any window from the first start, at most burst + rate × window + one token per worker.
    const starts = events.filter((e) => e.event === "task.started" && e.task === "ping")
      .map((e) => e.at).sort((a, b) => a - b);
    assertEquals(starts.length, limited);
    const first = starts[0]!;
    for (let i = 0; i < starts.length; i++) {
      const window = (starts[i]! - first) / 1000;
      const allowed = BURST + RATE * window + workers.length + 1;
      assert(i + 1 <= allowed, `${i + 1} started within ${window} s: over ${allowed}`);
    }
  } finally {
    await producer.close();
    await Promise.all(workers.map((w) => w.close()));
    await deleteFlowQueues(client, queue, { limited: ["ping"] });
  }
});

Deno.test("a key's tasks never overlap and start in enqueue order across three workers, retries included", async () => {
  const queue = uniqueQueue("warren_flow_keys");
  await using client = await rawClient();
  client.track(queue);
  runs.length = 0;
  const events: (TaskEvent & { at: number })[] = [];
  const workers = await startWorkers(queue, 3, events);
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue, history: false });
  const keys = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];
  const perKey = 12;
  try {
    const messages = [];
    for (let seq = 0; seq < perKey; seq++) {
      for (const k of keys) {
        messages.push(prepareTask(catalog, "op", { k, seq, ms: 10, fail: seq % 5 === 2 }));
      }
    }
    // One delayed task too: it goes through the work queue and a worker forwards it.
    const summary = await producer.publishAll(messages);
    assertEquals(summary.failed, []);
    await producer.enqueue("op", { k: "late", seq: 0, ms: 1 }, { delay: 300 });
    const total = keys.length * perKey + 1;
    await until(
      () => events.filter((e) => e.event === "task.done").length >= total,
      `${total} keyed tasks done`,
      60_000,
    );
    const expected = new Map([...keys.map((k) => [k, perKey] as const), ["late", 1]]);
    assertEquals(keyViolations(runs as KeyedRun[], expected), []);
    // Each failing seq failed once, then ran again before its key's next task.
    assertEquals(
      events.filter((e) => e.event === "task.failed").length,
      keys.length * [2, 7].length,
    );
  } finally {
    await producer.close();
    await Promise.all(workers.map((w) => w.close()));
    await deleteFlowQueues(client, queue, { limited: ["ping"] });
  }
});

Deno.test("a keyed task retried in place reports a huge error cut to an event's bound", async () => {
  const queue = uniqueQueue("warren_flow_huge");
  await using client = await rawClient();
  client.track(queue);
  runs.length = 0;
  const events: (TaskEvent & { at: number })[] = [];
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue, history: false });
  const workers: Worker<typeof catalog>[] = [];
  try {
    const task = prepareTask(catalog, "op", { k: "loud", seq: 0, ms: 0, fail: true, huge: true });
    assertEquals((await producer.publishAll([task])).failed, []);
    workers.push(...await startWorkers(queue, 1, events));
    await until(
      () => events.some((e) => e.event === "task.done" && e.id === task.id),
      "the keyed task done on its second attempt",
      30_000,
    );
    const failed = events.find((e) => e.event === "task.failed" && e.id === task.id);
    assert(failed?.event === "task.failed", "its first attempt failed");
    assertLessOrEqual(utf8Bytes(failed.error ?? ""), EVENT_TEXT_BYTES);
  } finally {
    await producer.close();
    await Promise.all(workers.map((w) => w.close()));
    await deleteFlowQueues(client, queue, { limited: ["ping"] });
  }
});

/** The backlog of the fairness test (`FLOW_FAIR_BACKLOG=10000` for the measured figure). */
const BACKLOG = Number(Deno.env.get("FLOW_FAIR_BACKLOG") ?? 1_000);
if (!Number.isInteger(BACKLOG) || BACKLOG < 1) {
  throw new Error(`FLOW_FAIR_BACKLOG must be a positive integer, not ${BACKLOG}`);
}

Deno.test(`a key with a backlog of ${BACKLOG} does not hold back another key's 10 tasks`, async () => {
  const queue = uniqueQueue("warren_flow_fair");
  await using client = await rawClient();
  client.track(queue);
  runs.length = 0;
  const events: (TaskEvent & { at: number })[] = [];
  // Two tenants that land in different partitions (with 16, any two keys do with p = 15/16).
  const a = "tenant-a";
  let b = "tenant-b";
  for (let i = 0; partitionOf(b, 16) === partitionOf(a, 16); i++) b = `tenant-b${i}`;
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue, history: false });
  const workers: Worker<typeof catalog>[] = [];
  try {
    const backlog = Array.from(
      { length: BACKLOG },
      (_, seq) => prepareTask(catalog, "op", { k: a, seq, ms: 0 }),
    );
    assertEquals((await producer.publishAll(backlog)).failed, []);
    assertEquals(
      (await producer.publishAll(
        Array.from({ length: 10 }, (_, seq) => prepareTask(catalog, "op", { k: b, seq, ms: 0 })),
      )).failed,
      [],
    );
    workers.push(...await startWorkers(queue, 1, events));
    await until(
      () => runs.filter((r) => r.key === b && r.end !== undefined).length >= 10,
      "the second tenant's 10 tasks done",
      30_000,
    );
    const order = runs.map((r) => r.key);
    const lastB = order.lastIndexOf(b);
    const aBefore = order.slice(0, lastB).filter((k) => k === a).length;
    console.log(
      `fairness: ${aBefore} of tenant A's ${BACKLOG} tasks started before tenant B's 10th`,
    );
    assert(aBefore <= 40, `${aBefore} of A's tasks ran before B's last: B waited behind A`);
  } finally {
    await producer.close();
    await Promise.all(workers.map((w) => w.close()));
    await deleteFlowQueues(client, queue, { limited: ["ping"] });
  }
});

/**
 * Retries through Warren's delay levels against RabbitMQ 4.3's delayed retry of quorum queues
 * (`x-delayed-retry-type`), on the same broker, one after the other:
 *
 * - _levels_: Warren's worker on a quorum queue; each of `--n` tasks fails its first attempt and
 *   is retried after about a second (a confirmed copy through the delay levels, then the ack);
 * - _broker_: a plain amqplib consumer on a quorum queue declared with `x-delayed-retry-type:
 *   failed` and a delay of exactly a second; it rejects (requeue) each message's first delivery,
 *   and the queue holds it back for the delay.
 *
 * The tasks are enqueued at `--rate` per second (200 by default), below what the workers
 * can do, so that no backlog in the work queue hides the retry's own delay. For each: the wall
 * time from the first publish to the last second run, how late the second runs came (after the
 * delay they were given: p50, p99, max), the client's CPU time, and the broker's when
 * `--broker-pid PID` names its Erlang VM (comma separated for several).
 *
 *     deno run -A bench/delayed_retry.ts --n 2000 [--rate 200] [--broker-pid PID]
 *
 * @module
 */
import { Buffer } from "node:buffer";
import process from "node:process";
import amqp from "amqplib";
import { z } from "zod";
import { parseArgs } from "@std/cli/parse-args";
import { brokerFeatures } from "../src/broker/features.ts";
import { Producer } from "../src/producer/producer.ts";
import { defineCatalog } from "../src/task/catalog.ts";
import { defineTask } from "../src/task/contract.ts";
import { defineHandlers } from "../src/task/handlers.ts";
import { Worker } from "../src/worker/worker.ts";
import { DELAY_LEVELS } from "../src/wire/delays.ts";
import { quantile } from "./stats.ts";

const URL = Deno.env.get("AMQP_URL") ?? "amqp://localhost:5672";
/** The retry delay both ways, in milliseconds. */
const DELAY_MS = 1_000;
const PREFETCH = 100;
/** The pace of the enqueues: a batch every this many milliseconds. */
const TICK_MS = 50;

/** Calls `send(i)` for i from 0 to n - 1, `rate` per second; resolves with their results. */
async function paced<T>(n: number, rate: number, send: (i: number) => T): Promise<T[]> {
  const results: T[] = [];
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const start = performance.now();
  for (let tick = 0; results.length < n; tick++) {
    const wait = start + tick * TICK_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    for (let k = 0; k < perTick && results.length < n; k++) results.push(send(results.length));
  }
  return results;
}

/** What one variant measured. */
interface RetryRun {
  readonly variant: string;
  readonly seconds: number;
  readonly late: readonly number[];
  readonly clientCpuMs: number;
  readonly brokerCpuMs: number | undefined;
}

/** CPU time (user + system) of the processes `pids`, in milliseconds, from /proc. */
function brokerCpuMs(pids: readonly number[]): number | undefined {
  if (pids.length === 0) return undefined;
  const ticks = pids.reduce((sum, pid) => {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return sum + Number(fields[11]) + Number(fields[12]); // utime, stime
  }, 0);
  return ticks * 10; // USER_HZ is 100 on Linux
}

const clientCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function measure(
  variant: string,
  pids: readonly number[],
  run: () => Promise<readonly number[]>,
): Promise<RetryRun> {
  const cpu0 = clientCpuMs();
  const broker0 = brokerCpuMs(pids);
  const start = performance.now();
  const late = await run();
  const seconds = (performance.now() - start) / 1000;
  const broker1 = brokerCpuMs(pids);
  return {
    variant,
    seconds,
    late,
    clientCpuMs: clientCpuMs() - cpu0,
    brokerCpuMs: broker0 === undefined || broker1 === undefined ? undefined : broker1 - broker0,
  };
}

async function deleteAll(queue: string): Promise<void> {
  const connection = await amqp.connect(URL);
  const channel = await connection.createChannel();
  for (const name of [queue, `${queue}.dead`]) await channel.deleteQueue(name);
  for (let k = 0; k < DELAY_LEVELS; k++) {
    await channel.deleteQueue(`${queue}.delay.${k}`);
    await channel.deleteQueue(`${queue}.wait.${k}`);
    await channel.deleteExchange(`${queue}.delay.${k}`);
  }
  await connection.close();
}

/** Warren's way: a failed attempt is published again through the delay levels. */
async function levels(n: number, rate: number): Promise<readonly number[]> {
  const flaky = defineTask({
    name: "flaky",
    schema: z.object({ i: z.int() }),
    retries: 1,
    backoff: { base: 2 * DELAY_MS, max: 2 * DELAY_MS }, // "equal jitter": 1 to 2 s
  });
  const catalog = defineCatalog(flaky);
  const handlers = defineHandlers(catalog, {
    flaky: (_payload, { attempt }) => {
      if (attempt === 1) throw new Error("first attempt fails");
    },
  });
  const queue = `warren_bench_levels_${crypto.randomUUID().slice(0, 8)}`;
  const due = new Map<string, number>();
  const late: number[] = [];
  const done = Promise.withResolvers<void>();
  const options = { url: URL, queue, queueType: "quorum" as const };
  const worker = await Worker.start(handlers, {
    ...options,
    prefetch: PREFETCH,
    onEvent: (event) => {
      if (event.event === "task.failed") due.set(event.id, performance.now() + event.retryIn);
      if (event.event === "task.started" && event.attempt === 2) {
        late.push(performance.now() - due.get(event.id)!);
      }
      if (event.event === "task.done" && late.length === n) done.resolve();
    },
  });
  const producer = await Producer.connect(catalog, options);
  try {
    await Promise.all(await paced(n, rate, (i) => producer.enqueue("flaky", { i })));
    await done.promise;
  } finally {
    await producer.close();
    await worker.close();
    await deleteAll(queue);
  }
  return late;
}

/** RabbitMQ 4.3's way: a rejected delivery is held back by the quorum queue itself. */
async function brokerRetry(n: number, rate: number): Promise<readonly number[]> {
  const queue = `warren_bench_retry_${crypto.randomUUID().slice(0, 8)}`;
  const connection = await amqp.connect(URL);
  const late: number[] = [];
  try {
    const publisher = await connection.createConfirmChannel();
    await publisher.assertQueue(queue, {
      durable: true,
      arguments: {
        "x-queue-type": "quorum",
        "x-delayed-retry-type": "failed",
        "x-delayed-retry-min": DELAY_MS,
        "x-delayed-retry-max": DELAY_MS,
      },
    });
    const consumer = await connection.createChannel();
    await consumer.prefetch(PREFETCH);
    const failedAt = new Map<string, number>();
    const done = Promise.withResolvers<void>();
    await consumer.consume(queue, (message) => {
      if (message === null) return;
      const id = String(message.properties.messageId);
      const first = failedAt.get(id);
      JSON.parse(message.content.toString());
      if (first === undefined) {
        failedAt.set(id, performance.now());
        consumer.reject(message, true);
        return;
      }
      late.push(performance.now() - first - DELAY_MS);
      consumer.ack(message);
      if (late.length === n) done.resolve();
    });
    await paced(n, rate, (i) => {
      const body = Buffer.from(JSON.stringify({ task: "flaky", i }));
      publisher.sendToQueue(queue, body, { persistent: true, messageId: `m${i}` });
    });
    await publisher.waitForConfirms();
    await done.promise;
    await publisher.deleteQueue(queue);
  } finally {
    await connection.close();
  }
  return late;
}

function row(run: RetryRun, n: number): string {
  const ms = (v: number) => `${Math.round(v)} ms`;
  const sorted = [...run.late].sort((a, b) => a - b);
  return [
    run.variant.padEnd(7),
    `${run.seconds.toFixed(1)} s`.padStart(8),
    `late p50 ${ms(quantile(sorted, 0.5))}, p99 ${ms(quantile(sorted, 0.99))}, max ${
      ms(sorted.at(-1) ?? 0)
    }`.padEnd(40),
    `client CPU ${(run.clientCpuMs * 1000 / n).toFixed(0)} µs/task`.padEnd(26),
    run.brokerCpuMs === undefined
      ? ""
      : `broker CPU ${(run.brokerCpuMs * 1000 / n).toFixed(0)} µs/task`,
  ].join("  ");
}

if (import.meta.main) {
  const args = parseArgs(Deno.args, { string: ["n", "rate", "broker-pid"] });
  const n = Number(args.n ?? 2000);
  const rate = Number(args.rate ?? 200);
  const pids = String(args["broker-pid"] ?? "").split(",").filter((p) => p !== "").map(Number);
  const probe = await amqp.connect(URL);
  const version = String(probe.connection.serverProperties.version);
  await probe.close();
  console.log(
    `RabbitMQ ${version}, ${n} tasks enqueued at ${rate}/s, each retried once after ${DELAY_MS} ms`,
  );
  const runs = [await measure("levels", pids, () => levels(n, rate))];
  const { major, minor } = brokerFeatures(version);
  if (major > 4 || (major === 4 && minor >= 3)) {
    runs.push(await measure("broker", pids, () => brokerRetry(n, rate)));
  } else {
    console.log("(no delayed retry of quorum queues before RabbitMQ 4.3: levels only)");
  }
  for (const run of runs) console.log(row(run, n));
}

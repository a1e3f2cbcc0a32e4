/**
 * Flow-control figures on the local RabbitMQ (`deno run --allow-all bench/flow.ts rate|keys`):
 *
 * - `rate [--workers 1,2,4,8] [--seconds 60]`: for each count, that many worker processes of
 *   `examples/limits` run a backlog of `call` tasks (20 a second, burst 20); prints the tasks
 *   done in the first `seconds` after the first one, and the rate over the steady part (from
 *   the 5th second), against the limit.
 * - `keys [--tasks 5000]`: one worker in this process runs the same no-op task unkeyed (prefetch
 *   1, then 16) and keyed over 100 keys (16 partitions); prints tasks per second of each.
 *
 * CPU is shared with whatever else runs: the figures say what this machine did then.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { queueNames } from "../src/broker/topology.ts";
import { flowNames } from "../src/flow/names.ts";
import { DEFAULT_PARTITIONS } from "../src/flow/partitions.ts";
import { BENCH_URL, BrokerAdmin, uniqueQueue } from "./broker.ts";
import { Producer } from "../src/producer/producer.ts";
import { defineCatalog } from "../src/task/catalog.ts";
import { defineTask } from "../src/task/contract.ts";
import { defineHandlers } from "../src/task/handlers.ts";
import { prepareTask } from "../src/task/prepare.ts";
import { silentLogger } from "../src/util/logger.ts";
import { Worker } from "../src/worker/worker.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const LIMIT = 20;
/** How long a worker may take to start, or to do its first task, before the run fails. */
const WAIT_MS = 60_000;

/** Deletes work queue `queue`, its partitions and the queues of its rate-limited `limited`. */
async function deleteQueues(queue: string, limited: readonly string[]): Promise<void> {
  const flow = flowNames(queueNames(queue));
  await using admin = await BrokerAdmin.connect();
  await admin.deleteWorkQueue(queue, [
    ...Array.from({ length: DEFAULT_PARTITIONS }, (_, i) => flow.partition(i)),
    ...limited.flatMap((task) => [flow.limited(task), flow.tokens(task), flow.refill(task)]),
  ]);
}

/** Waits for `ready()` to be true, checking every 100 ms, for at most `WAIT_MS`. */
async function waitFor(ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`no ${what} after ${WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Done times (epoch ms) of `call` tasks read from a worker's JSON log on stdout. */
function spawnWorker(
  queue: string,
  done: number[],
): { child: Deno.ChildProcess; pump: Promise<void>; started: () => boolean } {
  let started = false;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--config",
      `${ROOT}examples/limits/deno.json`,
      "--allow-net=localhost:5672",
      "--allow-env=AMQP_URL,WARREN_QUEUE",
      `${ROOT}examples/limits/worker.ts`,
      "--queue",
      queue,
      "--log-format",
      "json",
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const pump = (async () => {
    let rest = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      let end: number;
      while ((end = rest.indexOf("\n")) >= 0) {
        const line = rest.slice(0, end);
        rest = rest.slice(end + 1);
        if (line.includes('"worker.started"')) started = true;
        if (line.includes('"task.done"') && line.includes('"call"')) {
          done.push(Date.parse(JSON.parse(line).time));
        }
      }
    }
  })();
  return { child, pump, started: () => started };
}

const call = defineTask({
  name: "call",
  schema: z.object({ n: z.int() }),
  rateLimit: { perSecond: LIMIT, burst: LIMIT },
});
const callCatalog = defineCatalog(call);

async function rate(workers: number, seconds: number): Promise<string> {
  const queue = uniqueQueue("rate");
  const done: number[] = [];
  const procs = Array.from({ length: workers }, () => spawnWorker(queue, done));
  try {
    // Once the workers declared their queues, a backlog that outlasts the window.
    await waitFor(() => procs.every((p) => p.started()), "worker.started from every worker");
    const producer = await Producer.connect(callCatalog, {
      url: BENCH_URL,
      queue,
      history: false,
    });
    const total = LIMIT * (seconds + 10) + LIMIT;
    const summary = await producer.publishAll(
      Array.from({ length: total }, (_, n) => prepareTask(callCatalog, "call", { n })),
    );
    await producer.close();
    if (summary.failed.length) throw new Error(`${summary.failed.length} not published`);
    await waitFor(() => done.length > 0, "call task done");
    const first = Math.min(...done);
    await new Promise((r) => setTimeout(r, seconds * 1000 + 1_000 - (Date.now() - first)));
    const inWindow = done.filter((t) => t - first < seconds * 1000).length;
    const steady = done.filter((t) => t - first >= 5_000 && t - first < seconds * 1000).length /
      (seconds - 5);
    const allowed = LIMIT * seconds + LIMIT;
    return `${workers} worker(s): ${inWindow} done in ${seconds} s (limit ${LIMIT}/s × ${seconds} s + burst ${LIMIT} = ${allowed}: ${
      ((inWindow / allowed - 1) * 100).toFixed(1)
    }%); steady rate ${steady.toFixed(2)}/s (${((steady / LIMIT - 1) * 100).toFixed(1)}%)`;
  } finally {
    for (const p of procs) p.child.kill("SIGTERM");
    for (const p of procs) await p.child.status;
    await deleteQueues(queue, ["call"]);
  }
}

const plain = defineTask({ name: "plain", schema: z.object({ k: z.string() }) });
const keyed = defineTask({ name: "keyed", schema: z.object({ k: z.string() }), key: "k" });
const keysCatalog = defineCatalog(plain, keyed);
const keysHandlers = defineHandlers(keysCatalog, { plain: () => {}, keyed: () => {} });

async function throughput(
  task: "plain" | "keyed",
  tasks: number,
  prefetch: number,
): Promise<number> {
  const queue = uniqueQueue("keys");
  const producer = await Producer.connect(keysCatalog, { url: BENCH_URL, queue, history: false });
  let done = 0;
  let first = 0;
  let last = 0;
  const finished = Promise.withResolvers<void>();
  let worker: Worker<typeof keysCatalog> | undefined;
  try {
    const messages = Array.from(
      { length: tasks },
      (_, i) => prepareTask(keysCatalog, task, { k: `key-${i % 100}` }),
    );
    const { failed } = await producer.publishAll(messages);
    if (failed.length) throw new Error(`${failed.length} not published`);
    worker = await Worker.start(keysHandlers, {
      url: BENCH_URL,
      queue,
      prefetch,
      logger: silentLogger,
      history: false,
      cancels: false,
      onEvent: (event) => {
        if (event.event !== "task.done") return;
        const now = performance.now();
        if (done === 0) first = now;
        last = now;
        if (++done >= tasks) finished.resolve();
      },
    });
    await finished.promise;
    return (tasks - 1) / ((last - first) / 1000);
  } finally {
    await worker?.close();
    await producer.close();
    await deleteQueues(queue, []);
  }
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      workers: { type: "string", default: "1,2,4,8" },
      seconds: { type: "string", default: "60" },
      tasks: { type: "string", default: "5000" },
    },
  });
  const what = positionals[0];
  const integer = (text: string, name: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) {
      console.error(`bench/flow.ts: --${name} must be integers >= ${min}, not '${text}'`);
      Deno.exit(2);
    }
    return n;
  };
  if (what === "rate") {
    const seconds = integer(values.seconds, "seconds", 6); // the steady part starts at 5 s
    for (const n of values.workers.split(",").map((w) => integer(w, "workers", 1))) {
      console.log(await rate(n, seconds));
    }
  } else if (what === "keys") {
    const tasks = integer(values.tasks, "tasks", 2);
    for (const [task, prefetch] of [["plain", 1], ["plain", 16], ["keyed", 1]] as const) {
      const perSecond = await throughput(task, tasks, prefetch);
      console.log(
        `${
          task === "keyed" ? "keyed, 100 keys over 16 partitions" : `unkeyed, prefetch ${prefetch}`
        }: ${perSecond.toFixed(0)} tasks/s (${tasks} no-op tasks, one worker)`,
      );
    }
  } else {
    console.error(
      "usage: bench/flow.ts rate [--workers 1,2,4,8] [--seconds 60] | keys [--tasks 5000]",
    );
    Deno.exit(2);
  }
  Deno.exit(0);
}

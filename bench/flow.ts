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
import amqp from "amqplib";
import { z } from "zod";
import { Producer } from "../src/producer/producer.ts";
import { defineCatalog } from "../src/task/catalog.ts";
import { defineTask } from "../src/task/contract.ts";
import { defineHandlers } from "../src/task/handlers.ts";
import { prepareTask } from "../src/task/prepare.ts";
import { silentLogger } from "../src/util/logger.ts";
import { Worker } from "../src/worker/worker.ts";

const BROKER = Deno.env.get("AMQP_URL") ?? "amqp://localhost:5672";
const ROOT = new URL("../", import.meta.url).pathname;
const LIMIT = 20;

async function deleteQueues(queue: string, limited: string[]): Promise<void> {
  const connection = await amqp.connect(BROKER);
  const channel = await connection.createChannel();
  channel.on("error", () => {});
  const names = [queue, `${queue}.dead`, `${queue}.control`, `${queue}.events`];
  for (let i = 0; i < 16; i++) names.push(`${queue}.part.${i}`);
  for (let k = 0; k < 12; k++) names.push(`${queue}.delay.${k}`);
  for (const t of limited) {
    names.push(`${queue}.limited.${t}`, `${queue}.tokens.${t}`, `${queue}.refill.${t}`);
  }
  for (const name of names) await channel.deleteQueue(name).catch(() => {});
  await connection.close();
}

/** Done times (epoch ms) of `call` tasks read from a worker's JSON log on stdout. */
function spawnWorker(
  queue: string,
  done: number[],
): { child: Deno.ChildProcess; pump: Promise<void> } {
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
    stderr: "null",
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
        if (line.includes('"task.done"') && line.includes('"call"')) {
          done.push(Date.parse(JSON.parse(line).time));
        }
      }
    }
  })();
  return { child, pump };
}

const call = defineTask({
  name: "call",
  schema: z.object({ n: z.int() }),
  rateLimit: { perSecond: LIMIT, burst: LIMIT },
});

async function rate(workers: number, seconds: number): Promise<string> {
  const queue = `warren_bench_rate_${crypto.randomUUID().slice(0, 8)}`;
  const done: number[] = [];
  const procs = Array.from({ length: workers }, () => spawnWorker(queue, done));
  try {
    // Let the workers declare their queues, then a backlog that outlasts the window.
    await new Promise((r) => setTimeout(r, 8_000));
    const producer = await Producer.connect(defineCatalog(call), {
      url: BROKER,
      queue,
      history: false,
    });
    const total = LIMIT * (seconds + 10) + LIMIT;
    const summary = await producer.publishAll(
      Array.from({ length: total }, (_, n) => prepareTask(defineCatalog(call), "call", { n })),
    );
    await producer.close();
    if (summary.failed.length) throw new Error(`${summary.failed.length} not published`);
    while (done.length === 0) await new Promise((r) => setTimeout(r, 100));
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
  const queue = `warren_bench_keys_${crypto.randomUUID().slice(0, 8)}`;
  const producer = await Producer.connect(keysCatalog, { url: BROKER, queue, history: false });
  let done = 0;
  let first = 0;
  let last = 0;
  const finished = Promise.withResolvers<void>();
  try {
    const messages = Array.from(
      { length: tasks },
      (_, i) => prepareTask(keysCatalog, task, { k: `key-${i % 100}` }),
    );
    await producer.publishAll(messages);
    const worker = await Worker.start(keysHandlers, {
      url: BROKER,
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
    await worker.close();
    return (tasks - 1) / ((last - first) / 1000);
  } finally {
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
  if (what === "rate") {
    for (const n of values.workers.split(",").map(Number)) {
      console.log(await rate(n, Number(values.seconds)));
    }
  } else if (what === "keys") {
    const tasks = Number(values.tasks);
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

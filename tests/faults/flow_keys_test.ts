/**
 * Keys under worker kills: workers of `examples/limits` run `account` tasks (one at a time per
 * account, in order) while one of them is SIGKILLed every second or so and replaced. From the
 * workers' JSON logs: no account runs two tasks at once, no account's tasks start out of enqueue
 * order, and every task finishes; nothing is dead-lettered.
 *
 * Short by default (20 accounts × 20 tasks); `FLOW_FAULT_KEYS=100 FLOW_FAULT_PER_KEY=100` is the
 * measured run of 10,000 tasks on 100 keys.
 */
import { assertEquals } from "@std/assert";
import { messageCount, rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { rootPath, WORKER_FLAGS, WorkerProcess } from "../_helpers/cli.ts";
import { deleteFlowQueues, type KeyedRun, keyViolations } from "../_helpers/flow.ts";
import { until } from "../_helpers/probe.ts";

const EXAMPLE = "examples/limits";
const CONFIG = ["--config", `${EXAMPLE}/deno.json`];
const KEYS = Number(Deno.env.get("FLOW_FAULT_KEYS") ?? 20);
const PER_KEY = Number(Deno.env.get("FLOW_FAULT_PER_KEY") ?? 20);
const WORKERS = 3;
const KILLS = Number(Deno.env.get("FLOW_FAULT_KILLS") ?? 3);

/** Enqueues `lines` through the example's producer CLI, reading them from its standard input. */
async function produce(queue: string, lines: string[]): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...CONFIG,
      "--allow-net=localhost:5672",
      "--allow-env=AMQP_URL,WARREN_QUEUE",
      "--allow-read=.",
      `${EXAMPLE}/producer.ts`,
      "--file",
      "-",
      "--quiet",
      "--queue",
      queue,
    ],
    cwd: rootPath(""),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(lines.join("\n") + "\n"));
  await writer.close();
  const { code, stderr } = await child.output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
}

/** The runs of `account` tasks that a worker's log shows; one killed at `killedAt` ends there. */
function runsOf(worker: WorkerProcess, killedAt: number | undefined): KeyedRun[] {
  const open = new Map<string, { key: string; seq: number; start: number }>();
  const runs: KeyedRun[] = [];
  for (const line of worker.lines) {
    if (line.event !== "account.start" && line.event !== "account.end") continue;
    const at = Date.parse(String(line.time));
    const id = String(line.id);
    if (line.event === "account.start") {
      open.set(id, { key: String(line.account), seq: Number(line.seq), start: at });
    } else {
      const run = open.get(id);
      open.delete(id);
      if (run) runs.push({ ...run, end: at });
    }
  }
  for (const run of open.values()) {
    runs.push({ ...run, end: killedAt, killed: killedAt !== undefined });
  }
  return runs;
}

Deno.test("no account runs two tasks at once or out of order while workers are SIGKILLed, and none is lost", async () => {
  const queue = uniqueQueue("warren_flow_kill");
  await using client = await rawClient();
  client.track(queue);
  const spawn = () =>
    new WorkerProcess(["--queue", queue], {
      script: rootPath(`${EXAMPLE}/worker.ts`),
      flags: [...CONFIG, ...WORKER_FLAGS],
    });
  const workers: { process: WorkerProcess; killedAt?: number }[] = [];
  try {
    for (let i = 0; i < WORKERS; i++) workers.push({ process: spawn() });
    await Promise.all(workers.map((w) => w.process.started(60_000)));
    const lines: string[] = [];
    for (let seq = 0; seq < PER_KEY; seq++) {
      for (let k = 0; k < KEYS; k++) {
        lines.push(
          JSON.stringify({ task: "account", account: `acct-${k}`, seq, ms: 20 + (seq % 20) }),
        );
      }
    }
    await produce(queue, lines);
    const finished = () => workers.reduce((n, w) => n + w.process.events("task.done").length, 0);
    const total = KEYS * PER_KEY;
    for (let kill = 0; kill < KILLS; kill++) {
      await until(() => finished() >= (total * (kill + 1)) / (KILLS + 2), "progress", 120_000);
      const live = workers.filter((w) => w.killedAt === undefined);
      const victim = live[kill % live.length]!;
      victim.killedAt = Date.now();
      victim.process.kill("SIGKILL");
      await victim.process.exit();
      const fresh = { process: spawn() };
      workers.push(fresh);
    }
    const runs = () => workers.flatMap((w) => runsOf(w.process, w.killedAt));
    const expected = new Map(Array.from({ length: KEYS }, (_, k) => [`acct-${k}`, PER_KEY]));
    try {
      await until(
        () => {
          const ended = new Set(
            runs().filter((r) => r.end !== undefined && !r.killed).map((r) => `${r.key}/${r.seq}`),
          );
          return ended.size >= total;
        },
        `${total} account tasks finished`,
        Math.max(120_000, total * 40),
        200,
      );
    } catch (err) {
      // Say which ones: the violations list the tasks never finished.
      throw new Error(`${err}: ${keyViolations(runs(), expected).slice(0, 20).join("; ")}`);
    }
    assertEquals(keyViolations(runs(), expected), []);
    assertEquals(await messageCount(client, `${queue}.dead`), 0, "nothing dead-lettered");
    console.log(
      `${total} tasks on ${KEYS} keys, ${KILLS} SIGKILLs, ${workers.length} worker processes: no overlap, no order broken, none lost, none dead`,
    );
  } finally {
    for (const w of workers) w.process.kill("SIGKILL");
    for (const w of workers) await w.process.exit();
    await deleteFlowQueues(client, queue, { limited: ["call"] });
  }
});

/**
 * CPU-bound scaling: `primes` tasks sized to about 50 ms on this machine, run by one worker
 * process and by two (prefetch 1); the speedup is the ratio of the times. With a worker CLI that
 * takes `--threads N`, one worker with `--threads 2` (and its default prefetch, 2) too.
 *
 * @module
 */
import { prepareTask } from "../src/task/prepare.ts";
import { Producer } from "../src/producer/producer.ts";
import { catalog } from "../tasks/mod.ts";
import { countPrimes } from "../tasks/handlers/primes.ts";
import { MAX_PRIME_LIMIT } from "../tasks/contracts/primes.ts";
import { WORKER_FLAGS, WorkerProcess } from "../tests/_helpers/cli.ts";
import type { BrokerAdmin } from "./broker.ts";
import { BENCH_URL, uniqueQueue } from "./broker.ts";
import { denoRunArgs, repoPath } from "./processes.ts";
import { waitForQuiet } from "./proc.ts";
import { median } from "./stats.ts";

/** How long each task should take, in milliseconds. */
export const TASK_MS = 50;

/** Tasks per measurement. */
export const CPU_TASKS = 40;

/** The speedup two processes should reach on two cores. */
export const SPEEDUP_TARGET = 1.8;

/** One timed run of {@linkcode CPU_TASKS} tasks. */
export interface CpuRun {
  /** From just before the first publish to the last `task.done`, in milliseconds. */
  readonly ms: number;
  /** Tasks done by each worker process. */
  readonly perWorker: readonly number[];
  /** The handlers' run times added up (the `ms` of each `task.done`), in milliseconds. */
  readonly handlerMs: number;
  /** Share of the machine's CPU busy in the second before the run (other programs). */
  readonly busyBefore: number;
}

/** What the CPU measurements found. */
export interface CpuResult {
  /** The `limit` of each `primes` task. */
  readonly limit: number;
  /** How long one task took in this process, in milliseconds (median of several). */
  readonly taskMs: number;
  /** Tasks per measurement. */
  readonly tasks: number;
  /** Runs of one worker process, one per round. */
  readonly oneWorker: readonly CpuRun[];
  /** Runs of two worker processes. */
  readonly twoWorkers: readonly CpuRun[];
  /** Median one-worker time over median two-worker time. */
  readonly speedup: number;
  /** Whether the speedup reaches {@linkcode SPEEDUP_TARGET}. */
  readonly pass: boolean;
  /**
   * The ceiling without a broker: the same tasks counted by one process, and split between two
   * processes running at once (times in milliseconds, one per round), and the speedup.
   */
  readonly ceiling: {
    readonly oneProcessMs: readonly number[];
    readonly twoProcessesMs: readonly number[];
    readonly speedup: number;
  };
  /** One worker with `--threads 2`, when the CLI has the flag. */
  readonly threads:
    | { readonly available: false }
    | { readonly available: true; readonly runs: readonly CpuRun[]; readonly speedup: number };
}

/** One worker process of a CPU measurement: its arguments and permission flags. */
interface WorkerSpec {
  readonly args: readonly string[];
  readonly flags?: readonly string[];
}

/** A worker that takes one task at a time. */
const SINGLE: WorkerSpec = { args: ["--prefetch", "1"] };

/** A worker that runs CPU tasks in two threads (prefetch 2, the default with --threads 2). */
const THREADED: WorkerSpec = {
  args: ["--threads", "2"],
  flags: [...WORKER_FLAGS, `--allow-read=${repoPath("")}`],
};

async function timeCount(limit: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await countPrimes(limit);
    times.push(performance.now() - start);
  }
  return median(times);
}

/** Finds the `limit` whose count takes about {@linkcode TASK_MS} here. */
export async function calibrate(): Promise<{ limit: number; taskMs: number }> {
  let limit = 1_000_000;
  await timeCount(limit); // warm-up
  for (let i = 0; i < 3; i++) {
    const ms = await timeCount(limit);
    limit = Math.min(MAX_PRIME_LIMIT, Math.round(limit * TASK_MS / ms));
  }
  return { limit, taskMs: await timeCount(limit) };
}

/** Counts `tasks` times in `processes` processes at once, with no broker; returns the time. */
async function timeBare(limit: number, tasks: number, processes: number): Promise<number> {
  const share = Math.ceil(tasks / processes);
  const outputs = await Promise.all(
    Array.from({ length: processes }, () =>
      new Deno.Command(Deno.execPath(), {
        args: denoRunArgs({
          script: "bench/primes_runner.ts",
          args: [String(limit), String(share)],
          flags: [],
        }),
        cwd: repoPath(""),
        stdout: "piped",
        stderr: "piped",
      }).output()),
  );
  const spans = outputs.map((output) => {
    if (!output.success) {
      throw new Error(`primes_runner.ts failed: ${new TextDecoder().decode(output.stderr)}`);
    }
    return JSON.parse(new TextDecoder().decode(output.stdout)) as { start: number; end: number };
  });
  // Each process measures its own span; the processes start together, so the longest counts.
  return Math.round(Math.max(...spans.map((span) => span.end - span.start)));
}

/** Whether the worker CLI takes `--threads`. */
async function threadsAvailable(): Promise<boolean> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: denoRunArgs({ script: "worker.ts", args: ["--help"] }),
    cwd: repoPath(""),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).includes("--threads");
}

async function waitForDone(workers: readonly WorkerProcess[], count: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  const done = () => workers.reduce((sum, w) => sum + w.events("task.done").length, 0);
  while (done() < count) {
    if (Date.now() > deadline) throw new Error(`only ${done()} of ${count} tasks done in 120 s`);
    const failed = workers.flatMap((w) => w.events("task.failed").concat(w.events("task.dead")));
    if (failed.length > 0) throw new Error(`a task failed: ${JSON.stringify(failed[0])}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Times `tasks` primes tasks on one worker process per spec. */
async function timeWorkers(
  admin: BrokerAdmin,
  specs: readonly WorkerSpec[],
  limit: number,
  tasks: number,
  quietMs: number,
): Promise<CpuRun> {
  const busyBefore = quietMs > 0 ? await waitForQuiet(0.15, quietMs) : NaN;
  const queue = uniqueQueue("cpu");
  const workers: WorkerProcess[] = [];
  try {
    for (const spec of specs) {
      const options = spec.flags === undefined ? {} : { flags: spec.flags };
      workers.push(new WorkerProcess(["--queue", queue, ...spec.args], options));
    }
    await Promise.all(workers.map((w) => w.started(60_000)));
    await admin.waitForConsumers(queue, workers.length, () => undefined);
    const producer = await Producer.connect(catalog, { url: BENCH_URL, queue });
    const start = Date.now();
    try {
      await producer.publishAll(
        Array.from({ length: tasks }, () => prepareTask(catalog, "primes", { limit })),
      );
    } finally {
      await producer.close();
    }
    await waitForDone(workers, tasks);
    const done = workers.map((w) => w.events("task.done"));
    const ends = done.flat().map((line) => Date.parse(String(line.time)));
    return {
      ms: Math.max(...ends) - start,
      perWorker: done.map((lines) => lines.length),
      handlerMs: Math.round(done.flat().reduce((sum, line) => sum + Number(line.ms), 0)),
      busyBefore,
    };
  } finally {
    for (const worker of workers) worker.kill("SIGTERM");
    for (const worker of workers) await worker.exit();
    await admin.deleteWorkQueue(queue);
  }
}

function describe(label: string, run: CpuRun): string {
  return `${label} ${run.ms} ms (tasks ${
    run.perWorker.join("+")
  }, handlers ${run.handlerMs} ms, busy before ${(100 * run.busyBefore).toFixed(0)}%)`;
}

/** Runs the CPU measurements, `rounds` times each, alternating. */
export async function runCpu(
  admin: BrokerAdmin,
  rounds: number,
  quietMs: number,
  log: (line: string) => void,
): Promise<CpuResult> {
  const { limit, taskMs } = await calibrate();
  log(`cpu: primes limit ${limit} takes ${taskMs.toFixed(1)} ms here`);
  const threads = await threadsAvailable();
  if (!threads) log("threads: not available");
  const one: CpuRun[] = [];
  const two: CpuRun[] = [];
  const threaded: CpuRun[] = [];
  const bareOne: number[] = [];
  const bareTwo: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (quietMs > 0) await waitForQuiet(0.15, quietMs);
    bareOne.push(await timeBare(limit, CPU_TASKS, 1));
    bareTwo.push(await timeBare(limit, CPU_TASKS, 2));
    log(
      `cpu ceiling round ${round + 1}/${rounds}: 1 process ${bareOne.at(-1)} ms, 2 processes ${
        bareTwo.at(-1)
      } ms (no broker)`,
    );
    one.push(await timeWorkers(admin, [SINGLE], limit, CPU_TASKS, quietMs));
    two.push(await timeWorkers(admin, [SINGLE, SINGLE], limit, CPU_TASKS, quietMs));
    if (threads) threaded.push(await timeWorkers(admin, [THREADED], limit, CPU_TASKS, quietMs));
    const parts = [describe("1 worker", one.at(-1)!), describe("2 workers", two.at(-1)!)];
    if (threads) parts.push(describe("1 worker --threads 2", threaded.at(-1)!));
    log(`cpu round ${round + 1}/${rounds}: ${parts.join(", ")}`);
  }
  const oneMs = median(one.map((run) => run.ms));
  const speedup = oneMs / median(two.map((run) => run.ms));
  return {
    limit,
    taskMs,
    tasks: CPU_TASKS,
    oneWorker: one,
    twoWorkers: two,
    speedup,
    pass: speedup >= SPEEDUP_TARGET,
    ceiling: {
      oneProcessMs: bareOne,
      twoProcessesMs: bareTwo,
      speedup: median(bareOne) / median(bareTwo),
    },
    threads: threads
      ? { available: true, runs: threaded, speedup: oneMs / median(threaded.map((run) => run.ms)) }
      : { available: false },
  };
}

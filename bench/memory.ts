/**
 * Memory: the producer's peak RSS while it enqueues a million tasks (from a generator through
 * `Producer.publishAll`, and from a file through the producer CLI), and an idle worker's RSS; the
 * same figures of plain amqplib programs (`plain_producer.ts`, `plain_consumer.ts`) as reference.
 *
 * @module
 */
import { WORKER_FLAGS, WorkerProcess } from "../tests/_helpers/cli.ts";
import type { BrokerAdmin } from "./broker.ts";
import { uniqueQueue } from "./broker.ts";
import { ConsumerProcess, denoRunArgs, NET_FLAGS, repoPath, type ScriptSpec } from "./processes.ts";
import { type MemoryField, tryReadStatus } from "./proc.ts";
import { YOUNG_GENERATION_V8_FLAG } from "../scripts/compile.ts";

/** Tasks enqueued by each producer measurement. */
export const MEMORY_TASKS = 1_000_000;

/** The producer's target: peak RSS below 150 MB. */
export const PRODUCER_TARGET_BYTES = 150e6;

/** The idle worker's target: RSS at most 60 MB. */
export const WORKER_TARGET_BYTES = 60e6;

/** How long an idle process is sampled, in milliseconds. */
const IDLE_MS = 2_000;

/** A target a memory figure must meet. */
export interface MemoryTarget {
  /** The limit, in bytes. */
  readonly bytes: number;
  /** Whether the figure may equal the limit. */
  readonly inclusive: boolean;
  /** Whether the figure meets it. */
  readonly met: boolean;
}

/** One memory figure, and its target if it has one. */
export interface MemoryFigure {
  /** What was measured. */
  readonly what: string;
  /** The figure, in bytes. */
  readonly bytes: number;
  /** The target, if any: the figure must be below it (`<=` for the idle worker). */
  readonly target?: MemoryTarget;
  /** How long it took, in seconds. */
  readonly seconds: number;
  /** More detail, if any. */
  readonly detail?: string;
}

const mb = (bytes: number | undefined) => bytes === undefined ? "?" : (bytes / 1e6).toFixed(1);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function target(bytes: number, limit: number, inclusive: boolean): MemoryTarget {
  return { bytes: limit, inclusive, met: inclusive ? bytes <= limit : bytes < limit };
}

/** Samples `field` of a process every `everyMs` until `until` settles; returns the largest. */
export async function sampleMax(
  pid: number,
  field: MemoryField,
  until: Promise<unknown>,
  everyMs: number,
): Promise<number> {
  let done = false;
  until.finally(() => (done = true)).catch(() => {});
  let max = 0;
  while (!done) {
    max = Math.max(max, tryReadStatus(pid, field) ?? 0);
    await Promise.race([until, pause(everyMs)]).catch(() => {});
  }
  return max;
}

/** What a process's own memory is, beside the shared mapped files. */
export function rssParts(pid: number): string {
  return `RssAnon ${mb(tryReadStatus(pid, "RssAnon"))} MB (its own), RssFile ${
    mb(tryReadStatus(pid, "RssFile"))
  } MB (mapped files, mostly the Deno binary, shared between processes)`;
}

/** Runs `spec` to its end, sampling its peak RSS (`VmHWM`) from outside every 20 ms. */
async function peakOf(spec: ScriptSpec): Promise<{ peak: number; seconds: number }> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: denoRunArgs(spec),
    cwd: repoPath(""),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const peak = await sampleMax(child.pid, "VmHWM", child.status, 20);
  const status = await child.status;
  if (!status.success) throw new Error(`${spec.script} failed: ${await stderr}`);
  return { peak, seconds: (performance.now() - started) / 1000 };
}

/** What `memory_producer.ts` reports. */
export interface GeneratorRun {
  /** Tasks confirmed. */
  readonly confirmed: number;
  /** Seconds from connecting to the last confirm. */
  readonly seconds: number;
  /** Peak RSS (`VmHWM`) at the end, in bytes. */
  readonly peakBytes: number;
}

/** Runs `memory_producer.ts`: `n` tasks on `queue`, each delayed by `delayMs` when given. */
export async function runGeneratorProducer(
  queue: string,
  n: number,
  delayMs = 0,
): Promise<GeneratorRun> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: denoRunArgs({
      script: "bench/memory_producer.ts",
      args: [queue, String(n), String(delayMs)],
      // Deno lets a program read /proc/self/status only with --allow-all.
      flags: ["--allow-all"],
    }),
    cwd: repoPath(""),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`memory_producer.ts failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  const report = JSON.parse(new TextDecoder().decode(output.stdout)) as GeneratorRun;
  if (report.confirmed !== n) throw new Error(`only ${report.confirmed} of ${n} confirmed`);
  return report;
}

async function generatorProducer(queue: string, n: number): Promise<MemoryFigure> {
  const report = await runGeneratorProducer(queue, n);
  return {
    what: `Producer.publishAll, ${n} tasks from a generator: peak RSS (VmHWM)`,
    bytes: report.peakBytes,
    target: target(report.peakBytes, PRODUCER_TARGET_BYTES, false),
    seconds: report.seconds,
  };
}

async function writeTaskFile(n: number): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "warren_bench_big_", suffix: ".jsonl" });
  using file = await Deno.open(path, { write: true, truncate: true });
  const encoder = new TextEncoder();
  const batch = 10_000;
  for (let i = 0; i < n; i += batch) {
    let text = "";
    for (let k = i; k < Math.min(n, i + batch); k++) {
      text += `{"task":"sum","start":1,"end":${k + 1}}\n`;
    }
    const bytes = encoder.encode(text);
    for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
  }
  return path;
}

/**
 * Runs `producer.ts --file` over `n` lines: as `deno task producer`, compose.yaml and the
 * compiled producer run it (with {@linkcode YOUNG_GENERATION_V8_FLAG}), or as a bare `deno run`.
 */
async function fileProducer(queue: string, n: number, asTask: boolean): Promise<MemoryFigure> {
  const path = await writeTaskFile(n);
  try {
    const { peak, seconds } = await peakOf({
      script: "producer.ts",
      args: ["--file", path, "--quiet", "--queue", queue],
      flags: [...(asTask ? [YOUNG_GENERATION_V8_FLAG] : []), ...NET_FLAGS, `--allow-read=${path}`],
    });
    const how = asTask ? "as `deno task producer` runs it" : "bare `deno run`, no V8 flag";
    return {
      what:
        `producer.ts --file (${n} lines) --quiet, ${how}: peak RSS (VmHWM, sampled every 20 ms)`,
      bytes: peak,
      ...(asTask ? { target: target(peak, PRODUCER_TARGET_BYTES, false) } : {}),
      seconds,
    };
  } finally {
    await Deno.remove(path);
  }
}

async function plainProducer(queue: string, n: number): Promise<MemoryFigure> {
  const { peak, seconds } = await peakOf({
    script: "bench/plain_producer.ts",
    args: [queue, "classic", String(n), "1000"],
  });
  return {
    what: `reference: plain amqplib producer, ${n} tasks: peak RSS (VmHWM, sampled every 20 ms)`,
    bytes: peak,
    seconds,
  };
}

/**
 * An idle `worker.ts`: as `deno task worker`, compose.yaml and the compiled worker run it (with
 * {@linkcode YOUNG_GENERATION_V8_FLAG}), or as a bare `deno run`.
 */
async function idleWorker(queue: string, asTask: boolean): Promise<MemoryFigure> {
  const started = performance.now();
  await using worker = new WorkerProcess(["--queue", queue], {
    flags: [...(asTask ? [YOUNG_GENERATION_V8_FLAG] : []), ...WORKER_FLAGS],
  });
  await worker.started(60_000);
  const max = await sampleMax(worker.pid, "VmRSS", pause(IDLE_MS), 20);
  const detail = `at the end: ${rssParts(worker.pid)}`;
  worker.kill("SIGTERM");
  const { code } = await worker.exit();
  if (code !== 0) throw new Error(`the idle worker exited with ${code}`);
  return {
    what: `worker.ts idle (after worker.started), ${
      asTask ? "as `deno task worker` runs it" : "bare `deno run`, no V8 flag"
    }: max RSS (VmRSS) over ${IDLE_MS / 1000} s`,
    bytes: max,
    ...(asTask ? { target: target(max, WORKER_TARGET_BYTES, true) } : {}),
    seconds: (performance.now() - started) / 1000,
    detail,
  };
}

async function plainIdleConsumer(admin: BrokerAdmin, queue: string): Promise<MemoryFigure> {
  const started = performance.now();
  const consumer = new ConsumerProcess({
    script: "bench/plain_consumer.ts",
    args: [queue, "classic", "1"],
  });
  try {
    await admin.waitForConsumers(
      queue,
      1,
      () => consumer.exited ? consumer.diagnostics : undefined,
    );
    const max = await sampleMax(consumer.pid, "VmRSS", pause(IDLE_MS), 20);
    return {
      what: `reference: plain amqplib consumer idle: max RSS (VmRSS) over ${IDLE_MS / 1000} s`,
      bytes: max,
      seconds: (performance.now() - started) / 1000,
      detail: `at the end: ${rssParts(consumer.pid)}`,
    };
  } finally {
    await consumer.stop();
  }
}

/** Runs the memory measurements; deletes their queues. */
export async function runMemory(
  admin: BrokerAdmin,
  log: (line: string) => void,
  n = MEMORY_TASKS,
): Promise<MemoryFigure[]> {
  const figures: MemoryFigure[] = [];
  const steps: Array<[string, (queue: string) => Promise<MemoryFigure>]> = [
    ["mem_gen", (queue) => generatorProducer(queue, n)],
    ["mem_file_task", (queue) => fileProducer(queue, n, true)],
    ["mem_file", (queue) => fileProducer(queue, n, false)],
    ["mem_plain", (queue) => plainProducer(queue, n)],
    ["mem_idle_task", (queue) => idleWorker(queue, true)],
    ["mem_idle", (queue) => idleWorker(queue, false)],
    ["mem_plain_idle", async (queue) => {
      await admin.declare(queue, "classic");
      return await plainIdleConsumer(admin, queue);
    }],
  ];
  for (const [label, step] of steps) {
    const queue = uniqueQueue(label);
    try {
      const result = await step(queue);
      figures.push(result);
      log(`memory: ${result.what}: ${mb(result.bytes)} MB`);
    } finally {
      await admin.deleteWorkQueue(queue);
    }
  }
  return figures;
}

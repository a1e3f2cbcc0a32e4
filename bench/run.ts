/**
 * One benchmark run: a fresh queue, two consumers already consuming, one producer publishing N
 * tasks; the run ends when the consumers' counts add up to N. Then the consumers are stopped,
 * their reports read, and the queues deleted. With `prefill`, the producer fills the queue first
 * and the consumers start once it is done, so each side is measured alone.
 *
 * @module
 */
import type { QueueType } from "../src/broker/topology.ts";
import type { BrokerAdmin } from "./broker.ts";
import { uniqueQueue } from "./broker.ts";
import { ConsumerGroup, runProducer, type ScriptSpec } from "./processes.ts";
import { loadAverage, waitForQuiet } from "./proc.ts";
import { GATED } from "./gate.ts";
import type { FinalLine } from "./protocol.ts";
import { quantile } from "./stats.ts";

/**
 * Who handles the tasks: plain amqplib; plain amqplib publishing the messages Warren publishes
 * (its properties and the `mandatory` flag); Warren with its history off; Warren logging at warn
 * level (history off); or Warren as it comes, with its history on (producer and workers write
 * every task's events to `Q.events`).
 */
export type Variant =
  | "plain"
  | "plain-props"
  | "plain-history"
  | "plain-history-early"
  | "warren"
  | "warren-warn"
  | "warren-history"
  | "baseline"
  | "baseline-history";

/** The variants of the matrix, in the order of the report's columns. */
export const MATRIX_VARIANTS: readonly Variant[] = [
  "plain",
  "plain-props",
  "warren",
  "warren-warn",
];

/**
 * Every variant (`--history` compares `warren-history` with `warren`). `baseline` and
 * `baseline-history` run the Warren scripts of another checkout (`--baseline DIR`, one made
 * since the history is on by default), history off and on, for a before/after in one run.
 */
export const VARIANTS: readonly Variant[] = [
  ...MATRIX_VARIANTS,
  "plain-history",
  "plain-history-early",
  "warren-history",
  "baseline",
  "baseline-history",
];

/** Whether plain amqplib programs (rather than Warren) run `variant`. */
export function isPlain(variant: Variant): boolean {
  return variant.startsWith("plain");
}

/** A row of the matrix: queue type and prefetch. */
export interface Row {
  /** The queue type. */
  readonly type: QueueType;
  /** The consumers' prefetch. */
  readonly prefetch: number;
}

/** What one run is asked to do. */
export interface RunSpec extends Row {
  /** Who handles the tasks. */
  readonly variant: Variant;
  /** Tasks published. */
  readonly n: number;
  /** The producer's window of unconfirmed publishes. */
  readonly window: number;
  /** Consumer processes. */
  readonly consumers: number;
  /** Directory of CPU profiles of the consumers and producers, if any are taken. */
  readonly cpuProfDir?: string;
  /** Fail when no task is handled for this long, in milliseconds. */
  readonly stallMs: number;
  /** How long to wait for a quiet machine before the run, in milliseconds (0: no wait). */
  readonly quietMs: number;
  /** For the plain variant: just these message properties (`--properties`). */
  readonly props?: readonly string[];
  /** The checkout the baseline variants run (`--baseline`). */
  readonly baselineDir?: string;
  /** Fill the queue before the consumers start (`--prefill`). */
  readonly prefill?: boolean;
}

/** The figures of one run. */
export interface RunResult extends Row {
  /** Who handled the tasks. */
  readonly variant: Variant;
  /** Tasks published. */
  readonly n: number;
  /** Tasks per second from the first publish to the last confirm. */
  readonly enqueueRate: number;
  /**
   * Tasks per second from the first publish to the last task handled; with `prefill`, while
   * every consumer was at work (see {@linkcode drainedTogether}).
   */
  readonly drainRate: number;
  /**
   * Median latency from `sentAt` to handler start, in milliseconds (with `prefill`, mostly the
   * time a task waited in the full queue).
   */
  readonly latencyP50: number;
  /** 99th percentile of the same. */
  readonly latencyP99: number;
  /** CPU time of the consumers per task (both processes, from their first task), in µs. */
  readonly consumerCpu: number;
  /** CPU time of the producer per task (first publish to last confirm), in µs. */
  readonly producerCpu: number;
  /** Tasks each consumer handled. */
  readonly perConsumer: readonly number[];
  /** Bytes the Warren consumers logged on stdout (0 for the plain variants). */
  readonly logBytes: number;
  /** The machine's 1-minute load average when the run started and when it ended. */
  readonly load: readonly [start: number, end: number];
  /** Share of the machine's CPU busy in the second before the run (other programs). */
  readonly busyBefore: number;
}

/** Where a Warren variant's script is: this checkout's, or the baseline's. */
function scriptOf(spec: RunSpec, script: string): string {
  if (!spec.variant.startsWith("baseline")) return script;
  if (spec.baselineDir === undefined) {
    throw new Error(`the variant ${spec.variant} needs --baseline DIR`);
  }
  return `${spec.baselineDir.replace(/\/$/, "")}/${script}`;
}

function consumerSpec(spec: RunSpec, queue: string): ScriptSpec {
  const gate = spec.prefill ? [GATED] : [];
  if (isPlain(spec.variant)) {
    return {
      script: "bench/plain_consumer.ts",
      args: [
        ...gate,
        queue,
        spec.type,
        String(spec.prefetch),
        ...(spec.variant === "plain-history" ? ["history"] : []),
        ...(spec.variant === "plain-history-early" ? ["early-ack"] : []),
      ],
      ...profileFlags(spec, "consumer"),
    };
  }
  // The history is on by default, here and in a baseline checkout made since it is: the
  // variants without it turn it off.
  const history = spec.variant === "warren-history" || spec.variant === "baseline-history"
    ? []
    : ["--no-history"];
  return {
    script: scriptOf(spec, "bench/warren_consumer.ts"),
    args: [
      ...gate,
      "--queue",
      queue,
      "--queue-type",
      spec.type,
      "--prefetch",
      String(spec.prefetch),
      ...(spec.variant === "warren-warn" ? ["--log-level", "warn"] : []),
      ...history,
    ],
    ...profileFlags(spec, "consumer"),
  };
}

function producerSpec(spec: RunSpec, queue: string): ScriptSpec {
  const args = [queue, spec.type, String(spec.n), String(spec.window)];
  if (spec.variant === "plain-props") args.push("props");
  else if (spec.variant === "warren-history" || spec.variant === "baseline-history") {
    args.push("history");
  } else if (spec.props !== undefined) args.push(`props=${spec.props.join(",")}`);
  const script = isPlain(spec.variant)
    ? "bench/plain_producer.ts"
    : scriptOf(spec, "bench/warren_producer.ts");
  return { script, args, ...profileFlags(spec, "producer") };
}

function profileFlags(spec: RunSpec, role: string): { denoFlags?: string[] } {
  if (spec.cpuProfDir === undefined) return {};
  const dir = `${spec.cpuProfDir}/${spec.variant}-${spec.type}-p${spec.prefetch}-${role}`;
  return { denoFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`] };
}

function checkReports(spec: RunSpec, finals: readonly FinalLine[], expected: bigint): void {
  const count = finals.reduce((sum, f) => sum + f.count, 0);
  if (count !== spec.n) {
    throw new Error(`${spec.variant}: consumers handled ${count} tasks, not ${spec.n}`);
  }
  const checksum = finals.reduce((sum, f) => sum + BigInt(f.checksum), 0n);
  if (checksum !== expected) {
    throw new Error(`${spec.variant}: results add up to ${checksum}, not ${expected}`);
  }
}

async function fileSize(path: string): Promise<number> {
  return (await Deno.stat(path)).size;
}

/**
 * The drain rate of a run on a full queue: tasks handled per second while every consumer was at
 * work, from the last one's first task to the first one's last (a consumer that starts later
 * would otherwise leave the others' rate alone counted as the group's). Throws when some
 * consumer handled nothing, or none worked at the same time as all the others.
 */
export function drainedTogether(variant: Variant, finals: readonly FinalLine[]): number {
  const idle = finals.findIndex((f) => f.count === 0);
  if (idle >= 0) {
    throw new Error(
      `${variant}: consumer ${
        idle + 1
      } handled no task (the others drained the queue before it started); raise --n`,
    );
  }
  const from = Math.max(...finals.map((f) => f.first));
  const to = Math.min(...finals.map((f) => f.last));
  const handled = finals.reduce(
    (sum, f) => sum + f.handledAt.filter((at) => at >= from && at <= to).length,
    0,
  );
  if (!(to > from) || handled < 2) {
    throw new Error(`${variant}: the consumers never worked at the same time; raise --n`);
  }
  return handled / ((to - from) / 1000);
}

/** Runs `spec` once; `expected` is the sum of all results. Deletes its queues however it ends. */
export async function runOnce(
  admin: BrokerAdmin,
  spec: RunSpec,
  expected: bigint,
): Promise<RunResult> {
  const busyBefore = spec.quietMs > 0 ? await waitForQuiet(0.15, spec.quietMs) : NaN;
  const loadAtStart = loadAverage();
  const queue = uniqueQueue(`${spec.variant.replace("-", "_")}_${spec.type}_p${spec.prefetch}`);
  const logFiles = isPlain(spec.variant) ? [] : await Promise.all(
    Array.from({ length: spec.consumers }, () => Deno.makeTempFile({ prefix: "warren_bench_" })),
  );
  let group: ConsumerGroup | undefined;
  try {
    await admin.declare(queue, spec.type);
    const startConsumers = async (): Promise<ConsumerGroup> => {
      const specs = Array.from({ length: spec.consumers }, () => consumerSpec(spec, queue));
      const running = group = new ConsumerGroup(specs, logFiles);
      // On a full queue, they start together once all have loaded (see gate.ts).
      if (spec.prefill) await running.start();
      await admin.waitForConsumers(queue, spec.consumers, () => running.failure());
      return running;
    };
    // On a full queue the consumers must start together: a worker that creates a quorum queue
    // waits 2 s before it consumes.
    // The plain consumers with history find the stream there too (consumers that create a
    // stream at the same time may fail to: "Stream not found").
    if ((spec.prefill && !isPlain(spec.variant)) || spec.variant.startsWith("plain-history")) {
      await admin.declareWorkerQueues(queue, spec.type);
    }
    // `group` is what the clean-up kills; `consumers`, the group this run measures.
    let consumers = spec.prefill ? undefined : await startConsumers();
    const producer = await runProducer(producerSpec(spec, queue));
    if (producer.confirmed !== spec.n) {
      throw new Error(`${spec.variant}: ${producer.confirmed} of ${spec.n} confirmed`);
    }
    consumers ??= await startConsumers();
    await consumers.waitForTotal(spec.n, spec.stallMs);
    const finals = await consumers.stop();
    group = undefined;
    checkReports(spec, finals, expected);
    const lastHandled = Math.max(...finals.map((f) => f.last));
    const latencies = finals.flatMap((f) => f.latencies);
    const sizes = await Promise.all(logFiles.map(fileSize));
    return {
      variant: spec.variant,
      type: spec.type,
      prefetch: spec.prefetch,
      n: spec.n,
      enqueueRate: spec.n / ((producer.lastConfirm - producer.firstPublish) / 1000),
      drainRate: spec.prefill
        ? drainedTogether(spec.variant, finals)
        : spec.n / ((lastHandled - producer.firstPublish) / 1000),
      latencyP50: quantile(latencies, 0.5),
      latencyP99: quantile(latencies, 0.99),
      consumerCpu: 1000 * finals.reduce((sum, f) => sum + f.cpuMs, 0) / spec.n,
      producerCpu: 1000 * producer.cpuMs / spec.n,
      perConsumer: finals.map((f) => f.count),
      logBytes: sizes.reduce((a, b) => a + b, 0),
      load: [loadAtStart, loadAverage()],
      busyBefore,
    };
  } finally {
    await group?.kill();
    await admin.deleteWorkQueue(queue);
    await Promise.all(logFiles.map((file) => Deno.remove(file).catch(() => {})));
  }
}

/**
 * The benchmark's output: a table on stdout and a JSON document.
 *
 * @module
 */
import type { PropertyCost } from "./property_costs.ts";
import { type CpuResult, type CpuRun, SPEEDUP_TARGET } from "./cpu.ts";
import type { DashboardLoad } from "./dashboard_load.ts";
import type { DelayedResult } from "./delayed.ts";
import { higherIsBetter, type Metric, METRICS, type RowSummary } from "./matrix.ts";
import type { MemoryFigure } from "./memory.ts";
import type { BenchOptions } from "./options.ts";
import type { RunResult, Variant } from "./run.ts";
import type { CancelResult, LookupResult } from "./history.ts";

/** Where the benchmark ran. */
export interface Machine {
  /** Logical CPUs. */
  readonly nproc: number;
  /** CPU model, when readable. */
  readonly cpu: string;
  /** RabbitMQ's version. */
  readonly rabbitmq: string;
  /** Deno's version. */
  readonly deno: string;
  /** V8's version. */
  readonly v8: string;
}

/** Reads what the machine is. */
export function describeMachine(rabbitmq: string): Machine {
  let cpu = "unknown";
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? cpu;
  } catch {
    // not Linux, or not readable
  }
  return {
    nproc: navigator.hardwareConcurrency,
    cpu,
    rabbitmq,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}

/** Each metric's label in the tables. */
export const LABELS: Record<Metric, string> = {
  enqueueRate: "enqueue (tasks/s)",
  drainRate: "drain (tasks/s)",
  latencyP50: "latency p50 (ms)",
  latencyP99: "latency p99 (ms)",
  producerCpu: "producer CPU/task (µs)",
  consumerCpu: "consumers CPU/task (µs)",
};

/**
 * `variant`'s figure over `base`'s: over plain's (the headline ratio), or over plain-props' (the
 * same messages, so Warren's client-side overhead alone). NaN when either did not run.
 */
export function ratio(
  summary: RowSummary,
  metric: Metric,
  variant: Variant,
  base: Variant = "plain",
): number {
  return (summary.medians[metric][variant] ?? NaN) / (summary.medians[metric][base] ?? NaN);
}

/** Whether `variant` is more than 10% worse than plain on `metric` (rates below 0.9x, …). */
export function isBehind(summary: RowSummary, metric: Metric, variant: Variant): boolean {
  const r = ratio(summary, metric, variant);
  return higherIsBetter(metric) ? r < 0.9 : r > 1 / 0.9;
}

/** A metric's value as a table cell. */
export function value(metric: Metric, x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return "-";
  return higherIsBetter(metric) ? x.toFixed(0) : x.toFixed(1);
}

/** A ratio to `base`; only the headline ratio (to plain) carries the "!" mark. */
function ratioCell(
  summary: RowSummary,
  metric: Metric,
  variant: Variant,
  base: Variant = "plain",
): string {
  const r = ratio(summary, metric, variant, base);
  if (Number.isNaN(r)) return "-";
  const mark = base === "plain" && isBehind(summary, metric, variant) ? " !" : "";
  return `${r.toFixed(2)}x${mark}`;
}

/**
 * The matrix as a table: the medians of each variant, and the ratios of Warren to plain ("vs
 * plain", marked "!" when Warren is more than 10% worse) and to plain-props ("vs props").
 */
export function matrixTable(summaries: readonly RowSummary[]): string {
  const header = [
    "row",
    "metric",
    "plain",
    "plain props",
    "warren",
    "vs plain",
    "vs props",
    "warren warn",
    "vs plain",
  ];
  const rows: string[][] = [header];
  for (const summary of summaries) {
    METRICS.forEach((metric, i) => {
      rows.push([
        i === 0 ? `${summary.type}:${summary.prefetch}` : "",
        LABELS[metric],
        value(metric, summary.medians[metric].plain),
        value(metric, summary.medians[metric]["plain-props"]),
        value(metric, summary.medians[metric].warren),
        ratioCell(summary, metric, "warren"),
        ratioCell(summary, metric, "warren", "plain-props"),
        value(metric, summary.medians[metric]["warren-warn"]),
        ratioCell(summary, metric, "warren-warn"),
      ]);
    });
  }
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
    .map((cells) => cells.join("  ").trimEnd())
    .join("\n");
}

/** The memory figures as lines. */
export function memoryTable(figures: readonly MemoryFigure[]): string {
  return figures.map((f) => {
    const goal = f.target === undefined
      ? ""
      : `; target ${f.target.inclusive ? "<=" : "<"} ${(f.target.bytes / 1e6).toFixed(0)} MB: ${
        f.target.met ? "met" : "NOT met"
      }`;
    const detail = f.detail === undefined ? "" : `\n  ${f.detail}`;
    return `${f.what}: ${(f.bytes / 1e6).toFixed(1)} MB (${
      f.seconds.toFixed(1)
    } s${goal})${detail}`;
  }).join("\n");
}

/** The CPU figures as lines. */
export function cpuTable(cpu: CpuResult): string {
  const times = (runs: readonly CpuRun[]) => runs.map((run) => run.ms).join(", ");
  const lines = [
    `primes limit ${cpu.limit} (${
      cpu.taskMs.toFixed(1)
    } ms per task here), ${cpu.tasks} tasks, prefetch 1`,
    `1 worker process:   ${times(cpu.oneWorker)} ms`,
    `2 worker processes: ${times(cpu.twoWorkers)} ms`,
    `speedup ${cpu.speedup.toFixed(2)}x (target >= ${SPEEDUP_TARGET}x: ${
      cpu.pass ? "met" : "NOT met"
    })`,
    `ceiling without a broker: 1 process ${cpu.ceiling.oneProcessMs.join(", ")} ms, 2 processes ${
      cpu.ceiling.twoProcessesMs.join(", ")
    } ms: speedup ${cpu.ceiling.speedup.toFixed(2)}x`,
  ];
  if (cpu.threads.available) {
    lines.push(
      `1 worker --threads 2: ${times(cpu.threads.runs)} ms, speedup ${
        cpu.threads.speedup.toFixed(2)
      }x`,
    );
  } else {
    lines.push("threads: not available");
  }
  return lines.join("\n");
}

/** The JSON document of a benchmark run. */
export interface BenchDocument {
  /** When it ran (ISO 8601). */
  readonly generatedAt: string;
  /** Where. */
  readonly machine: Machine;
  /** With which options. */
  readonly options: Omit<BenchOptions, "help" | "jsonOut">;
  /**
   * The matrix: every run, and per row the medians, the ratios to plain (`ratios`) and the ratios
   * to plain-props (`ratiosToPlainProps`: Warren's client-side overhead on the same messages).
   */
  readonly matrix?: {
    readonly runs: readonly RunResult[];
    readonly summary: readonly (RowSummary & {
      readonly ratios: Record<Metric, WarrenRatios>;
      readonly ratiosToPlainProps: Record<Metric, WarrenRatios>;
    })[];
  };
  /** The memory figures. */
  readonly memory?: readonly MemoryFigure[];
  /** What each message property costs. */
  readonly properties?: readonly PropertyCost[];
  /** The CPU figures. */
  readonly cpu?: CpuResult;
  /** The delayed-task figures. */
  readonly delayed?: DelayedResult;
  /** The dashboard under load. */
  readonly dashboard?: DashboardLoad;
  /** The history: its cost (the matrix, history off and on), a lookup, cancel latency. */
  readonly history?: {
    readonly runs: readonly RunResult[];
    readonly summary: readonly RowSummary[];
    readonly lookup: LookupResult;
    readonly cancel: CancelResult;
  };
}

/**
 * The Warren variants' figures over a base variant's, for one metric (NaN, `null` in the JSON,
 * when either did not run).
 */
export interface WarrenRatios {
  /** Warren's. */
  readonly warren: number;
  /** Warren's at log level warn. */
  readonly "warren-warn": number;
}

function warrenRatios(summary: RowSummary, base: Variant): Record<Metric, WarrenRatios> {
  return Object.fromEntries(METRICS.map((metric) => [metric, {
    warren: ratio(summary, metric, "warren", base),
    "warren-warn": ratio(summary, metric, "warren-warn", base),
  }])) as Record<Metric, WarrenRatios>;
}

/** The matrix part of the document. */
export function matrixDocument(
  runs: readonly RunResult[],
  summaries: readonly RowSummary[],
): NonNullable<BenchDocument["matrix"]> {
  return {
    runs,
    summary: summaries.map((summary) => ({
      ...summary,
      ratios: warrenRatios(summary, "plain"),
      ratiosToPlainProps: warrenRatios(summary, "plain-props"),
    })),
  };
}

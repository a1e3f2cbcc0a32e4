/**
 * The throughput matrix: for each round, each row (queue type × prefetch) and each variant (in
 * an order that rotates from round to round), one run; then the medians per row and variant.
 *
 * @module
 */
import type { BrokerAdmin } from "./broker.ts";
import type { BenchOptions } from "./options.ts";
import { type Row, runOnce, type RunResult, type Variant } from "./run.ts";
import { median } from "./stats.ts";
import { expectedChecksum } from "./workload.ts";

/** The figures compared between variants. */
export const METRICS = [
  "enqueueRate",
  "drainRate",
  "latencyP50",
  "latencyP99",
  "producerCpu",
  "consumerCpu",
] as const;

/** One of {@linkcode METRICS}. */
export type Metric = typeof METRICS[number];

/** Whether a larger value of the metric is better. */
export function higherIsBetter(metric: Metric): boolean {
  return metric === "enqueueRate" || metric === "drainRate";
}

/** Medians of one row: metric → variant → median over the rounds. */
export interface RowSummary extends Row {
  /** The medians. */
  readonly medians: Readonly<Record<Metric, Partial<Record<Variant, number>>>>;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function describe(result: RunResult): string {
  const f = (x: number) => x.toFixed(0);
  return `${result.variant.padEnd(11)} enqueue ${f(result.enqueueRate)}/s, drain ${
    f(result.drainRate)
  }/s, latency p50 ${result.latencyP50.toFixed(1)} ms, p99 ${
    result.latencyP99.toFixed(1)
  } ms, cpu/task producer ${result.producerCpu.toFixed(0)} µs consumers ${
    result.consumerCpu.toFixed(0)
  } µs, per consumer ${result.perConsumer.join("+")}, busy before ${
    (100 * result.busyBefore).toFixed(0)
  }%, load ${result.load.join("→")}`;
}

/** Runs the matrix; `log` hears of each run. */
export async function runMatrix(
  admin: BrokerAdmin,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<RunResult[]> {
  const expected = expectedChecksum(options.n);
  const results: RunResult[] = [];
  for (let round = 0; round < options.rounds; round++) {
    for (const row of options.rows) {
      for (const variant of rotate(options.variants, round)) {
        const result = await runOnce(admin, {
          ...row,
          variant,
          n: options.n,
          window: options.window,
          consumers: options.consumers,
          stallMs: options.stallMs,
          quietMs: options.quietMs,
          ...(options.cpuProfDir === undefined ? {} : { cpuProfDir: options.cpuProfDir }),
          ...(options.baselineDir === undefined ? {} : { baselineDir: options.baselineDir }),
          prefill: options.prefill,
        }, expected);
        results.push(result);
        log(`round ${round + 1}/${options.rounds} ${row.type}:${row.prefetch} ${describe(result)}`);
      }
    }
  }
  return results;
}

/** The medians per row and variant. */
export function summarise(rows: readonly Row[], results: readonly RunResult[]): RowSummary[] {
  return rows.map((row) => {
    const inRow = results.filter((r) => r.type === row.type && r.prefetch === row.prefetch);
    const medians = Object.fromEntries(METRICS.map((metric) => {
      const byVariant: Partial<Record<Variant, number>> = {};
      for (const variant of new Set(inRow.map((r) => r.variant))) {
        byVariant[variant] = median(
          inRow.filter((r) => r.variant === variant).map((r) => r[metric]),
        );
      }
      return [metric, byVariant];
    })) as Record<Metric, Partial<Record<Variant, number>>>;
    return { ...row, medians };
  });
}

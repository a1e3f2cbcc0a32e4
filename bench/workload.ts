/**
 * The benchmark's workload, the same for plain amqplib and for Warren: task `i` (from 0) is
 * `{"task":"sum","start":1,"end":i+1,"sentAt":<epoch ms>}`, and its result is the exact sum of
 * `1..end`. Timestamps are epoch milliseconds with sub-millisecond precision, comparable across
 * processes on one machine.
 *
 * @module
 */

import process from "node:process";

/** The wire body of one benchmark task. */
export interface SumBody {
  /** Always `sum`. */
  readonly task: "sum";
  /** First integer of the range (always 1). */
  readonly start: number;
  /** Last integer of the range. */
  readonly end: number;
  /** When the producer built the message, in epoch milliseconds. */
  readonly sentAt: number;
}

/** The current time in epoch milliseconds, to the microsecond. */
export function epochMs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
}

/** CPU time this process has used (user and system), in milliseconds. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The `end` of task number `index` (from 0). */
export function endOf(index: number): number {
  return index + 1;
}

/** The sum of the results of tasks `0..n-1`: every consumer adds its results up to this. */
export function expectedChecksum(n: number): bigint {
  let total = 0n;
  for (let i = 0; i < n; i++) {
    const end = BigInt(endOf(i));
    total += (end * (end + 1n)) / 2n;
  }
  return total;
}

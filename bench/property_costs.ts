/**
 * What each message property costs the broker (`deno task bench --properties`): plain amqplib
 * publishing bare persistent messages, then the same with one property (or the `mandatory`
 * flag) at a time, then all of Warren's, in rotating order, with the medians of enqueue and
 * drain rates per set.
 *
 * @module
 */
import type { BrokerAdmin } from "./broker.ts";
import type { BenchOptions } from "./options.ts";
import { PROPERTY_NAMES, WARREN_PROPERTIES } from "./properties.ts";
import { type Row, runOnce } from "./run.ts";
import { median } from "./stats.ts";
import { expectedChecksum } from "./workload.ts";

/** The medians of one property set in one row. */
export interface PropertyCost extends Row {
  /** The set's name: `bare`, a property's name, or `warren` (all of Warren's). */
  readonly set: string;
  /** Median tasks per second from first publish to last confirm. */
  readonly enqueueRate: number;
  /** Median tasks per second from first publish to last task handled. */
  readonly drainRate: number;
}

const SETS: ReadonlyArray<readonly [name: string, props: readonly string[]]> = [
  ["bare", []],
  ...PROPERTY_NAMES.map((name) => [name, [name]] as const),
  ["warren", WARREN_PROPERTIES],
];

/** Runs every property set in every row, `options.rounds` times each, in rotating order. */
export async function runPropertyCosts(
  admin: BrokerAdmin,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<PropertyCost[]> {
  const expected = expectedChecksum(options.n);
  const results = new Map<string, { enqueue: number[]; drain: number[] }>();
  for (let round = 0; round < options.rounds; round++) {
    for (const row of options.rows) {
      const order = [...SETS.slice(round % SETS.length), ...SETS.slice(0, round % SETS.length)];
      for (const [set, props] of order) {
        const result = await runOnce(admin, {
          ...row,
          variant: "plain",
          props,
          n: options.n,
          window: options.window,
          consumers: options.consumers,
          stallMs: options.stallMs,
          quietMs: options.quietMs,
        }, expected);
        const key = `${row.type}:${row.prefetch}:${set}`;
        const entry = results.get(key) ?? { enqueue: [], drain: [] };
        entry.enqueue.push(result.enqueueRate);
        entry.drain.push(result.drainRate);
        results.set(key, entry);
        log(
          `round ${round + 1} ${row.type} p${row.prefetch} ${set.padEnd(11)} enqueue ${
            result.enqueueRate.toFixed(0)
          }/s drain ${result.drainRate.toFixed(0)}/s`,
        );
      }
    }
  }
  return options.rows.flatMap((row) =>
    SETS.map(([set]) => {
      const entry = results.get(`${row.type}:${row.prefetch}:${set}`)!;
      return { ...row, set, enqueueRate: median(entry.enqueue), drainRate: median(entry.drain) };
    })
  );
}

/** The costs as a table: rates, and each set against bare messages. */
export function propertyTable(costs: readonly PropertyCost[]): string {
  const lines = ["queue, prefetch | set         | enqueue/s | drain/s | vs bare (enqueue, drain)"];
  for (const cost of costs) {
    const bare = costs.find((c) =>
      c.type === cost.type && c.prefetch === cost.prefetch && c.set === "bare"
    )!;
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    lines.push(
      `${`${cost.type}, ${cost.prefetch}`.padEnd(15)} | ${cost.set.padEnd(11)} | ${
        cost.enqueueRate.toFixed(0).padStart(9)
      } | ${cost.drainRate.toFixed(0).padStart(7)} | ${
        ratio(cost.enqueueRate, bare.enqueueRate)
      }, ${ratio(cost.drainRate, bare.drainRate)}`,
    );
  }
  return lines.join("\n");
}
